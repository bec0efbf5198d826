#include "source/postgres/script.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace lifeboat::source::postgres {

namespace {

// PostgreSQL's scanner (scan.l): ident_start [A-Za-z\200-\377_], ident_cont adds
// digits and '$'; a dollar quote's tag (dolq_start, dolq_cont) never holds '$'. Bytes
// from 0x80 are parts of UTF-8 characters, taken as letters.
bool ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

bool ident_cont(unsigned char c) {
  return ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

bool tag_cont(unsigned char c) {
  return ident_start(c) || (c >= '0' && c <= '9');
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// The COPY grammar of script.hpp, one token at a time.
class CopyLexer {
public:
  explicit CopyLexer(std::string_view text) : m_text(text) {}

  std::size_t pos() const { return m_pos; }
  bool at_end() const { return m_pos == m_text.size(); }

  // Skips white space; true when there was any.
  bool skip_space() {
    std::size_t start = m_pos;
    while (m_pos < m_text.size() && is_space(m_text[m_pos])) {
      ++m_pos;
    }
    return m_pos > start;
  }

  bool eat(char c) {
    if (m_pos < m_text.size() && m_text[m_pos] == c) {
      ++m_pos;
      return true;
    }
    return false;
  }

  // A keyword in any case, not followed by an identifier character.
  bool eat_keyword(std::string_view word) {
    if (m_text.size() - m_pos < word.size()) {
      return false;
    }
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (lower(m_text[m_pos + i]) != lower(word[i])) {
        return false;
      }
    }
    std::size_t next = m_pos + word.size();
    if (next < m_text.size() && ident_cont(static_cast<unsigned char>(m_text[next]))) {
      return false;
    }
    m_pos = next;
    return true;
  }

  // A bare identifier (folded to lower case, as the server does) or a quoted one.
  Result<std::string> identifier() {
    std::size_t start = m_pos;
    if (eat('"')) {
      std::string out;
      while (true) {
        if (m_pos >= m_text.size()) {
          return unexpected(fmt::format("unterminated quoted identifier at byte {}", start));
        }
        char c = m_text[m_pos++];
        if (c == '"' && !eat('"')) {
          break;
        }
        out.push_back(c);
      }
      if (out.empty()) {
        return unexpected(fmt::format("zero-length quoted identifier at byte {}", start));
      }
      return out;
    }
    if (m_pos >= m_text.size() || !ident_start(static_cast<unsigned char>(m_text[m_pos]))) {
      return unexpected(fmt::format("expected an identifier at byte {}", start));
    }
    std::string out;
    while (m_pos < m_text.size() && ident_cont(static_cast<unsigned char>(m_text[m_pos]))) {
      out.push_back(lower(m_text[m_pos++]));
    }
    return out;
  }

private:
  std::string_view m_text;
  std::size_t m_pos = 0;
};

// The tokens of one complete statement, for classify_statement: words (folded to lower
// case), quoted identifiers (exact), and single punctuation bytes; literals and dollar
// quotes are skipped whole.
struct Token {
  enum class Kind { word, quoted, punct, literal };
  Kind kind = Kind::punct;
  std::string text;
  int depth = 0; // parentheses around it
  bool is(std::string_view w) const { return kind == Kind::word && text == w; }
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  int depth = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    Token t;
    t.depth = depth;
    if (c == '"') {
      t.kind = Token::Kind::quoted;
      for (++i; i < s.size(); ++i) {
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            t.text.push_back('"');
            ++i;
            continue;
          }
          ++i;
          break;
        }
        t.text.push_back(s[i]);
      }
    } else if (c == '\'') {
      bool escapes = !out.empty() && out.back().kind == Token::Kind::word &&
                     out.back().text == "e" && i > 0 && !is_space(s[i - 1]);
      t.kind = Token::Kind::literal;
      for (++i; i < s.size(); ++i) {
        if (escapes && s[i] == '\\') {
          ++i;
        } else if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            ++i;
            continue;
          }
          ++i;
          break;
        }
      }
    } else if (c == '$' && i + 1 < s.size() &&
               (s[i + 1] == '$' || ident_start(static_cast<unsigned char>(s[i + 1])))) {
      std::size_t j = i + 1;
      while (j < s.size() && tag_cont(static_cast<unsigned char>(s[j]))) {
        ++j;
      }
      if (j < s.size() && s[j] == '$') {
        std::string_view tag = s.substr(i, j + 1 - i);
        std::size_t close = s.find(tag, j + 1);
        i = close == std::string_view::npos ? s.size() : close + tag.size();
        t.kind = Token::Kind::literal;
      } else {
        t.text = "$";
        ++i;
      }
    } else if (ident_start(static_cast<unsigned char>(c)) || (c >= '0' && c <= '9')) {
      t.kind = Token::Kind::word;
      while (i < s.size() && ident_cont(static_cast<unsigned char>(s[i]))) {
        t.text.push_back(lower(s[i++]));
      }
    } else {
      t.text = std::string(1, c);
      if (c == '(') {
        ++depth;
      } else if (c == ')' && depth > 0) {
        t.depth = --depth;
      }
      ++i;
    }
    out.push_back(std::move(t));
  }
  return out;
}

