// source/postgres/script: reading a plain-format dump (a psql script) as psql reads it.
//
// A plain dump is SQL text with COPY data blocks in between. Guessing its structure line
// by line is fooled by text that merely looks like a statement: a function body, a
// comment or a string literal holding "COPY x FROM stdin;". ScriptLexer follows the
// rules of psql's own lexer (psqlscan.l) instead, one byte at a time, across any
// chunking of the stream:
//   * '...' strings with '' doubling; E'...' strings with backslash escapes;
//   * "..." identifiers with "" doubling;
//   * $tag$...$tag$ dollar quotes (tag empty or an identifier; "$1" is a parameter);
//   * -- line comments and nested /* block */ comments;
//   * parentheses: a ';' inside them does not end a statement;
//   * a backslash meta-command (\connect, \restrict) at the start of a statement runs
//     to the end of its line;
//   * after a top-level `COPY ... FROM stdin;` the lines up to "\." are data.
// It cuts the stream into units (a statement with the whitespace and comments before
// it, a meta-command, a COPY data block) and reports each; ScriptFilter uses the units
// to drop statements, DumpObserver to count rows and note roles.
//
// Memory is bounded: a statement's text is kept up to k_max_statement bytes (longer
// statements, such as a huge function body, are passed on but never parsed), and COPY
// data is never kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/inventory.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"

namespace lifeboat::source::postgres {

// The table a COPY statement of a plain dump loads. schema is "" when the statement
// names none (pg_dump always does).
struct CopyTarget {
  std::string schema;
  std::string table;
  bool operator==(const CopyTarget&) const = default;
};

// Reads the table of one `COPY ... FROM stdin;` statement, as pg_dump writes it:
//   copy       = "COPY" 1*ws name *ws [ "(" *ws ident *( *ws "," *ws ident ) *ws ")" ] *ws
//                "FROM" 1*ws "stdin" *ws ";" *ws            ; keywords in any case
//   name       = ident [ *ws "." *ws ident ]                 ; schema "." table
//   ident      = bare / quoted
//   bare       = ident-start *( ident-start / DIGIT / "$" )  ; ASCII A-Z fold to a-z
//   ident-start = ALPHA / "_" / %x80-FF                      ; any byte of a UTF-8 letter
//   quoted     = DQUOTE 1*( not-dquote / 2DQUOTE ) DQUOTE    ; "" is one ", never empty
//   ws         = SP / HTAB / CR / LF / FF                    ; a quoted name may hold LF
// pg_dump quotes a name exactly when it needs it (fmtId), so a quoted name may hold
// dots, spaces, parentheses, commas, "FROM stdin;", newlines or any UTF-8 text. The
// column list is lexed, not searched, so quotes inside it cannot end it early.
// Returns an error naming what is wrong and the byte offset where.
Result<CopyTarget> parse_copy_line(std::string_view line);

// What a statement is, for ScriptFilter and for the roles a backup needs.
struct StatementInfo {
  enum class Kind {
    other,
    copy_from_stdin, // data follows
    owner,           // ALTER ... OWNER TO role
    privilege,       // GRANT, REVOKE, ALTER DEFAULT PRIVILEGES
    policy,          // CREATE POLICY ... TO role
    transaction,     // BEGIN, COMMIT, START TRANSACTION, END (pg_dump wraps large objects)
    lock_timeout,    // SET lock_timeout = ... (pg_dump writes "= 0", which waits forever)
  };
  Kind kind = Kind::other;
  std::vector<std::string> roles; // the roles it names (not PUBLIC, not CURRENT_USER)
};

// Classifies one complete statement (its text without the final ';', comments removed).
StatementInfo classify_statement(std::string_view text);

// The lexer. Feed it chunks; it calls the handler in stream order.
class ScriptLexer {
public:
  enum class Unit { statement, meta, copy_data };

  class Handler {
  public:
    virtual ~Handler() = default;
    // Raw bytes, in order, each range inside one unit of kind `unit`.
    virtual void bytes(std::string_view raw, Unit unit) = 0;
    // A statement ended (its ';' was the last byte passed to bytes()). `text` is its
    // text from the first significant byte, comments replaced by a space, without the
    // ';'; `cut` when it was longer than k_max_statement and `text` is only its start.
    virtual void statement(std::string_view text, bool cut) = 0;
    // A line comment outside any statement ("-- Dumped from ..."), without its newline.
    virtual void comment(std::string_view) {}
    // A COPY data block ended at its "\." line (or at the end of the input): its rows.
    virtual void copy_end(std::uint64_t rows) = 0;
    // A meta-command line ended.
    virtual void meta_end() {}
  };

  static constexpr std::size_t k_max_statement = 1024 * 1024;

