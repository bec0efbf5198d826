// core/manifest: the JSON record that makes a backup exist (docs/format.md).
//
// A manifest is written last, after the data object and its checksum are stored in
// full; a backup exists if and only if its manifest exists. It never holds a secret:
// sources are redacted, encryption is recorded by public keys only.
//
// Grammar (JSON object, "format": "lifeboat-manifest/1"; unknown keys are ignored
// by readers of the same major version, so fields can be added compatibly):
//   format, id, name, kind ("sqlite"|"postgres"), reason ("manual"|"scheduled"|"safety"|"import"),
//   source (redacted), source_id, server_version, tool_version, host,
//   started_at, finished_at (ISO 8601 UTC, ms), duration_seconds,
//   data { key, size, sha256, payload ("db"|"sql"|"dump"), codec ("zstd"|"gzip"|"none"),
//          level, encrypted, recipients [..],
//          parts [ { key, size, sha256 } ] },   ; optional: the data stored as parts
//                                               ; KEY.part0001.. (cat them: KEY), in order
//   checksum_key, uncompressed_size, integrity_check,
//   tables [ { schema, name, rows } ]          ; core/inventory: one entry per table
//   roles { owners [..], privileges [..], policies [..] }   ; PostgreSQL, optional
//   database_settings [ "work_mem=8MB", .. ]               ; PostgreSQL, optional
// roles lists the roles the dump names, by what needs them: object owners (ALTER ...
// OWNER TO), grantees of privileges and default privileges, and policy roles; restore
// checks they exist before it starts. database_settings are the database's own
// ALTER DATABASE ... SET values at backup time. Both are absent from manifests written
// before they were recorded (and from SQLite ones): unknown, not empty.
// A table entry names its schema and table separately, exactly as the database spells
// them ("main" for SQLite). Manifests written before schema was recorded have entries
// { name, rows } only: SQLite names are the table names ("main" is implied); PostgreSQL
// names are pg_dump's COPY name with every `"` removed, "schema.table", which readers
// split at the first dot (as the old writer's restore did). Those names were ambiguous
// (`"a.b"."c"` and `"a"."b.c"` were both "a.b.c"), so such a manifest is marked
// legacy_table_names and compared with found tables named the same lossy way. Their SQLite
// writer also left out tables such as "sqlitedata" (LIKE 'sqlite_%'), so those are left
// out of the comparison with them too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/backup_id.hpp"
#include "core/inventory.hpp"
#include "util/error.hpp"
#include "util/time.hpp"

namespace lifeboat::core {

inline constexpr std::string_view k_manifest_format = "lifeboat-manifest/1";

// One part of a data object stored in parts (storage/split_writer): `cat` of the parts in
// order is the data object. Absent (no parts) in manifests of one-object backups and in
// every manifest written before parts existed.
struct DataPart {
  std::string key;
  std::uint64_t size = 0;
  std::string sha256;
};

struct DataObject {
  std::string key;
  std::uint64_t size = 0;
  std::string sha256;
  std::string payload; // "db", "sql", "dump"
  std::string codec;   // "zstd", "gzip", "none"
  int level = 0;
  bool encrypted = false;
  std::vector<std::string> recipients; // public keys only
  std::vector<DataPart> parts;          // empty: one object under `key`
};

struct RoleUse {
  std::vector<std::string> owners, privileges, policies; // sorted, unique
  bool operator==(const RoleUse&) const = default;
};

struct Manifest {
  std::string id;
  std::string name;
  std::string kind;   // "sqlite", "postgres"
  std::string reason; // "manual", "scheduled", "safety", "import"
  std::string source; // redacted
  // What the source is, independent of how it was written: "sqlite:/abs/real/path.db",
  // "postgres://host:port/dbname". Backups of one name come from one source_id; empty in
  // manifests written before it existed.
  std::string source_id;
  std::string server_version;
  std::string tool_version;
  std::string host;
  TimePoint started_at{};
  TimePoint finished_at{};
  double duration_seconds = 0;
  DataObject data;
  std::string checksum_key;
  std::uint64_t uncompressed_size = 0;
  std::string integrity_check; // which check passed on the snapshot
  Inventory tables;
  std::optional<RoleUse> roles;                         // PostgreSQL; absent: unknown
  std::optional<std::vector<std::string>> database_settings; // PostgreSQL; absent: unknown
  // Read from entries without "schema" (see the grammar above); never written.
  bool legacy_table_names = false;

  bool is_safety() const { return reason == "safety"; }
  std::uint64_t total_rows() const { return tables.total_rows(); }
};

// The largest manifest lifeboat writes or reads: room for about 100,000 tables with
// long names. Reading one, valid or hostile, stays inside 64 MiB (tests/unit/core):
// the table entries become TableCounts as they are parsed and never a JSON tree,
// unknown fields are skipped unbuilt, nesting is capped at k_max_manifest_depth and
// the JSON values outside 'tables' at k_max_manifest_values.
constexpr std::size_t k_max_manifest_size = 8 * 1024 * 1024;
constexpr int k_max_manifest_depth = 8;
constexpr std::size_t k_max_manifest_values = 100'000;

std::string to_json(const Manifest& m);
// Strict: every required field present with the right type, id consistent with
// name and key, no table listed twice. Errors say which field is wrong.
Result<Manifest> parse_manifest(std::string_view json);

// compare(m.tables, found), with `found` first named as the writer of a legacy manifest
// named its tables (legacy_table_names): the one check of verify, restore and import.
std::vector<Difference> compare_with_manifest(const Manifest& m, const Inventory& found);

// `found` named as manifests before schema was recorded named PostgreSQL tables: quotes
// removed, "schema.table" split at its first dot. Tables that collapse to one name merge.
Inventory legacy_postgres_names(const Inventory& found);

// `found` as SQLite manifests before schema was recorded listed tables: without those
// whose names start with "sqlite" and one more character (its filter was LIKE 'sqlite_%',
// where `_` matches any character), so "sqlitedata" is left out as it was then.
Inventory legacy_sqlite_names(const Inventory& found);

// The `sha256sum` line for the data object: "<hex>  <basename>\n".
std::string checksum_line(const DataObject& data);

} // namespace lifeboat::core