// The role specifications from tokens[from] on, separated by commas, up to any of
// `stop` (or the end). PUBLIC and the CURRENT_USER family name no role.
std::vector<std::string> role_list(const std::vector<Token>& tokens, std::size_t from,
                                   std::initializer_list<std::string_view> stop) {
  std::vector<std::string> roles;
  for (std::size_t i = from; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == Token::Kind::word &&
        std::find(stop.begin(), stop.end(), t.text) != stop.end()) {
      break;
    }
    if (t.kind == Token::Kind::quoted) {
      roles.push_back(t.text);
    } else if (t.kind == Token::Kind::word && t.text != "group" && t.text != "public" &&
               t.text != "current_user" && t.text != "session_user" &&
               t.text != "current_role") {
      roles.push_back(t.text);
    }
  }
  return roles;
}

// The index of the last word `w` outside parentheses, or npos.
std::size_t last_word(const std::vector<Token>& tokens, std::string_view w) {
  for (std::size_t i = tokens.size(); i-- > 0;) {
    if (tokens[i].depth == 0 && tokens[i].is(w)) {
      return i;
    }
  }
  return std::string::npos;
}

// The first word of a statement, folded, without tokenizing the rest.
std::string first_word(std::string_view s, std::size_t n = 2) {
  std::string out;
  std::size_t i = 0;
  for (std::size_t words = 0; words < n; ++words) {
    while (i < s.size() && is_space(s[i])) {
      ++i;
    }
    if (i >= s.size() || !ident_start(static_cast<unsigned char>(s[i]))) {
      break;
    }
    if (!out.empty()) {
      out.push_back(' ');
    }
    while (i < s.size() && ident_cont(static_cast<unsigned char>(s[i]))) {
      out.push_back(lower(s[i++]));
    }
  }
  return out;
}

} // namespace

