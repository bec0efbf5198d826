// core/backup_id: the names of backups and of all their objects (docs/format.md). Every
// key of a backup is built and parsed here and nowhere else: data, checksum sidecar,
// manifest, reservation and pin marker.
//
//   id          = NAME "-" YYYYMMDD "-" HHMMSS [ "-" SEQ ]   (UTC: the real start second)
//   SEQ         = %x32-39 / %x31-39 1*DIGIT                   2, 3, ...: the 2nd, 3rd ... backup
//                                                              of NAME started in that second
//   NAME        = 1*64 ( ALPHA / DIGIT / "_" / "." / "-" ), not starting with "." or "-"
//   data key    = NAME "/" id "." payload [ "." codec ] [ ".age" ]
//   checksum    = NAME "/" id ".sha256"
//   manifest    = NAME "/" id ".manifest.json"        the commit point, written last
//   reservation = NAME "/" id ".reserved"             created if absent before anything else;
//                                                     removed once the backup is committed
//   pin         = NAME "/" id ".pinned"               retention never removes a pinned backup
//
// An id never names a time the backup was not started in, and two backups never get
// the same id: the second of a second gets "-2" (see allocate in commands/backup).
// Never touches a storage; it only names things.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"
#include "util/time.hpp"

namespace lifeboat::core {

struct BackupId {
  std::string name;
  TimePoint time{}; // whole seconds
  int seq = 1;      // 1: no suffix; 2 and up: "-2", ...

  std::string str() const;
  std::string manifest_key() const { return object_prefix() + "manifest.json"; }
  std::string checksum_key() const { return object_prefix() + "sha256"; }
  std::string reservation_key() const { return object_prefix() + "reserved"; }
  std::string pin_key() const { return object_prefix() + "pinned"; }
  // payload "db" | "sql" | "dump"; extension "zst" | "gz" | "" (none).
  std::string data_key(std::string_view payload, std::string_view extension,
                       bool encrypted = false) const;
  // Prefix shared by every object of this backup: "NAME/ID."
  std::string object_prefix() const { return name + "/" + str() + "."; }
  // The same id with the next sequence number.
  BackupId next() const { return {name, time, seq + 1}; }

  // Accepts ids with and without the SEQ suffix. With `name` given, the id must be of
  // that database (this also settles ids whose NAME itself ends like a timestamp).
  static Result<BackupId> parse(std::string_view id, std::optional<std::string_view> name = {});

  bool operator==(const BackupId&) const = default;
};

// What an object of a backup is, judged by its key alone.
enum class ObjectKind { data, checksum, manifest, reservation, pin };

struct ObjectName {
  BackupId id;
  ObjectKind kind = ObjectKind::data;
};

// Parses "NAME/ID.rest"; nullopt for keys that are not objects of a backup (those are
// never touched by prune). Data objects are recognised by their payload suffix.
std::optional<ObjectName> parse_object_key(std::string_view key);

Result<void> check_name(std::string_view name);

// A database name derived from a path or a PostgreSQL database name: "/srv/app.db" → "app".
// Characters outside NAME's set are replaced, and when anything was replaced or dropped
// a short stable hash of the original is appended ("my db" → "my_db-5f0e3c"), so two
// sources never derive the same name ("日本" and "中国" differ).
std::string default_name_for_path(std::string_view path);
std::string derive_name(std::string_view stem);

} // namespace lifeboat::core