  explicit ScriptLexer(Handler& handler) : m_handler(handler) {}
  void feed(std::string_view chunk);
  // The end of the input; reports an unfinished COPY block.
  void finish();
  // Call from Handler::statement: the statement was a COPY ... FROM stdin, data follows.
  void start_copy() { m_start_copy = true; }

private:
  enum class State {
    normal,
    line_comment,
    block_comment,
    string,
    string_quote, // a ' inside a string: the end, or the first of ''
    escape_string,
    escape_string_backslash,
    escape_string_quote,
    ident,
    ident_quote,
    dollar_tag, // reading the tag after '$'
    dollar_body,
    meta,
    copy_data,
  };
  void step(char c); // one byte; may re-read it in another state
  void end_statement();
  void append(char c);

  Handler& m_handler;
  State m_state = State::normal;
  std::string m_text;  // the statement so far (capped)
  bool m_cut = false;  // m_text lost bytes
  bool m_in_statement = false; // a significant byte was seen since the last unit ended
  char m_prev = 0;     // the previous byte in normal state ('-' of "--", '/' of "/*")
  char m_prev2 = 0;    // the one before (to tell E'...' from xE'...')
  int m_parens = 0;
  int m_comment_depth = 0;
  std::string m_tag;     // the dollar quote's "$tag$"
  std::size_t m_tag_match = 0;
  std::string m_comment; // the top-level line comment being read (capped)
  bool m_comment_top = false;
  bool m_start_copy = false;
  std::uint64_t m_rows = 0;
  std::string m_line; // the start of the current COPY data line (up to 3 bytes)
  std::size_t m_line_length = 0;
  bool m_copy_first = false; // reading the rest of the COPY statement's own line
  // The current chunk and where the unit's unreported bytes start in it.
  std::string_view m_chunk;
  std::size_t m_pos = 0;
  std::size_t m_flushed = 0;
  Unit m_unit = Unit::statement;
  void flush(std::size_t end); // reports m_chunk[m_flushed, end) as m_unit
};

// Roles a dump names, by what needs them.
struct DumpRoles {
  std::set<std::string> owners;     // ALTER ... OWNER TO
  std::set<std::string> privileges; // GRANT / REVOKE / ALTER DEFAULT PRIVILEGES
  std::set<std::string> policies;   // CREATE POLICY ... TO
  bool operator==(const DumpRoles&) const = default;
};

// Counts the rows of every COPY block of a plain dump as it streams past, notes the
// roles it names and what pg_dump writes in its header and trailer.
// observe() throws Error{integrity} for a `COPY ... FROM stdin;` statement whose table
// it cannot read: an inventory without that table would be wrong.
class DumpObserver final : public pipeline::Observer, private ScriptLexer::Handler {
public:
  DumpObserver() : m_lexer(*this) {}
  void observe(pipeline::Bytes bytes) override;
  void finish() override;

  // Every table with a COPY block and its rows; complete after finish().
  const core::Inventory& tables() const { return m_tables; }
  const DumpRoles& roles() const { return m_roles; }
  const std::string& server_version() const { return m_server_version; }
  const std::string& pg_dump_version() const { return m_pg_dump_version; }
  // True when the trailer "-- PostgreSQL database dump complete" was seen.
  bool complete() const { return m_complete; }

private:
  void bytes(std::string_view, ScriptLexer::Unit) override {}
  void statement(std::string_view text, bool cut) override;
  void comment(std::string_view text) override;
  void copy_end(std::uint64_t rows) override;

  ScriptLexer m_lexer;
  core::TableCount m_copy; // the COPY block being counted
  core::Inventory m_tables;
  DumpRoles m_roles;
  std::string m_server_version;
  std::string m_pg_dump_version;
  bool m_complete = false;
};

// What ScriptFilter removes from the script on its way to psql.
struct FilterOptions {
  bool no_owner = false;      // ALTER ... OWNER TO (pg_restore --no-owner)
  bool no_privileges = false; // GRANT, REVOKE, ALTER DEFAULT PRIVILEGES (--no-privileges)
  // Always removed: BEGIN/COMMIT (they would end psql's single transaction half way,
  // as pg_dump wraps large objects in them) and SET lock_timeout (lifeboat sets its own).
};

// Passes a plain dump on to `out`, statement by statement, without the statements
// FilterOptions names. A statement is held until its end (at most k_max_statement
// bytes; a longer one is passed on, as none of the removed kinds can be that long);
// COPY data and meta-commands pass straight through.
class ScriptFilter final : public pipeline::Sink, private ScriptLexer::Handler {
public:
  ScriptFilter(pipeline::Sink& out, FilterOptions options);
  void write(pipeline::Bytes bytes) override;
  void finish(); // passes on what is held
  std::uint64_t removed() const { return m_removed; }

private:
  void bytes(std::string_view raw, ScriptLexer::Unit unit) override;
  void statement(std::string_view text, bool cut) override;
  void copy_end(std::uint64_t) override {}
  void pass(std::string_view raw);

  pipeline::Sink& m_out;
  FilterOptions m_options;
  ScriptLexer m_lexer;
  std::string m_held; // the statement being read
  bool m_holding = true;
  std::uint64_t m_removed = 0;
};

} // namespace lifeboat::source::postgres
