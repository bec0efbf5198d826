#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sqlite3.h>

#include "harness/harness.hpp"
#include "source/sqlite/readahead_vfs.hpp"
#include "source/sqlite/sqlite.hpp"
#include "util/error.hpp"

using namespace lifeboat;
using namespace lifeboat::source::sqlite;
namespace fs = std::filesystem;

namespace {

class FileSink final : public pipeline::Sink {
public:
  explicit FileSink(const fs::path& p) : m_out(p, std::ios::binary) {}
  void write(pipeline::Bytes b) override {
    m_out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  void close() { m_out.close(); }

private:
  std::ofstream m_out;
};

void sql(const fs::path& db, const std::string& statements) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(h, statements.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

std::string query(const fs::path& db, const std::string& q) {
  std::string out = test::shell("sqlite3 '" + db.string() + "' \"" + q + "\"").second;
  while (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

void make_db(const fs::path& db, const std::string& mode, int rows, int page_size = 4096) {
  sql(db, "PRAGMA page_size=" + std::to_string(page_size) + "; PRAGMA journal_mode=" + mode +
              "; CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);"
              "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id), v BLOB);"
              "INSERT INTO p VALUES (1, 'one'), (2, 'two');"
              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
              std::to_string(rows) + ") INSERT INTO c SELECT i, 1 + i % 2, randomblob(200) FROM n;");
}

DatabaseInfo snap(const fs::path& db, const fs::path& image) {
  FileSink sink(image);
  DatabaseInfo info = snapshot(db, sink);
  sink.close();
  return info;
}

std::string error_of(const std::function<void()>& f, ErrorKind* kind = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (kind != nullptr) {
      *kind = e.kind();
    }
    return e.what();
  }
  return "no error";
}

} // namespace

TEST(SqliteSnapshot, CopiesAStaticDatabaseExactly) {
  for (const char* mode : {"wal", "delete"}) {
    for (int page_size : {512, 4096, 65536}) {
      test::TempDir dir;
      make_db(dir / "src.db", mode, 3000, page_size);
      sql(dir / "src.db", "DELETE FROM c WHERE id % 3 = 0;"); // a freelist
      DatabaseInfo info = snap(dir / "src.db", dir / "image.db");
      EXPECT_EQ(info.page_size, static_cast<std::uint32_t>(page_size));
      EXPECT_EQ(fs::file_size(dir / "image.db"), info.size_bytes);
      EXPECT_EQ(query(dir / "image.db", "pragma integrity_check"), "ok");
      EXPECT_EQ(query(dir / "image.db", ".dump"), query(dir / "src.db", ".dump"));
      ASSERT_EQ(info.tables.size(), 2u);
      EXPECT_EQ(info.tables.tables()[0].table, "c");
      EXPECT_EQ(info.tables.tables()[0].rows, 2000u);
      EXPECT_EQ(info.tables.tables()[1].rows, 2u);
      EXPECT_EQ(info.journal_mode, mode);
      EXPECT_EQ(info.integrity_check, "quick_check");
    }
  }
}

TEST(SqliteSnapshot, EmptyDatabase) {
  test::TempDir dir;
  sql(dir / "empty.db", "PRAGMA user_version = 1;");
  DatabaseInfo info = snap(dir / "empty.db", dir / "image.db");
  EXPECT_TRUE(info.tables.empty());
  EXPECT_EQ(query(dir / "image.db", "pragma user_version"), "1");
}

TEST(SqliteSnapshot, ConsistentWhileAnotherProcessWrites) {
  for (const char* mode : {"wal", "delete"}) {
    test::TempDir dir;
    fs::path db = dir / "live.db";
    make_db(db, mode, 20000);
    std::string writer =
        "for i in $(seq 1 3000); do echo \"PRAGMA busy_timeout=5000; INSERT INTO c(p_id, v) "
        "VALUES (1, randomblob(300));\"; done | sqlite3 '" + db.string() + "' > /dev/null 2>&1 & echo $!";
    FILE* p = popen(writer.c_str(), "r");
    char buf[64] = {};
    ASSERT_NE(fgets(buf, sizeof buf, p), nullptr);
    pclose(p);
    for (int round = 0; round < 3; ++round) {
      DatabaseInfo info = snap(db, dir / "image.db");
      EXPECT_EQ(query(dir / "image.db", "pragma integrity_check"), "ok") << mode;
      EXPECT_EQ(query(dir / "image.db", "select count(*) from c"),
                std::to_string(info.tables.tables()[0].rows))
          << mode;
    }
    std::system(("kill " + std::string(buf) + " 2>/dev/null; wait").c_str());
  }
}

TEST(SqliteSnapshot, Chinook) {
  fs::path src = test::shared_testdata("chinook");
  if (src.empty()) {
    LIFEBOAT_SKIP("../shared/testdata/chinook is absent");
  }
  test::TempDir dir;
  fs::copy_file(src / "Chinook_Sqlite.sqlite", dir / "chinook.db");
  DatabaseInfo info = snap(dir / "chinook.db", dir / "image.db");
  std::string counts;
  for (const auto& t : info.tables) {
    counts += t.table + "=" + std::to_string(t.rows) + " ";
  }
  EXPECT_EQ(counts, "Album=347 Artist=275 Customer=59 Employee=8 Genre=25 Invoice=412 "
                    "InvoiceLine=2240 MediaType=5 Playlist=18 PlaylistTrack=8715 Track=3503 ");
  EXPECT_EQ(query(dir / "image.db", ".dump"), query(dir / "chinook.db", ".dump"));
}

// A table name is data: dots and quotes in it never merge two tables.
TEST(SqliteSnapshot, TableNamesWithDotsAndQuotes) {
  test::TempDir dir;
  sql(dir / "names.db",
      "CREATE TABLE \"a.b\" (x); INSERT INTO \"a.b\" VALUES (1);"
      "CREATE TABLE \"a\"\"b\" (x); INSERT INTO \"a\"\"b\" VALUES (1), (2);"
      "CREATE TABLE \"main.x\" (x); INSERT INTO \"main.x\" VALUES (1), (2), (3);"
      "CREATE TABLE x (x); INSERT INTO x VALUES (1), (2), (3), (4);"
      "CREATE TABLE \"we\"\"ird\" (x); INSERT INTO \"we\"\"ird\" VALUES (1), (2), (3), (4), (5);"
      // Not reserved: only names starting with "sqlite_" are SQLite's own.
      "CREATE TABLE sqlitedata (x); INSERT INTO sqlitedata VALUES (1), (2), (3), (4), (5), (6);");
  core::Inventory want{{"main", "a.b", 1}, {"main", "a\"b", 2},    {"main", "main.x", 3},
                       {"main", "x", 4},   {"main", "we\"ird", 5}, {"main", "sqlitedata", 6}};
  EXPECT_EQ(snap(dir / "names.db", dir / "image.db").tables, want);
  EXPECT_EQ(inspect(dir / "image.db").tables, want);
  EXPECT_EQ(inspect(dir / "names.db", true).tables, want);
}

TEST(SqliteSnapshot, CorruptionIsAnIntegrityError) {
  test::TempDir dir;
  make_db(dir / "bad.db", "delete", 5000);
  {
    std::fstream f(dir / "bad.db", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 20 + 100);
    std::string junk(2000, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  ErrorKind kind{};
  std::string msg = error_of([&] { snap(dir / "bad.db", dir / "image.db"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::integrity) << msg;
  EXPECT_NE(msg.find("of database '" + (dir / "bad.db").string() + "' failed"), std::string::npos) << msg;
}

TEST(SqliteSnapshot, ForeignKeyViolationNamesTheTable) {
  test::TempDir dir;
  make_db(dir / "fk.db", "delete", 10);
  sql(dir / "fk.db", "INSERT INTO c VALUES (999, 42, NULL);");
  ErrorKind kind{};
  std::string msg = error_of([&] { snap(dir / "fk.db", dir / "image.db"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::integrity);
  EXPECT_EQ(msg, "foreign_key_check of database '" + (dir / "fk.db").string() +
                     "' failed: row 999 of table 'c' refers to a missing row of 'p'");
}

TEST(SqliteSnapshot, MissingAndForeignFiles) {
  test::TempDir dir;
  ErrorKind kind{};
  EXPECT_EQ(error_of([&] { snap(dir / "missing.db", dir / "i"); }, &kind),
            "database '" + (dir / "missing.db").string() + "' does not exist");
  EXPECT_EQ(kind, ErrorKind::usage);
  EXPECT_FALSE(fs::exists(dir / "missing.db"));
  test::write_file(dir / "notes.txt", "hello, this is not a database at all, just text");
  EXPECT_EQ(error_of([&] { snap(dir / "notes.txt", dir / "i"); }, &kind),
            "'" + (dir / "notes.txt").string() + "' is not a SQLite database");
  EXPECT_EQ(kind, ErrorKind::usage);
}

TEST(SqliteRestore, OpenReadersSeeTheNewContent) {
  test::TempDir dir;
  make_db(dir / "image.db", "delete", 100);
  make_db(dir / "target.db", "wal", 5);
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "target.db").c_str(), &reader), SQLITE_OK);
  auto count = [&] {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(reader, "SELECT count(*) FROM c", -1, &s, nullptr);
    sqlite3_step(s);
    int n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return n;
  };
  EXPECT_EQ(count(), 5);
  restore_into(dir / "image.db", dir / "target.db");
  EXPECT_EQ(count(), 100);
  sqlite3_close(reader);
  DatabaseInfo info = inspect(dir / "target.db");
  EXPECT_EQ(info.tables.tables()[0].rows, 100u);
}

// The read-ahead VFS must return exactly what the default VFS returns, whatever the
// access pattern: ascending, descending, random, and reads past a short last block.
TEST(SqliteReadahead, ReadsWhatTheDefaultVfsReads) {
  test::TempDir dir;
  fs::path db = dir.path() / "ra.db";
  make_db(db, "wal", 20000, 1024);
  const char* queries[] = {
      "SELECT sum(length(v)), sum(id) FROM c",
      "SELECT group_concat(hex(substr(v, 1, 4)), '') FROM (SELECT v FROM c ORDER BY id DESC)",
      "SELECT group_concat(id, ',') FROM (SELECT id FROM c ORDER BY random() LIMIT 3000)",
      "PRAGMA integrity_check",
  };
  for (const char* q : queries) {
    std::string results[2];
    for (int vfs = 0; vfs < 2; ++vfs) {
      sqlite3* h = nullptr;
      ASSERT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, vfs ? readahead_vfs() : nullptr),
                SQLITE_OK);
      ASSERT_EQ(sqlite3_exec(h, "SELECT 1 FROM sqlite_schema; BEGIN; SELECT count(*) FROM p",
                             nullptr, nullptr, nullptr),
                SQLITE_OK);
      set_readahead(h, vfs == 1);
      sqlite3_stmt* s = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(h, q, -1, &s, nullptr), SQLITE_OK);
      while (sqlite3_step(s) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(s); ++c) {
          const unsigned char* t = sqlite3_column_text(s, c);
          results[vfs] += t != nullptr ? reinterpret_cast<const char*>(t) : "NULL";
          results[vfs] += '|';
        }
      }
      sqlite3_finalize(s);
      set_readahead(h, false);
      sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(h);
    }
    if (std::string(q).find("random()") == std::string::npos) {
      EXPECT_EQ(results[0], results[1]) << q;
    } else {
      EXPECT_FALSE(results[1].empty());
    }
  }
}