Result<CopyTarget> parse_copy_line(std::string_view line) {
  CopyLexer lex(line);
  if (!lex.eat_keyword("COPY") || !lex.skip_space()) {
    return unexpected(std::string("expected 'COPY' and a space at byte 0"));
  }
  CopyTarget target;
  auto first = lex.identifier();
  if (!first) {
    return unexpected(first.error());
  }
  lex.skip_space();
  if (lex.eat('.')) {
    lex.skip_space();
    auto second = lex.identifier();
    if (!second) {
      return unexpected(second.error());
    }
    target.schema = std::move(*first);
    target.table = std::move(*second);
    lex.skip_space();
    if (lex.eat('.')) {
      return unexpected(
          fmt::format("a table name of more than two parts at byte {}", lex.pos() - 1));
    }
  } else {
    target.table = std::move(*first);
  }
  if (lex.eat('(')) {
    while (true) {
      lex.skip_space();
      auto column = lex.identifier();
      if (!column) {
        return unexpected(column.error());
      }
      lex.skip_space();
      if (lex.eat(')')) {
        break;
      }
      if (!lex.eat(',')) {
        return unexpected(
            fmt::format("expected ',' or ')' in the column list at byte {}", lex.pos()));
      }
    }
    lex.skip_space();
  }
  std::size_t from = lex.pos();
  if (!lex.eat_keyword("FROM") || !lex.skip_space() || !lex.eat_keyword("STDIN")) {
    return unexpected(fmt::format("expected 'FROM stdin' at byte {}", from));
  }
  lex.skip_space();
  if (!lex.eat(';')) {
    return unexpected(fmt::format("expected ';' at byte {}", lex.pos()));
  }
  lex.skip_space();
  if (!lex.at_end()) {
    return unexpected(fmt::format("unexpected text after ';' at byte {}", lex.pos()));
  }
  return target;
}

StatementInfo classify_statement(std::string_view text) {
  using Kind = StatementInfo::Kind;
  std::string head = first_word(text);
  std::string verb = head.substr(0, head.find(' '));
  StatementInfo info;
  if (verb == "begin" || verb == "commit" || verb == "end" || head == "start transaction") {
    info.kind = Kind::transaction;
    return info;
  }
  if (head == "set lock_timeout") {
    info.kind = Kind::lock_timeout;
    return info;
  }
  if (verb != "copy" && verb != "alter" && verb != "grant" && verb != "revoke" &&
      head != "create policy") {
    return info;
  }
  auto tokens = tokenize(text);
  if (verb == "copy") {
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      if (tokens[i].depth == 0 && tokens[i].is("from") && tokens[i + 1].is("stdin")) {
        info.kind = Kind::copy_from_stdin;
      }
    }
    return info;
  }
  if (verb == "grant" || verb == "revoke") {
    info.kind = Kind::privilege;
    std::size_t to = last_word(tokens, verb == "grant" ? "to" : "from");
    if (to != std::string::npos) {
      info.roles = role_list(tokens, to + 1, {"with", "granted", "cascade", "restrict"});
    }
    if (auto by = last_word(tokens, "granted"); by != std::string::npos && by + 1 < tokens.size() &&
                                                tokens[by + 1].is("by")) {
      auto grantor = role_list(tokens, by + 2, {"cascade", "restrict"});
      info.roles.insert(info.roles.end(), grantor.begin(), grantor.end());
    }
    return info;
  }
  if (head == "create policy") {
    info.kind = Kind::policy;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].depth == 0 && tokens[i].is("to")) {
        info.roles = role_list(tokens, i + 1, {"using", "with"});
        break;
      }
    }
    return info;
  }
  // ALTER
  if (tokens.size() >= 3 && tokens[1].is("default") && tokens[2].is("privileges")) {
    info.kind = Kind::privilege;
    if (tokens.size() > 4 && tokens[3].is("for") && (tokens[4].is("role") || tokens[4].is("user"))) {
      info.roles = role_list(tokens, 5, {"in", "grant", "revoke"});
    }
    bool grant = false;
    for (const auto& t : tokens) {
      grant = grant || t.is("grant");
    }
    std::size_t to = last_word(tokens, grant ? "to" : "from");
    if (to != std::string::npos) {
      auto grantees = role_list(tokens, to + 1, {"with", "cascade", "restrict"});
      info.roles.insert(info.roles.end(), grantees.begin(), grantees.end());
    }
    return info;
  }
  std::size_t n = tokens.size();
  if (n >= 4 && tokens[n - 3].depth == 0 && tokens[n - 3].is("owner") && tokens[n - 2].is("to")) {
    info.kind = Kind::owner;
    info.roles = role_list(tokens, n - 1, {});
  }
  return info;
}

// --- ScriptLexer ---------------------------------------------------------------------

