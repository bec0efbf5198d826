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
  Secret ssl_password;  // sslpassword (for an encrypted client key); never in conninfo
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
  // pg_dump --lock-wait-timeout: how long it waits for each table's ACCESS SHARE lock
  // (behind an ALTER TABLE, a VACUUM FULL) before it fails naming the holders.
  int lock_wait_seconds = 30;
};

// Runs pg_dump and streams its output into `out` on the calling thread, with owners,
// privileges and default privileges (full fidelity: restore can leave them out).
// Throws Error with a specific message for authentication failures, unreachable
// servers, missing databases, a missing pg_dump, a pg_dump older than the server, and
// a lock it could not get in time (naming the sessions that hold it).
void dump(const Connection& c, pipeline::Sink& out, const DumpOptions& options = {});

// The database's own settings (ALTER DATABASE ... SET), as pg_db_role_setting holds
// them ("work_mem=8MB"); pg_dump writes them only with --create. Empty when none.
std::vector<std::string> database_settings(const Connection& c);

// Streams a plain script into psql: `--single-transaction -v ON_ERROR_STOP=1`, so a
// failure at any point leaves the target as it was. Call write() with the script,
// then finish(); destroying an unfinished loader kills psql, which rolls back.
class Loader final : public pipeline::Sink {
public:
  explicit Loader(const Connection& target);
  ~Loader() override;
  void write(pipeline::Bytes bytes) override;
  // Ends the input: psql commits. Throws with psql's error when the load failed; the
  // error says whether the target may have changed (a connection lost during COMMIT).
  void finish();
  void abort(); // kills psql: nothing is committed

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Converts a custom-format dump into the plain script it holds (`pg_restore` writing
// to standard output, extra_args such as --no-owner), which a reader thread writes
// to `out`. write() and finish() throw Error{integrity} when pg_restore cannot read
// the dump, or rethrow what `out` threw.
class CustomToScript final : public pipeline::Sink {
public:
  explicit CustomToScript(pipeline::Sink& out, const std::vector<std::string>& extra_args = {});
  ~CustomToScript() override;
  void write(pipeline::Bytes bytes) override;
  void finish();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// A DumpObserver for custom-format dumps: the same counts and roles, read from the
// script pg_restore makes of the dump as it streams past.
class CustomDumpObserver final : public pipeline::Observer {
public:
  CustomDumpObserver();
  ~CustomDumpObserver() override;
  void observe(pipeline::Bytes bytes) override;
  void finish() override;
  const DumpObserver& script() const { return m_script; }

private:
  class Feed;
  DumpObserver m_script;
  std::unique_ptr<Feed> m_feed;
  std::unique_ptr<CustomToScript> m_convert;
};

// Runs one SQL query with psql and returns its unaligned rows ("a|b").
std::vector<std::string> query(const Connection& c, const std::string& sql);

// The rows each table of `tables` holds now in `c` (`SELECT count(*) FROM ONLY`, each
// name quoted as core::quote_name), as an inventory of the same tables: compare it with
// core::compare. Throws with psql's error when a table does not exist.
core::Inventory count_rows(const Connection& c, const core::Inventory& tables);

// True when the database holds no user tables.
bool is_empty(const Connection& c);

// The sessions other than this one that hold table locks in the database, one line
// each: "pid 4711 (user app, application 'worker', idle in transaction since
// 2026-12-02 10:00:00 UTC) holds AccessExclusiveLock on public.orders". With
// exclusive_only, only the ACCESS EXCLUSIVE locks (the ones that block a dump).
std::vector<std::string> lock_holders(const Connection& c, bool exclusive_only);

// Ends every other session of the target's database (pg_terminate_backend); returns
// how many were ended.
int terminate_connections(const Connection& c);

// Facts about the target that an exact in-place restore needs.
struct TargetState {
  std::string database;              // current_database()
  int server_version_num = 0;        // 150004
  std::vector<std::string> schemas;  // user schemas, "public" included when present
  core::Inventory tables;            // user tables (rows 0: not counted)
  std::vector<std::string> settings; // ALTER DATABASE ... SET of this database
  std::vector<std::string> roles;    // every role of the server
  bool has_large_objects = false;
};
TargetState inspect_target(const Connection& c);

// SQL that empties the target's user schemas and large objects inside the restore's
// transaction, so that the dump loads into a database holding nothing else; public is
// recreated as initdb makes it (the dump then restores its owner, ACL and comment).
std::string replace_prologue(const TargetState& target, int lock_timeout_seconds);

// SQL that gives the target database the settings `wanted` (ALTER DATABASE ... SET),
// as pg_dump --create would write them; "" when it already has them.
std::string settings_epilogue(const TargetState& target, const std::vector<std::string>& wanted);

// Quotes an identifier as PostgreSQL's quote_ident would (always quoted here).
std::string quote_ident(std::string_view name);

} // namespace lifeboat::source::postgres
