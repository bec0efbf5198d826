// SQLite snapshots, streamed.
//
// How the snapshot is taken (docs/ARCHITECTURE.md, "Decisions"):
// 1. Open the source with SQLite itself and start a read transaction. That is the
//    lock the Online Backup API takes; it fixes one snapshot while writers go on
//    (WAL) or wait (rollback journal).
// 2. In WAL mode the snapshot must live entirely in the main file, so first the WAL
//    is checkpointed and truncated; after BEGIN the -wal file must still be empty,
//    which means this reader holds WAL read-lock 0 and no checkpointer may write
//    into the main file until it ends. If that cannot be had (writers too busy,
//    read-only file), we fall back to the Online Backup API into a temporary file.
// 3. Stream page_count * page_size bytes of the main file through SQLite's own file
//    handle (SQLITE_FCNTL_FILE_POINTER): the bytes are exactly the snapshot, and no
//    second descriptor can drop SQLite's POSIX locks when closed.
// 4. On a second connection whose read transaction began while the first one held
//    its own (so it sees the same snapshot), in a second thread while the pages
//    stream: quick_check (or integrity_check), foreign_key_check and a count of every
//    table, so the checks and counts describe exactly the bytes that were streamed.
//    When the second read lock cannot be had, the checks run afterwards on the first.
#include "source/sqlite/sqlite.hpp"

#include "source/sqlite/readahead_vfs.hpp"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::source::sqlite {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_chunk = 1024 * 1024;

class Db {
public:
  Db(const fs::path& path, int flags, const char* what, const char* vfs = nullptr) {
    int rc = sqlite3_open_v2(path.c_str(), &m_db, flags, vfs);
    if (rc != SQLITE_OK) {
      std::string msg = m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
      sqlite3_close(m_db);
      m_db = nullptr;
      throw Error(ErrorKind::permanent,
                  fmt::format("unable to open database '{}' for {}: {}", path.string(), what, msg));
    }
    sqlite3_extended_result_codes(m_db, 1);
  }
  ~Db() { sqlite3_close_v2(m_db); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  sqlite3* get() const { return m_db; }
  std::string errmsg() const { return sqlite3_errmsg(m_db); }

  // Like sqlite3_busy_timeout, but polls every millisecond for the first 200 ms
  // instead of backing off to 100 ms sleeps: a writer in rollback-journal mode frees
  // the lock only for moments between transactions, and a long sleeper misses them.
  void busy_timeout(int timeout_ms) {
    m_busy_timeout_ms = timeout_ms;
    sqlite3_busy_handler(
        m_db,
        [](void* self, int attempts) -> int {
          int limit = static_cast<const Db*>(self)->m_busy_timeout_ms;
          int waited = attempts < 200 ? attempts : 200 + (attempts - 200) * 5;
          if (waited >= limit) {
            return 0;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(attempts < 200 ? 1 : 5));
          return 1;
        },
        this);
  }

private:
  sqlite3* m_db = nullptr;
  int m_busy_timeout_ms = 0;
};

class Stmt {
public:
  Stmt(const Db& db, const std::string& sql) : m_db(db) {
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &m_stmt, nullptr) != SQLITE_OK) {
      throw Error(ErrorKind::permanent, fmt::format("sqlite: {} ({})", db.errmsg(), sql));
    }
  }
  ~Stmt() { sqlite3_finalize(m_stmt); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  // True while there is a row; throws on error.
  bool step() {
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    ErrorKind kind = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED
                         ? ErrorKind::transient
                         : (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB
                               ? ErrorKind::integrity
                               : ErrorKind::permanent;
    throw Error(kind, fmt::format("sqlite: {}", m_db.errmsg()));
  }
  std::string text(int col) const {
    const unsigned char* t = sqlite3_column_text(m_stmt, col);
    return t != nullptr ? reinterpret_cast<const char*>(t) : "";
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(m_stmt, col); }

private:
  const Db& m_db;
  sqlite3_stmt* m_stmt = nullptr;
};

void exec(const Db& db, const std::string& sql) {
  Stmt s(db, sql);
  while (s.step()) {
  }
}

void check_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw Error(ErrorKind::usage, fmt::format("database '{}' does not exist", path.string()),
                "Check the path given with --db or in the configuration.");
  }
  if (!fs::is_regular_file(path, ec)) {
    throw Error(ErrorKind::usage, fmt::format("'{}' is not a SQLite database: not a regular file",
                                              path.string()));
  }
  if (fs::file_size(path, ec) > 0 && !looks_like_sqlite(path)) {
    throw Error(ErrorKind::usage, fmt::format("'{}' is not a SQLite database", path.string()),
                "Its first bytes are not the SQLite header; check the path.");
  }
}