void ScriptLexer::flush(std::size_t end) {
  if (end > m_flushed) {
    m_handler.bytes(m_chunk.substr(m_flushed, end - m_flushed), m_unit);
    m_flushed = end;
  }
}

void ScriptLexer::append(char c) {
  if (m_cut) {
    return;
  }
  if (m_text.size() >= k_max_statement) {
    m_cut = true;
    return;
  }
  m_text.push_back(c);
}

void ScriptLexer::end_statement() {
  flush(m_pos + 1);
  if (!m_cut && !m_text.empty()) {
    m_text.pop_back(); // the ';'
  }
  m_handler.statement(m_text, m_cut);
  m_text.clear();
  m_cut = false;
  m_in_statement = false;
  m_parens = 0;
  m_prev = m_prev2 = 0;
  if (m_start_copy) {
    m_start_copy = false;
    m_state = State::copy_data;
    m_unit = Unit::copy_data;
    m_rows = 0;
    m_line.clear();
    m_line_length = 0;
    m_copy_first = true; // psql reads data from the line after the statement's
  }
}

void ScriptLexer::step(char c) {
  while (true) {
    switch (m_state) {
    case State::normal: {
      if ((c == '-' && m_prev == '-') || (c == '*' && m_prev == '/')) {
        // The first byte was taken as text: it was the start of a comment.
        if (!m_cut && !m_text.empty()) {
          m_text.pop_back();
        }
        m_in_statement = m_cut || !m_text.empty();
        if (m_in_statement) {
          append(' ');
        }
        if (c == '-') {
          m_state = State::line_comment;
          m_comment_top = !m_in_statement;
          m_comment = "--";
        } else {
          m_state = State::block_comment;
          m_comment_depth = 1;
        }
        m_prev = m_prev2 = 0;
        return;
      }
      if (c == '\\' && !m_in_statement) {
        flush(m_pos);
        m_unit = Unit::meta;
        m_state = State::meta;
        return;
      }
      if (!m_in_statement && is_space(c)) {
        m_prev2 = m_prev;
        m_prev = c;
        return;
      }
      m_in_statement = true;
      append(c);
      switch (c) {
      case '\'':
        m_state = (m_prev == 'E' || m_prev == 'e') && !ident_cont(static_cast<unsigned char>(m_prev2))
                      ? State::escape_string
                      : State::string;
        break;
      case '"':
        m_state = State::ident;
        break;
      case '$':
        if (!ident_cont(static_cast<unsigned char>(m_prev))) {
          m_state = State::dollar_tag;
          m_tag = "$";
        }
        break;
      case '(':
        ++m_parens;
        break;
      case ')':
        m_parens = std::max(0, m_parens - 1);
        break;
      case ';':
        if (m_parens == 0) {
          end_statement();
          return;
        }
        break;
      default:
        break;
      }
      m_prev2 = m_prev;
      m_prev = c;
      return;
    }
    case State::line_comment:
      if (c == '\n') {
        if (m_comment_top) {
          m_handler.comment(m_comment);
        }
        m_comment.clear();
        m_state = State::normal;
        m_prev = m_prev2 = 0;
        if (m_in_statement) {
          append('\n');
        }
      } else if (m_comment_top && m_comment.size() < 256) {
        m_comment.push_back(c);
      }
      return;
    case State::block_comment:
      if (c == '*' && m_prev == '/') {
        ++m_comment_depth;
        m_prev = 0;
      } else if (c == '/' && m_prev == '*') {
        m_prev = 0;
        if (--m_comment_depth == 0) {
          m_state = State::normal;
          m_prev2 = 0;
        }
      } else {
        m_prev = c;
      }
      return;
    case State::string:
      append(c);
      if (c == '\'') {
        m_state = State::string_quote;
      }
      return;
    case State::escape_string:
      append(c);
      if (c == '\\') {
        m_state = State::escape_string_backslash;
      } else if (c == '\'') {
        m_state = State::escape_string_quote;
      }
      return;
    case State::escape_string_backslash:
      append(c);
      m_state = State::escape_string;
      return;
    case State::string_quote:
    case State::escape_string_quote:
      if (c == '\'') { // '' inside the literal
        append(c);
        m_state = m_state == State::string_quote ? State::string : State::escape_string;
        return;
      }
      m_state = State::normal;
      m_prev = '\'';
      m_prev2 = 0;
      continue; // c is the first byte after the literal
    case State::ident:
      append(c);
      if (c == '"') {
        m_state = State::ident_quote;
      }
      return;
    case State::ident_quote:
      if (c == '"') {
        append(c);
        m_state = State::ident;
        return;
      }
      m_state = State::normal;
      m_prev = '"';
      m_prev2 = 0;
      continue;
    case State::dollar_tag:
      if (c == '$') {
        append(c);
        m_tag.push_back('$');
        m_tag_match = 0;
        m_state = State::dollar_body;
        return;
      }
      if (m_tag.size() == 1 ? ident_start(static_cast<unsigned char>(c))
                            : tag_cont(static_cast<unsigned char>(c))) {
        append(c);
        m_tag.push_back(c);
        return;
      }
      // Not a dollar quote: "$1", or "$" within an operator.
      m_state = State::normal;
      m_prev = m_tag.back();
      m_prev2 = 0;
      continue;
    case State::dollar_body:
      append(c);
      if (c == m_tag[m_tag_match]) {
        if (++m_tag_match == m_tag.size()) {
          m_state = State::normal;
          m_prev = '$';
          m_prev2 = 0;
        }
      } else {
        // The tag holds no '$', so a mismatch can only restart at a '$'.
        m_tag_match = c == '$' ? 1 : 0;
      }
      return;
    case State::meta:
      if (c == '\n') {
        flush(m_pos + 1);
        m_handler.meta_end();
        m_unit = Unit::statement;
        m_state = State::normal;
        m_prev = m_prev2 = 0;
      }
      return;
    case State::copy_data:
      return; // read by feed()
    }
  }
}

