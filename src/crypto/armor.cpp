// The armor decoder reads one line at a time (at most 64 columns plus CR), so it
// holds under 70 bytes of text however large the file. Line numbers in messages
// count every line of the input, starting at 1.
#include "crypto/armor.hpp"

#include <fmt/format.h>

#include "crypto/base64.hpp"

namespace lifeboat::crypto {
namespace {

constexpr std::string_view k_begin = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::string_view k_end = "-----END AGE ENCRYPTED FILE-----";
constexpr std::size_t k_columns = 64;

bool is_space(std::uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view without_cr(std::string_view line) {
  return line.ends_with('\r') ? line.substr(0, line.size() - 1) : line;
}

} // namespace

Result<std::size_t> ArmorDecoder::feed(std::span<const std::uint8_t> text,
                                       std::vector<std::uint8_t>& out, std::size_t limit) {
  std::size_t used = 0;
  while (used < text.size() && out.size() < limit) {
    std::uint8_t c = text[used++];
    switch (m_phase) {
    case Phase::leading:
      if (is_space(c)) {
        m_line_no += c == '\n' ? 1 : 0;
        continue;
      }
      m_phase = Phase::begin;
      [[fallthrough]];
    case Phase::begin:
      if (c == '\n') {
        if (without_cr(m_line) != k_begin) {
          return unexpected(fmt::format("line {} is not '{}'", m_line_no, k_begin));
        }
        ++m_line_no;
        m_line.clear();
        m_phase = Phase::body;
        continue;
      }
      m_line.push_back(static_cast<char>(c));
      // Fail at the first wrong byte: a file that is not armor at all should not
      // be read up to its first newline.
      if (!k_begin.starts_with(m_line) && m_line != std::string(k_begin) + "\r") {
        if (m_line_no == 1 && m_line.size() == 1 && c != '-') {
          return unexpected(
              std::string("it is neither a binary age file (age-encryption.org/v1) nor ASCII "
                          "armor (-----BEGIN AGE ENCRYPTED FILE-----)"));
        }
        return unexpected(fmt::format("line {} is not '{}'", m_line_no, k_begin));
      }
      continue;
    case Phase::body:
      if (c == '\n') {
        auto ok = end_of_line(out);
        if (!ok) {
          return unexpected(ok.error());
        }
        continue;
      }
      m_line.push_back(static_cast<char>(c));
      if (m_line.size() > k_columns + 1) {
        return unexpected(fmt::format("line {} is longer than 64 columns", m_line_no));
      }
      continue;
    case Phase::trailing:
      if (!is_space(c)) {
        return unexpected(
            fmt::format("line {} follows the END line; only whitespace may", m_line_no));
      }
      m_line_no += c == '\n' ? 1 : 0;
      continue;
    }
  }
  return used;
}

Result<void> ArmorDecoder::end_of_line(std::vector<std::uint8_t>& out) {
  std::string_view line = without_cr(m_line);
  std::size_t n = m_line_no;
  if (line == k_end) {
    m_phase = Phase::trailing;
  } else if (line.empty()) {
    return unexpected(fmt::format("line {} is empty (no headers or blank lines are allowed)", n));
  } else if (line.size() > k_columns) {
    return unexpected(fmt::format("line {} is longer than 64 columns", n));
  } else if (m_must_end) {
    return unexpected(fmt::format("line {} follows a short or padded line, which must be the "
                                  "last one before the END line",
                                  n));
  } else {
    std::uint8_t bytes[k_columns / 4 * 3];
    auto size = base64_decode_padded(line, bytes);
    if (!size) {
      return unexpected(fmt::format("line {} is not canonical padded base64", n));
    }
    out.insert(out.end(), bytes, bytes + *size);
    m_must_end = line.size() < k_columns || line.back() == '=';
  }
  ++m_line_no;
  m_line.clear();
  return {};
}

Result<void> ArmorDecoder::finish() const {
  switch (m_phase) {
  case Phase::trailing:
    return {};
  case Phase::body:
    // The END line may be the very last bytes, without an end of line.
    if (without_cr(m_line) == k_end) {
      return {};
    }
    return unexpected(std::string("it ends without the line '-----END AGE ENCRYPTED FILE-----'"));
  case Phase::leading:
  case Phase::begin:
    break;
  }
  return unexpected(std::string("it ends before the line '-----BEGIN AGE ENCRYPTED FILE-----'"));
}

} // namespace lifeboat::crypto