// Checks and counts, in whatever transaction `db` is in.
void run_checks(const Db& db, const fs::path& path, bool full, DatabaseInfo& info) {
  // Every page is read once, mostly in file order: read ahead (readahead_vfs.cpp).
  // The caller holds a read transaction, so the file cannot change under the blocks.
  set_readahead(db.get(), true);
  struct Off {
    const Db& db;
    ~Off() { set_readahead(db.get(), false); }
  } off{db};
  {
    const char* check = full ? "integrity_check" : "quick_check";
    Stmt s(db, fmt::format("PRAGMA {}", check));
    std::vector<std::string> problems;
    while (s.step()) {
      std::string row = s.text(0);
      if (row != "ok") {
        problems.push_back(row);
      }
    }
    if (!problems.empty()) {
      std::string first;
      for (size_t i = 0; i < problems.size() && i < 3; ++i) {
        first += (i ? "; " : "") + problems[i];
      }
      throw Error(ErrorKind::integrity,
                  fmt::format("{} of database '{}' failed: {}", check, path.string(), first),
                  "The database itself is damaged; restore it from a backup or repair it with "
                  "sqlite3's .recover before backing it up.");
    }
    info.integrity_check = check;
  }
  {
    Stmt s(db, "PRAGMA foreign_key_check");
    if (s.step()) {
      std::string table = s.text(0);
      std::int64_t rowid = s.int64(1);
      std::string parent = s.text(2);
      throw Error(ErrorKind::integrity,
                  fmt::format("foreign_key_check of database '{}' failed: row {} of table '{}' "
                              "refers to a missing row of '{}'",
                              path.string(), rowid, table, parent),
                  "Fix or remove the rows that break the foreign key before backing up.");
    }
  }
  // SQLite reserves names starting with "sqlite_" (any case) for itself; the `_` is
  // escaped, or LIKE would also skip a user's table "sqlitedata".
  std::vector<std::string> tables;
  {
    Stmt s(db, "SELECT name FROM sqlite_schema WHERE type = 'table' "
               "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
               "AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name");
    while (s.step()) {
      tables.push_back(s.text(0));
    }
  }
  info.tables = {};
  for (const auto& t : tables) {
    Stmt s(db, "SELECT count(*) FROM " + core::quote_name("main", t));
    s.step();
    info.tables.add({.schema = "main", .table = t, .rows = static_cast<std::uint64_t>(s.int64(0))});
  }
}

void read_header_info(const Db& db, DatabaseInfo& info) {
  {
    Stmt s(db, "PRAGMA page_size");
    s.step();
    info.page_size = static_cast<std::uint32_t>(s.int64(0));
  }
  {
    Stmt s(db, "PRAGMA page_count");
    s.step();
    info.page_count = static_cast<std::uint64_t>(s.int64(0));
  }
  {
    Stmt s(db, "PRAGMA journal_mode");
    s.step();
    info.journal_mode = s.text(0);
  }
  info.size_bytes = static_cast<std::uint64_t>(info.page_size) * info.page_count;
  info.sqlite_version = sqlite3_libversion();
}

