#include "core/backup_id.hpp"

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

namespace lifeboat::core {

std::string BackupId::str() const {
  return name + "-" + format_compact(std::chrono::floor<std::chrono::seconds>(time));
}

std::string BackupId::data_key(std::string_view payload, std::string_view extension,
                               bool encrypted) const {
  std::string key = name + "/" + str() + "." + std::string(payload);
  if (!extension.empty()) {
    key += "." + std::string(extension);
  }
  if (encrypted) {
    key += ".age";
  }
  return key;
}

Result<void> check_name(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return unexpected(fmt::format("invalid database name '{}': use 1 to 64 characters", name));
  }
  if (name.front() == '.' || name.front() == '-') {
    return unexpected(
        fmt::format("invalid database name '{}': it must not start with '.' or '-'", name));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) {
      return unexpected(fmt::format(
          "invalid database name '{}': use letters, digits, '_', '.' and '-' only", name));
    }
  }
  return {};
}

Result<BackupId> BackupId::parse(std::string_view id) {
  // The timestamp is the fixed-width tail "-YYYYMMDD-HHMMSS" (16 characters).
  constexpr size_t k_tail = 16;
  if (id.size() <= k_tail || id[id.size() - k_tail] != '-') {
    return unexpected(
        fmt::format("invalid backup id '{}': expected NAME-YYYYMMDD-HHMMSS", id));
  }
  std::string_view name = id.substr(0, id.size() - k_tail);
  auto time = parse_compact(id.substr(id.size() - k_tail + 1));
  if (!time) {
    return unexpected(
        fmt::format("invalid backup id '{}': expected NAME-YYYYMMDD-HHMMSS", id));
  }
  if (auto ok = check_name(name); !ok) {
    return unexpected(fmt::format("invalid backup id '{}': {}", id, ok.error()));
  }
  return BackupId{std::string(name), *time};
}

std::string default_name_for_path(std::string_view path) {
  std::string stem = std::filesystem::path(path).stem().string();
  std::string out;
  for (char c : stem) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    out.push_back(ok ? c : '_');
  }
  while (!out.empty() && (out.front() == '.' || out.front() == '-')) {
    out.erase(out.begin());
  }
  if (out.empty()) {
    out = "db";
  }
  return out.substr(0, 64);
}

} // namespace lifeboat::core
