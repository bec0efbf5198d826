// The header parser works line by line as bytes arrive: each complete line is
// checked at once, so a malformed header fails early and the parser never needs
// more than the header itself in memory (bounded by k_max_size).
#include "crypto/header.hpp"

#include <cstring>

#include <fmt/format.h>

#include "crypto/base64.hpp"

namespace lifeboat::crypto {
namespace {

constexpr std::string_view k_version_line = "age-encryption.org/v1";
constexpr std::string_view k_version_prefix = "age-encryption.org/";
constexpr std::size_t k_columns = 64;

bool is_vchar(char c) {
  return c >= 33 && c <= 126;
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    out.push_back(is_vchar(c) ? c : '?');
  }
  return out;
}

} // namespace

void format_stanza(const Stanza& stanza, std::string& out) {
  out += "->";
  for (const auto& arg : stanza.args) {
    out += ' ';
    out += arg;
  }
  out += '\n';
  std::string body = base64_encode(stanza.body);
  std::size_t pos = 0;
  // Full lines, then always a final line shorter than 64 columns (maybe empty).
  while (body.size() - pos >= k_columns) {
    out.append(body, pos, k_columns);
    out += '\n';
    pos += k_columns;
  }
  out.append(body, pos);
  out += '\n';
}

Result<std::size_t> HeaderParser::feed(std::span<const std::uint8_t> in) {
  std::size_t used = 0;
  while (used < in.size() && !m_done) {
    const auto* start = in.data() + used;
    const auto* nl = static_cast<const std::uint8_t*>(std::memchr(start, '\n', in.size() - used));
    std::size_t take = nl != nullptr ? static_cast<std::size_t>(nl - start) + 1 : in.size() - used;
    if (m_size + take > k_max_size) {
      return unexpected(
          fmt::format("the header is larger than {} KiB without ending", k_max_size / 1024));
    }
    m_line.append(reinterpret_cast<const char*>(start), nl != nullptr ? take - 1 : take);
    m_size += take;
    used += take;
    if (nl != nullptr) {
      ++m_line_no;
      auto ok = line(m_line);
      if (!ok) {
        return unexpected(ok.error());
      }
      m_line.clear();
    }
  }
  return used;
}

Result<void> HeaderParser::line(std::string_view text) {
  std::size_t n = m_line_no;
  if (text.ends_with('\r')) {
    return unexpected(fmt::format("line {} ends with CRLF; age headers use LF line endings (was "
                                  "the file converted to text?)",
                                  n));
  }
  if (n == 1) {
    if (text != k_version_line) {
      if (text.starts_with(k_version_prefix)) {
        return unexpected(fmt::format("unsupported age format version '{}' (only v1 is known)",
                                      printable(text.substr(k_version_prefix.size()))));
      }
      return unexpected(
          std::string("it does not start with the age version line 'age-encryption.org/v1'"));
    }
    m_mac_input.append(text).push_back('\n');
    return {};
  }
  if (m_in_body) {
    std::size_t stanza_no = m_stanzas.size();
    if (text.starts_with("->") || text.starts_with("---")) {
      return unexpected(fmt::format("line {}: stanza {} ends without its final body line (every "
                                    "stanza ends with a line shorter than 64 columns)",
                                    n, stanza_no));
    }
    if (text.size() > k_columns) {
      return unexpected(
          fmt::format("line {}: a body line of stanza {} is longer than 64 columns", n, stanza_no));
    }
    auto bytes = base64_decode(text);
    if (!bytes) {
      return unexpected(fmt::format("line {}: the body of stanza {} is not canonical unpadded "
                                    "base64",
                                    n, stanza_no));
    }
    auto& body = m_stanzas.back().body;
    body.insert(body.end(), bytes->begin(), bytes->end());
    m_in_body = text.size() == k_columns;
    m_mac_input.append(text).push_back('\n');
    return {};
  }
  if (text.starts_with("->")) {
    std::size_t stanza_no = m_stanzas.size() + 1;
    if (stanza_no > k_max_stanzas) {
      return unexpected(
          fmt::format("line {}: the header has more than {} stanzas", n, k_max_stanzas));
    }
    if (text.size() > 2 && text[2] != ' ') {
      return unexpected(fmt::format("line {}: a stanza line must start with '-> '", n));
    }
    if (text.size() <= 3) {
      return unexpected(fmt::format("line {}: stanza {} has no arguments", n, stanza_no));
    }
    Stanza stanza;
    std::string_view rest = text.substr(3);
    while (true) {
      std::size_t sp = rest.find(' ');
      std::string_view arg = rest.substr(0, sp);
      if (arg.empty()) {
        return unexpected(fmt::format("line {}: stanza {} has an empty argument", n, stanza_no));
      }
      for (char c : arg) {
        if (!is_vchar(c)) {
          return unexpected(fmt::format("line {}: stanza {} has an argument with a character "
                                        "outside printable ASCII",
                                        n, stanza_no));
        }
      }
      if (stanza.args.size() == k_max_args) {
        return unexpected(fmt::format("line {}: stanza {} has more than {} arguments", n,
                                      stanza_no, k_max_args));
      }
      stanza.args.emplace_back(arg);
      if (sp == std::string_view::npos) {
        break;
      }
      rest = rest.substr(sp + 1);
    }
    m_stanzas.push_back(std::move(stanza));
    m_in_body = true;
    m_mac_input.append(text).push_back('\n');
    return {};
  }
  if (text.starts_with("---")) {
    if (m_stanzas.empty()) {
      return unexpected(std::string("the header has no recipient stanza"));
    }
    if (text.size() < 4 || text[3] != ' ') {
      return unexpected(fmt::format("line {}: the MAC line must be '--- ' followed by the MAC", n));
    }
    std::string_view mac = text.substr(4);
    auto bytes = mac.size() == 43 ? base64_decode(mac) : std::nullopt;
    if (!bytes || bytes->size() != m_mac.size()) {
      return unexpected(fmt::format("line {}: the header MAC is not 32 bytes of canonical unpadded "
                                    "base64",
                                    n));
    }
    std::copy(bytes->begin(), bytes->end(), m_mac.begin());
    m_mac_input += "---";
    m_done = true;
    return {};
  }
  return unexpected(fmt::format("line {}: expected a recipient stanza ('-> ...') or the MAC line "
                                "('--- ...')",
                                n));
}

std::string HeaderParser::truncation_message() const {
  if (m_line_no == 0) {
    return "it ends inside the version line";
  }
  return fmt::format("it ends inside the header, after {} line{} and before the MAC line",
                     m_line_no, m_line_no == 1 ? "" : "s");
}

} // namespace lifeboat::crypto
