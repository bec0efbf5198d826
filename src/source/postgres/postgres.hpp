// source/postgres: PostgreSQL through its own tools. pg_dump runs as a child and its
// output is read from a pipe into a Sink; psql loads a plain dump in one transaction.
//
// Passwords never reach an argument list: a connection is split into a conninfo
// without the password (for argv) and the password (for PGPASSWORD).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/inventory.hpp"
#include "source/postgres/script.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"
#include "util/secret.hpp"

namespace lifeboat {
class Subprocess;
}

namespace lifeboat::source::postgres {

struct Connection {
  std::string conninfo; // URL or keyword string without the password
  Secret password;      // empty when none was given
  std::string dbname;   // for default backup names
  std::string display;  // redacted, for messages and manifests
  // Which database this is, however the connection is written (URL or keywords, user,
  // options): "postgres://HOST:PORT/DBNAME" as libpq's PQconninfoParse reads it, with
  // libpq's defaults for what is left out. Never holds a secret.
  std::string identity;
};

// Accepts postgres:// and postgresql:// URLs (with query options such as
// sslmode=require) and libpq keyword strings ("host=db dbname=app password=...").
Result<Connection> parse_connection(std::string_view text);

struct DumpOptions {
  std::string format = "plain"; // plain | custom
};

// Runs pg_dump and streams its output into `out` on the calling thread. Throws
// Error with a specific message for authentication failures, unreachable servers,
// missing databases, a missing pg_dump and a pg_dump older than the server.
void dump(const Connection& c, pipeline::Sink& out, const DumpOptions& options = {});

// Streams a plain dump into psql: `--single-transaction -v ON_ERROR_STOP=1`, so a
// failure at any point leaves the target as it was. Call write() with the script,
// then finish(); destroying an unfinished loader kills psql, which rolls back.
class Loader final : public pipeline::Sink {
public:
  // payload "sql" loads with psql; "dump" (custom format) with pg_restore
  // --single-transaction --exit-on-error --clean --if-exists.
  explicit Loader(const Connection& target, const std::string& payload = "sql");
  ~Loader() override;
  void write(pipeline::Bytes bytes) override;
  void finish(); // commits; throws with psql's error when the load failed
  void abort();  // kills psql: nothing is committed

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Reads a custom-format dump completely with `pg_restore -f /dev/null`, so every
// data block is decoded; finish() throws Error{integrity} when it cannot.
class CustomDumpChecker final : public pipeline::Sink {
public:
  CustomDumpChecker();
  ~CustomDumpChecker() override;
  void write(pipeline::Bytes bytes) override;
  void finish();

private:
  std::unique_ptr<Subprocess> m_child;
};

// Runs one SQL query with psql and returns its unaligned rows ("a|b").
std::vector<std::string> query(const Connection& c, const std::string& sql);

// The rows each table of `tables` holds now in `c` (`SELECT count(*) FROM ONLY`, each
// name quoted as core::quote_name), as an inventory of the same tables: compare it with
// core::compare. Throws with psql's error when a table does not exist.
core::Inventory count_rows(const Connection& c, const core::Inventory& tables);

// True when the database holds no user tables.
bool is_empty(const Connection& c);

} // namespace lifeboat::source::postgres
