#include "util/strings.hpp"

#include <cstdio>
#include <regex>

#include <fmt/format.h>

namespace lifeboat {

bool starts_with(std::string_view s, std::string_view prefix) { return s.starts_with(prefix); }
bool ends_with(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) {
    return {};
  }
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += parts[i];
  }
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string format_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  if (u == 0) {
    return fmt::format("{} B", bytes);
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string format_seconds(double seconds) {
  if (seconds < 1.0) {
    return fmt::format("{} ms", static_cast<long>(seconds * 1000.0 + 0.5));
  }
  if (seconds < 60.0) {
    return fmt::format("{:.1f} s", seconds);
  }
  long s = static_cast<long>(seconds + 0.5);
  if (s < 3600) {
    return fmt::format("{}m{:02}s", s / 60, s % 60);
  }
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string to_hex(std::span<const unsigned char> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

std::string to_hex(std::span<const std::byte> bytes) {
  return to_hex(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(bytes.data()),
                                               bytes.size()));
}

std::string sql_quote(std::string_view s, char quote) {
  std::string out(1, quote);
  for (char c : s) {
    out += c;
    if (c == quote) {
      out += quote;
    }
  }
  out += quote;
  return out;
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        out += fmt::format("\\u{:04x}", static_cast<int>(c));
      } else {
        out += c;
      }
    }
  }
  out += '"';
  return out;
}

std::string redact_url(std::string_view url) {
  std::string s(url);
  size_t scheme = s.find("://");
  if (scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t slash = s.find('/', start);
    size_t at = s.rfind('@', slash == std::string::npos ? std::string::npos : slash);
    if (at != std::string::npos && at > start) {
      size_t colon = s.find(':', start);
      if (colon != std::string::npos && colon < at) {
        s = s.substr(0, colon + 1) + "***" + s.substr(at);
      }
    }
  }
  // Query parameters and keyword strings: password=..., api_secret=...
  static const std::regex kv(R"((password|passwd|secret|api_secret|token)=([^&\s]*))",
                             std::regex::icase);
  s = std::regex_replace(s, kv, "$1=***");
  return s;
}

} // namespace lifeboat