void ScriptLexer::feed(std::string_view chunk) {
  m_chunk = chunk;
  m_flushed = 0;
  m_pos = 0;
  while (m_pos < chunk.size()) {
    if (m_state != State::copy_data) {
      step(chunk[m_pos]);
      ++m_pos;
      continue;
    }
    // COPY data: whole lines at memchr speed; only "\." ends the block.
    const void* found = std::memchr(chunk.data() + m_pos, '\n', chunk.size() - m_pos);
    std::size_t end = found == nullptr ? chunk.size()
                                       : static_cast<const char*>(found) - chunk.data();
    std::size_t room = 3 - std::min<std::size_t>(3, m_line.size());
    m_line.append(chunk.substr(m_pos, std::min(room, end - m_pos)));
    m_line_length += end - m_pos;
    if (found == nullptr) {
      m_pos = chunk.size();
      break;
    }
    m_pos = end;
    if (m_copy_first) {
      m_copy_first = false;
    } else if (m_line_length == 2 && m_line == "\\.") {
      flush(end + 1);
      m_handler.copy_end(m_rows);
      m_unit = Unit::statement;
      m_state = State::normal;
      m_prev = m_prev2 = 0;
    } else {
      ++m_rows;
    }
    m_line.clear();
    m_line_length = 0;
    ++m_pos;
  }
  flush(chunk.size());
  m_chunk = {};
  m_flushed = m_pos = 0;
}

void ScriptLexer::finish() {
  if (m_state == State::copy_data) {
    // Cut inside a COPY block: what was counted stands (it fails the trailer check).
    m_handler.copy_end(m_rows + (m_line_length > 0 && !m_copy_first ? 1 : 0));
    m_state = State::normal;
    m_unit = Unit::statement;
  } else if (m_state == State::line_comment && m_comment_top) {
    m_handler.comment(m_comment);
    m_state = State::normal;
  }
}

// --- DumpObserver --------------------------------------------------------------------

