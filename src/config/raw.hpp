// config/raw: the flat form of a parsed TOML file, between loader.cpp (toml++) and
// config.cpp (typed values). Internal to the config layer.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace lifeboat::config {

struct RawEntry {
  std::string path;     // "database[0].url"
  std::string spec_key; // "database.url": the options() key
  std::variant<std::string, std::int64_t, bool, std::vector<std::string>> value;
  int line = 0;
};

// Parses TOML text; throws Error{config} "NAME:LINE:COL: message" on syntax errors,
// unknown keys and wrong types.
std::vector<RawEntry> parse_raw(std::string_view text, const std::string& name);

} // namespace lifeboat::config
