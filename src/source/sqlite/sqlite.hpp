// source/sqlite: consistent snapshots of SQLite databases, their checks and row
// counts, and restore into a live database through the Online Backup API.
//
// Never compresses, hashes or stores anything: the snapshot is streamed as the
// bytes of a database file into a pipeline::Sink supplied by the caller.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/inventory.hpp"
#include "pipeline/pipeline.hpp"

namespace lifeboat::source::sqlite {

struct DatabaseInfo {
  // Every user table (not sqlite_*, not virtual), as ("main", name) with its rows.
  core::Inventory tables;
  std::string sqlite_version;     // library version, e.g. "3.40.1"
  std::uint32_t page_size = 0;
  std::uint64_t page_count = 0;
  std::uint64_t size_bytes = 0;   // page_size * page_count: bytes of the image
  std::string journal_mode;       // of the source: "wal", "delete", ...
  std::string integrity_check;    // "quick_check" or "integrity_check": which one passed
};

struct SnapshotOptions {
  bool full_integrity_check = false; // integrity_check instead of quick_check
  int busy_timeout_ms = 10000;       // waiting for writers to let go
};

// True when the file starts with the SQLite header "SQLite format 3\0".
bool looks_like_sqlite(const std::filesystem::path& path);

// Streams a consistent snapshot of `db` (taken while other processes keep writing)
// into `out` as the bytes of a complete database file, on the calling thread.
// The snapshot's integrity (quick_check or integrity_check) and foreign keys are
// checked and its per-table row counts taken from the same snapshot.
// Throws Error{not_found} for a missing file, Error{usage} for a file that is not a
// SQLite database, Error{integrity} naming the check that failed.
DatabaseInfo snapshot(const std::filesystem::path& db, pipeline::Sink& out,
                      const SnapshotOptions& options = {});

// Opens a database file read-only and runs the same checks and counts.
DatabaseInfo inspect(const std::filesystem::path& db, bool full_integrity_check = false);

// Replaces the content of `target` (created if missing) with the database in
// `image` through the Online Backup API, in one write transaction: open readers
// see the old or the new content, never a mix. `image` must already be checked.
void restore_into(const std::filesystem::path& image, const std::filesystem::path& target,
                  int busy_timeout_ms = 10000);

} // namespace lifeboat::source::sqlite