// Streams the first `bytes` of the main database file through SQLite's own handle.
void stream_main_file(const Db& db, std::uint64_t bytes, pipeline::Sink& out,
                      const fs::path& path) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr) {
    throw Error(ErrorKind::permanent,
                fmt::format("unable to read database '{}': no file handle", path.string()));
  }
  std::vector<std::byte> buf(k_chunk);
  std::uint64_t offset = 0;
  while (offset < bytes) {
    throw_if_cancelled();
    int n = static_cast<int>(std::min<std::uint64_t>(buf.size(), bytes - offset));
    int rc = file->pMethods->xRead(file, buf.data(), n, static_cast<sqlite3_int64>(offset));
    if (rc != SQLITE_OK) {
      throw Error(ErrorKind::permanent,
                  fmt::format("unable to read database '{}' at offset {}: {}", path.string(),
                              offset, sqlite3_errstr(rc)));
    }
    out.write(pipeline::Bytes(buf.data(), static_cast<std::size_t>(n)));
    offset += static_cast<std::uint64_t>(n);
  }
}

bool wal_is_empty(const fs::path& db) {
  std::error_code ec;
  fs::path wal = db.string() + "-wal";
  return !fs::exists(wal, ec) || fs::file_size(wal, ec) == 0;
}

// Fallback: the Online Backup API into a temporary file, then stream that file.
DatabaseInfo snapshot_via_backup_api(const fs::path& path, pipeline::Sink& out,
                                     const SnapshotOptions& options) {
  fs::path tmp = fs::temp_directory_path() / fmt::format("lifeboat-snapshot-{}.db", random_suffix());
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove(p, ec);
      fs::remove(p.string() + "-journal", ec);
    }
  } cleanup{tmp};
  {
    Db src(path, SQLITE_OPEN_READONLY, "backup");
    src.busy_timeout(options.busy_timeout_ms);
    Db dst(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "backup");
    sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
    if (b == nullptr) {
      throw Error(ErrorKind::permanent,
                  fmt::format("unable to back up '{}': {}", path.string(), dst.errmsg()));
    }
    int rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      throw Error((rc & 0xff) == SQLITE_BUSY ? ErrorKind::transient : ErrorKind::permanent,
                  fmt::format("unable to back up '{}': {}", path.string(), sqlite3_errstr(rc)));
    }
  }
  DatabaseInfo info;
  Db db(tmp, SQLITE_OPEN_READONLY, "read");
  exec(db, "BEGIN");
  read_header_info(db, info);
  stream_main_file(db, info.size_bytes, out, path);
  run_checks(db, path, options.full_integrity_check, info);
  exec(db, "COMMIT");
  Db src(path, SQLITE_OPEN_READONLY, "read");
  Stmt s(src, "PRAGMA journal_mode");
  s.step();
  info.journal_mode = s.text(0);
  return info;
}

} // namespace

bool looks_like_sqlite(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  return in.gcount() == 16 && std::memcmp(header, "SQLite format 3\0", 16) == 0;
}

