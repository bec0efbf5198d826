#include "core/backup_id.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "codec/codec.hpp"

namespace lifeboat::core {

namespace {

constexpr std::size_t k_stamp = 15; // "YYYYMMDD-HHMMSS"
constexpr int k_max_seq = 99999;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "NAME-YYYYMMDD-HHMMSS" without a suffix.
std::optional<BackupId> parse_plain(std::string_view id) {
  if (id.size() <= k_stamp + 1 || id[id.size() - k_stamp - 1] != '-') {
    return std::nullopt;
  }
  auto time = parse_compact(id.substr(id.size() - k_stamp));
  if (!time) {
    return std::nullopt;
  }
  return BackupId{std::string(id.substr(0, id.size() - k_stamp - 1)), *time, 1};
}

Result<BackupId> checked(std::string_view id, BackupId b) {
  if (auto ok = check_name(b.name); !ok) {
    return unexpected(fmt::format("invalid backup id '{}': {}", id, ok.error()));
  }
  return b;
}

std::string short_hash(std::string_view text) {
  codec::Sha256 sha;
  sha.observe(std::as_bytes(std::span(text.data(), text.size())));
  sha.finish();
  return sha.hex().substr(0, 6);
}

} // namespace

std::string BackupId::str() const {
  std::string s = name + "-" + format_compact(std::chrono::floor<std::chrono::seconds>(time));
  if (seq > 1) {
    s += "-" + std::to_string(seq);
  }
  return s;
}

std::string BackupId::data_key(std::string_view payload, std::string_view extension,
                               bool encrypted) const {
  std::string key = object_prefix() + std::string(payload);
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
  if (!std::all_of(name.begin(), name.end(), is_name_char)) {
    return unexpected(fmt::format(
        "invalid database name '{}': use letters, digits, '_', '.' and '-' only", name));
  }
  return {};
}

Result<BackupId> BackupId::parse(std::string_view id, std::optional<std::string_view> name) {
  auto bad = [&] {
    return unexpected(
        fmt::format("invalid backup id '{}': expected NAME-YYYYMMDD-HHMMSS[-N]", id));
  };
  // With a suffix: "...-YYYYMMDD-HHMMSS-N", N from 2 without leading zeros.
  if (auto dash = id.rfind('-'); dash != std::string_view::npos) {
    std::string_view seq = id.substr(dash + 1);
    if (all_digits(seq) && seq.size() <= 5 && seq.front() != '0') {
      if (auto b = parse_plain(id.substr(0, dash))) {
        int n = std::stoi(std::string(seq));
        if (n >= 2 && n <= k_max_seq && (!name || b->name == *name)) {
          b->seq = n;
          return checked(id, *b);
        }
      }
    }
  }
  auto b = parse_plain(id);
  if (!b) {
    return bad();
  }
  if (name && b->name != *name) {
    return unexpected(fmt::format("invalid backup id '{}': it is not a backup of '{}'", id, *name));
  }
  return checked(id, *b);
}

std::optional<ObjectName> parse_object_key(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos || key.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view name = key.substr(0, slash);
  std::string_view file = key.substr(slash + 1);
  if (!file.starts_with(name) || file.size() <= name.size() + 1 + k_stamp) {
    return std::nullopt;
  }
  // The id ends at the first '.' after the timestamp (and suffix).
  auto dot = file.find('.', name.size() + 1 + k_stamp);
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  auto id = BackupId::parse(file.substr(0, dot), name);
  if (!id) {
    return std::nullopt;
  }
  std::string_view rest = file.substr(dot + 1);
  ObjectName out{*id, ObjectKind::data};
  if (rest == "manifest.json") {
    out.kind = ObjectKind::manifest;
  } else if (rest == "sha256") {
    out.kind = ObjectKind::checksum;
  } else if (rest == "reserved") {
    out.kind = ObjectKind::reservation;
  } else if (rest == "pinned") {
    out.kind = ObjectKind::pin;
  } else if (!(rest.starts_with("db") || rest.starts_with("sql") || rest.starts_with("dump"))) {
    return std::nullopt;
  }
  return out;
}

std::string derive_name(std::string_view stem) {
  std::string out;
  bool lossy = false;
  for (char c : stem) {
    if (is_name_char(c)) {
      out.push_back(c);
    } else {
      lossy = true;
      // One '_' for a run of replaced bytes (a UTF-8 letter is several).
      if (out.empty() || out.back() != '_') {
        out.push_back('_');
      }
    }
  }
  while (!out.empty() && (out.front() == '.' || out.front() == '-')) {
    lossy = true;
    out.erase(out.begin());
  }
  if (out.size() > 57) {
    out.resize(57);
    lossy = true;
  }
  // Nothing readable left ("日本" → "_"): "db" reads better, the hash tells them apart.
  if (std::none_of(out.begin(), out.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      })) {
    out = "db";
    lossy = lossy || !stem.empty();
  }
  if (lossy) {
    out += "-" + short_hash(stem);
  }
  return out;
}

std::string default_name_for_path(std::string_view path) {
  return derive_name(std::filesystem::path(path).stem().string());
}

} // namespace lifeboat::core
