// util/strings: small string helpers with no lifeboat-specific knowledge.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat {

bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::vector<std::string> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
// The parts with `separator` between them.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// "1.5 GiB", "512 B"
std::string format_bytes(std::uint64_t bytes);
// "1.2 s", "350 ms", "2m05s"
std::string format_seconds(double seconds);

std::string to_hex(std::span<const std::byte> bytes);
std::string to_hex(std::span<const unsigned char> bytes);

// An SQL identifier ('"') or literal ('\'') in quotes, the quote character doubled.
std::string sql_quote(std::string_view s, char quote);

// A JSON string literal with quotes, escaping control characters.
std::string json_quote(std::string_view s);

// Removes the password from URLs with userinfo (scheme://user:pass@host → user:***@host)
// and from libpq keyword strings (password=... → password=***).
std::string redact_url(std::string_view url);

} // namespace lifeboat
