// core/backup_id: the names of backups and of their objects (docs/format.md).
//
//   id          = NAME "-" YYYYMMDD "-" HHMMSS        (UTC)
//   NAME        = 1*64 ( ALPHA / DIGIT / "_" / "." / "-" ), not starting with "." or "-"
//   data key    = NAME "/" id "." payload [ "." codec ] [ ".age" ]
//   checksum    = NAME "/" id ".sha256"
//   manifest    = NAME "/" id ".manifest.json"        the commit point, written last
#pragma once

#include <string>
#include <string_view>

#include "util/error.hpp"
#include "util/time.hpp"

namespace lifeboat::core {

struct BackupId {
  std::string name;
  TimePoint time{};

  std::string str() const;
  std::string manifest_key() const { return name + "/" + str() + ".manifest.json"; }
  std::string checksum_key() const { return name + "/" + str() + ".sha256"; }
  // payload "db" | "sql" | "dump"; extension "zst" | "gz" | "" (none).
  std::string data_key(std::string_view payload, std::string_view extension,
                       bool encrypted = false) const;
  // Prefix shared by every object of this backup: "NAME/ID."
  std::string object_prefix() const { return name + "/" + str() + "."; }

  static Result<BackupId> parse(std::string_view id);
};

Result<void> check_name(std::string_view name);

// A database name derived from a path or URL: "/srv/app.db" → "app".
std::string default_name_for_path(std::string_view path);

} // namespace lifeboat::core