void DumpObserver::observe(pipeline::Bytes bytes) {
  m_lexer.feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void DumpObserver::finish() {
  m_lexer.finish();
}

void DumpObserver::statement(std::string_view text, bool cut) {
  if (cut) {
    if (first_word(text, 1) == "copy") {
      throw Error(ErrorKind::integrity,
                  fmt::format("unable to read the table of COPY statement '{}...': it is longer "
                              "than {} bytes",
                              text.substr(0, 200), ScriptLexer::k_max_statement));
    }
    return;
  }
  auto info = classify_statement(text);
  using Kind = StatementInfo::Kind;
  switch (info.kind) {
  case Kind::copy_from_stdin: {
    std::string copy = std::string(text) + ";";
    auto target = parse_copy_line(copy);
    if (!target) {
      std::string shown(text.substr(0, 200));
      throw Error(ErrorKind::integrity,
                  fmt::format("unable to read the table of COPY statement '{}{}': {}", shown,
                              text.size() > shown.size() ? "..." : "", target.error()));
    }
    m_copy = {.schema = std::move(target->schema), .table = std::move(target->table), .rows = 0};
    m_lexer.start_copy();
    break;
  }
  case Kind::owner:
    m_roles.owners.insert(info.roles.begin(), info.roles.end());
    break;
  case Kind::privilege:
    m_roles.privileges.insert(info.roles.begin(), info.roles.end());
    break;
  case Kind::policy:
    m_roles.policies.insert(info.roles.begin(), info.roles.end());
    break;
  default:
    break;
  }
}

void DumpObserver::comment(std::string_view l) {
  if (l.starts_with("-- Dumped from database version ")) {
    m_server_version = std::string(l.substr(32));
  } else if (l.starts_with("-- Dumped by pg_dump version ")) {
    m_pg_dump_version = std::string(l.substr(29));
  } else if (l == "-- PostgreSQL database dump complete") {
    m_complete = true;
  }
}

void DumpObserver::copy_end(std::uint64_t rows) {
  m_copy.rows = rows;
  m_tables.add(std::move(m_copy));
  m_copy = {};
}

// --- ScriptFilter --------------------------------------------------------------------

ScriptFilter::ScriptFilter(pipeline::Sink& out, FilterOptions options)
    : m_out(out), m_options(options), m_lexer(*this) {}

void ScriptFilter::write(pipeline::Bytes bytes) {
  m_lexer.feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void ScriptFilter::finish() {
  m_lexer.finish();
  pass(m_held);
  m_held.clear();
}

void ScriptFilter::pass(std::string_view raw) {
  if (!raw.empty()) {
    m_out.write(pipeline::as_bytes(raw));
  }
}

void ScriptFilter::bytes(std::string_view raw, ScriptLexer::Unit unit) {
  if (unit != ScriptLexer::Unit::statement) {
    pass(m_held);
    m_held.clear();
    pass(raw);
    return;
  }
  if (m_holding && m_held.size() + raw.size() > ScriptLexer::k_max_statement) {
    // Too long to be any statement this filter removes.
    m_holding = false;
    pass(m_held);
    m_held.clear();
  }
  if (m_holding) {
    m_held.append(raw);
  } else {
    pass(raw);
  }
}

void ScriptFilter::statement(std::string_view text, bool cut) {
  using Kind = StatementInfo::Kind;
  StatementInfo info;
  if (!cut) {
    info = classify_statement(text);
  }
  bool drop = m_holding && !cut &&
              (info.kind == Kind::transaction || info.kind == Kind::lock_timeout ||
               (info.kind == Kind::owner && m_options.no_owner) ||
               (info.kind == Kind::privilege && m_options.no_privileges));
  if (drop) {
    ++m_removed;
  } else {
    pass(m_held);
  }
  m_held.clear();
  m_holding = true;
  if (info.kind == Kind::copy_from_stdin) {
    m_lexer.start_copy();
  }
}

} // namespace lifeboat::source::postgres