DatabaseInfo snapshot(const fs::path& path, pipeline::Sink& out, const SnapshotOptions& options) {
  check_file(path);
  // Read-write so that the WAL can be checkpointed; nothing else is ever written.
  bool writable = ::access(path.c_str(), W_OK) == 0 &&
                  ::access(path.parent_path().empty() ? "." : path.parent_path().c_str(), W_OK) == 0;
  if (!writable) {
    log::debug("'{}' is read-only: snapshot through the Online Backup API", path.string());
    return snapshot_via_backup_api(path, out, options);
  }
  Db db(path, SQLITE_OPEN_READWRITE, "backup");
  db.busy_timeout(options.busy_timeout_ms);
  DatabaseInfo info;
  std::string mode;
  {
    Stmt s(db, "PRAGMA journal_mode");
    try {
      s.step();
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::integrity) {
        throw Error(ErrorKind::usage, fmt::format("'{}' is not a SQLite database: {}",
                                                  path.string(), e.what()));
      }
      throw;
    }
    mode = s.text(0);
  }
  bool wal = mode == "wal";
  // A second connection runs the checks in parallel with the copy; it must see the
  // same snapshot, so its read transaction starts while the first one holds its own.
  Db checker_db(path, SQLITE_OPEN_READONLY, "backup", readahead_vfs());
  checker_db.busy_timeout(200);
  bool parallel = false;
  bool ready = false;
  for (int attempt = 0; attempt < 50 && !ready; ++attempt) {
    if (wal) {
      Stmt cp(db, "PRAGMA wal_checkpoint(TRUNCATE)");
      cp.step(); // busy is reported in column 0; the check below decides
    }
    exec(db, "BEGIN");
    exec(db, "SELECT count(*) FROM sqlite_schema"); // takes the read lock: the snapshot
    try {
      exec(checker_db, "BEGIN");
      exec(checker_db, "SELECT count(*) FROM sqlite_schema");
      parallel = true;
    } catch (const Error&) {
      // Rollback mode with a writer waiting for its PENDING lock: check afterwards
      // on the first connection instead.
      parallel = false;
      sqlite3_exec(checker_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    // In rollback mode both read locks pin the file. In WAL mode an empty WAL after
    // both transactions began means both read only the main file, and no checkpoint
    // can change it until they end.
    if (!wal || wal_is_empty(path)) {
      ready = true;
    } else {
      exec(db, "COMMIT");
      sqlite3_exec(checker_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      std::this_thread::sleep_for(std::chrono::milliseconds(2 * (attempt + 1)));
    }
  }
  if (!ready) {
    log::warning("'{}' is too busy to checkpoint its WAL: snapshot through a temporary copy",
                 path.string());
    return snapshot_via_backup_api(path, out, options);
  }
  read_header_info(db, info);
  if (parallel) {
    DatabaseInfo checked;
    std::exception_ptr failure;
    {
      std::jthread checker([&] {
        try {
          run_checks(checker_db, path, options.full_integrity_check, checked);
        } catch (...) {
          failure = std::current_exception();
        }
      });
      try {
        stream_main_file(db, info.size_bytes, out, path);
      } catch (...) {
        sqlite3_interrupt(checker_db.get()); // no point finishing the checks
        throw;
      }
    }
    if (failure) {
      std::rethrow_exception(failure);
    }
    info.tables = std::move(checked.tables);
    info.integrity_check = checked.integrity_check;
    exec(checker_db, "COMMIT");
  } else {
    stream_main_file(db, info.size_bytes, out, path);
    run_checks(db, path, options.full_integrity_check, info);
  }
  exec(db, "COMMIT");
  info.journal_mode = mode;
  return info;
}

DatabaseInfo inspect(const fs::path& path, bool full_integrity_check) {
  check_file(path);
  Db db(path, SQLITE_OPEN_READONLY, "read", readahead_vfs());
  DatabaseInfo info;
  try {
    exec(db, "BEGIN");
    read_header_info(db, info);
    run_checks(db, path, full_integrity_check, info);
    exec(db, "COMMIT");
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::permanent || e.kind() == ErrorKind::integrity) {
      throw Error(ErrorKind::integrity, e.what(), e.hint());
    }
    throw;
  }
  return info;
}

void restore_into(const fs::path& image, const fs::path& target, int busy_timeout_ms) {
  Db src(image, SQLITE_OPEN_READONLY, "restore");
  Db dst(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "restore");
  dst.busy_timeout(busy_timeout_ms);
  sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (b == nullptr) {
    throw Error(ErrorKind::permanent,
                fmt::format("unable to restore into '{}': {}", target.string(), dst.errmsg()));
  }
  // One step: the whole copy is one write transaction on the target, so readers
  // see the old content or the new, never a mix, and a failure changes nothing.
  int rc = sqlite3_backup_step(b, -1);
  while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    busy_timeout_ms -= 50;
    if (busy_timeout_ms <= 0) {
      break;
    }
    rc = sqlite3_backup_step(b, -1);
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    throw Error((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? ErrorKind::transient
                                                                           : ErrorKind::permanent,
                fmt::format("unable to restore into '{}': {}", target.string(), sqlite3_errstr(rc)),
                (rc & 0xff) == SQLITE_BUSY
                    ? "Another process holds a lock on the database; stop the application and retry."
                    : "");
  }
}

} // namespace lifeboat::source::sqlite
