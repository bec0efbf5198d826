#include "source/postgres/postgres.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "util/cancel.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace lifeboat::source::postgres {

namespace {

// Text that a query sent hex-encoded (encode(convert_to(x, 'UTF8'), 'hex')), so that no
// newline or separator inside a name can split or merge rows.
std::string unhex(std::string_view hex) {
  auto digit = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
  };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1])));
  }
  return out;
}

// How a child (pg_dump, psql) gets the connection's secrets: the password as PGPASSWORD;
// an sslpassword (which has no environment variable) through a libpq service file that
// is a pipe read once on fd 3, so it is never in argv or on disk.
ProcessOptions child_options(const Connection& c, std::vector<std::string> argv) {
  ProcessOptions o{.argv = std::move(argv)};
  if (!c.password.empty()) {
    o.env["PGPASSWORD"] = c.password.reveal();
  }
  if (!c.ssl_password.empty()) {
    o.env["PGSERVICEFILE"] = "/dev/fd/3";
    o.env["PGSERVICE"] = "lifeboat";
    o.fd3_content = "[lifeboat]\nsslpassword=" + c.ssl_password.reveal() + "\n";
  }
  if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    o.env["PGCONNECT_TIMEOUT"] = "10"; // an unreachable host fails in seconds, not minutes
  }
  return o;
}

// The first error line of a tool's output, with the DETAIL lines that follow it
// (PostgreSQL names the objects involved there).
std::string first_error_line(const std::string& text) {
  auto lines = split(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    auto t = trim(lines[i]);
    if (t.find("error") != std::string_view::npos || t.find("ERROR") != std::string_view::npos ||
        t.find("FATAL") != std::string_view::npos) {
      std::string out(t);
      for (size_t j = i + 1; j < lines.size() && j < i + 4; ++j) {
        auto d = trim(lines[j]);
        if (!d.starts_with("DETAIL:") && !d.starts_with("HINT:") && !d.starts_with("view ") &&
            d.find(" depends on ") == std::string_view::npos) {
          break;
        }
        out += " " + std::string(d);
      }
      return out;
    }
  }
  return lines.empty() ? std::string() : std::string(trim(lines.back()));
}

[[noreturn]] void throw_tool_error(const std::string& tool, const Connection& c, int status,
                                   const std::string& err) {
  std::string e = err;
  if (e.find("password authentication failed") != std::string::npos ||
      e.find("no password supplied") != std::string::npos) {
    throw Error(ErrorKind::permanent, fmt::format("authentication failed for '{}'", c.display),
                "Check the user and password in the URL (or in DATABASE_URL).");
  }
  if (auto pos = e.find("database \""); pos != std::string::npos &&
                                        e.find("does not exist") != std::string::npos) {
    auto end = e.find('"', pos + 10);
    throw Error(ErrorKind::not_found,
                fmt::format("database '{}' does not exist on '{}'", e.substr(pos + 10, end - pos - 10),
                            c.display),
                "Check the database name at the end of the URL.");
  }
  if (e.find("server version mismatch") != std::string::npos) {
    throw Error(ErrorKind::permanent,
                fmt::format("{} is older than the server of '{}': {}", tool, c.display,
                            first_error_line(e)),
                "Install a postgresql-client whose major version is at least the server's.");
  }
  if (e.find("could not connect") != std::string::npos ||
      e.find("Connection refused") != std::string::npos ||
      e.find("could not translate host name") != std::string::npos ||
      e.find("timeout expired") != std::string::npos ||
      e.find("No route to host") != std::string::npos) {
    throw Error(ErrorKind::transient,
                fmt::format("unable to connect to '{}': {}", c.display, first_error_line(e)),
                "Check that the server is running and reachable from here (host, port, firewall).");
  }
  if (tool == "restore with psql") {
    throw Error(ErrorKind::permanent,
                fmt::format("restore into '{}' failed and was rolled back, nothing was changed: {}",
                            c.display, first_error_line(e)),
                "Fix the cause in the target (or restore into an empty database) and run again.");
  }
  throw Error(ErrorKind::permanent,
              fmt::format("{} failed for '{}' (exit {}): {}", tool, c.display, status,
                          first_error_line(e)));
}

} // namespace

namespace {

// libpq's own reading of the connection (PQconninfoParse), reduced to what names the
// database: host, port and database name. libpq's defaults fill the gaps (the socket
// directory, 5432, the user name) as they would when connecting.
std::string connection_identity(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    if (error != nullptr) {
      PQfreemem(error);
    }
    return "postgres:" + conninfo; // libpq will refuse it when it connects
  }
  std::map<std::string, std::string> v;
  for (auto* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) {
      v[o->keyword] = o->val;
    }
  }
  PQconninfoFree(options);
  auto get = [&](const char* key, std::string fallback) {
    auto it = v.find(key);
    return it == v.end() || it->second.empty() ? fallback : it->second;
  };
  std::string user = get("user", "");
  if (user.empty()) {
    if (const char* u = std::getenv("PGUSER"); u != nullptr && *u != '\0') {
      user = u;
    } else if (const char* u2 = std::getenv("USER"); u2 != nullptr) {
      user = u2;
    }
  }
  std::string host = get("host", get("hostaddr", ""));
  if (host.empty()) {
    const char* h = std::getenv("PGHOST");
    host = h != nullptr && *h != '\0' ? h : "/var/run/postgresql";
  }
  const char* env_port = std::getenv("PGPORT");
  std::string port = get("port", env_port != nullptr && *env_port != '\0' ? env_port : "5432");
  const char* env_db = std::getenv("PGDATABASE");
  std::string dbname = get("dbname", env_db != nullptr && *env_db != '\0' ? env_db : user);
  return fmt::format("postgres://{}:{}/{}", host, port, dbname);
}

} // namespace

Result<Connection> parse_connection(std::string_view text) {
  // libpq's own parser reads URLs and keyword strings alike (a "?password=" query
  // parameter, percent-encoding, quoting), so what lifeboat hands to pg_dump is exactly
  // what libpq would have connected to, minus the password, which goes through the
  // environment. A string libpq refuses is reported without any part of it: it may
  // hold a password.
  std::string s(trim(text));
  char* error = nullptr;
  PQconninfoOption* options = s.empty() ? nullptr : PQconninfoParse(s.c_str(), &error);
  if (error != nullptr) {
    PQfreemem(error);
  }
  if (options == nullptr) {
    return unexpected(std::string(
        "invalid PostgreSQL connection: libpq cannot read it (it is not shown, as it may hold "
        "a password); use postgres://USER@HOST:PORT/DBNAME or \"host=... dbname=...\""));
  }
  Connection c;
  std::vector<std::pair<std::string, std::string>> given; // in libpq's option order
  for (auto* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) {
      continue;
    }
    std::string key = o->keyword;
    if (key == "password") {
      c.password = Secret(o->val);
      continue;
    }
    if (key == "sslpassword") {
      c.ssl_password = Secret(o->val);
      continue;
    }
    given.emplace_back(key, o->val);
  }
  PQconninfoFree(options);

  auto quoted = [](const std::string& v) {
    std::string out = "'";
    for (char ch : v) {
      if (ch == '\'' || ch == '\\') {
        out.push_back('\\');
      }
      out.push_back(ch);
    }
    return out + "'";
  };
  auto value = [&](const char* key) {
    for (const auto& [k, v] : given) {
      if (k == key) {
        return v;
      }
    }
    return std::string();
  };
  for (const auto& [k, v] : given) {
    c.conninfo += (c.conninfo.empty() ? "" : " ") + k + "=" + quoted(v);
  }
  c.dbname = value("dbname");

  // What messages and manifests show, built from the parsed form: the URL shape for
  // URLs, the keyword shape for keyword strings; secrets as ***.
  bool url = s.starts_with("postgres://") || s.starts_with("postgresql://");
  if (url) {
    std::string user = value("user");
    std::string host = value("host").empty() ? value("hostaddr") : value("host");
    std::string port = value("port");
    c.display = s.substr(0, s.find("://") + 3);
    if (!user.empty()) {
      c.display += user + (c.password.empty() ? "" : ":***") + "@";
    }
    c.display += host + (port.empty() ? "" : ":" + port);
    if (!c.dbname.empty()) {
      c.display += "/" + c.dbname;
    }
    std::string query;
    for (const auto& [k, v] : given) {
      if (k != "user" && k != "host" && k != "hostaddr" && k != "port" && k != "dbname") {
        query += (query.empty() ? "?" : "&") + k + "=" + v;
      }
    }
    if (!c.ssl_password.empty()) {
      query += std::string(query.empty() ? "?" : "&") + "sslpassword=***";
    }
    c.display += query;
  } else {
    for (const auto& [k, v] : given) {
      c.display += (c.display.empty() ? "" : " ") + k + "=" + v;
    }
    if (!c.password.empty()) {
      c.display += " password=***";
    }
    if (!c.ssl_password.empty()) {
      c.display += " sslpassword=***";
    }
  }
  c.identity = connection_identity(c.conninfo);
  return c;
}

namespace {

// "ERROR:  canceling statement due to lock timeout" (the restore's lock_timeout), or
// pg_dump's --lock-wait-timeout, which it implements as a statement_timeout on its
// "LOCK TABLE ... IN ACCESS SHARE MODE".
bool is_lock_timeout(const std::string& err) {
  return err.find("due to lock timeout") != std::string::npos ||
         err.find("could not obtain lock") != std::string::npos ||
         (err.find("due to statement timeout") != std::string::npos &&
          err.find("LOCK TABLE ") != std::string::npos);
}

std::string holders_text(const Connection& c, bool exclusive_only) {
  std::vector<std::string> holders;
  try {
    holders = lock_holders(c, exclusive_only);
  } catch (const Error& e) {
    return fmt::format(" (the sessions holding it could not be listed: {})", e.what());
  }
  if (holders.empty()) {
    return " (the session that held it has ended)";
  }
  return "; held by: " + join(holders, "; ");
}

// A connection that broke (the server went away, a proxy cut it, a session was
// terminated), as psql reports it.
bool is_connection_lost(const std::string& err) {
  return err.find("server closed the connection unexpectedly") != std::string::npos ||
         err.find("connection to server was lost") != std::string::npos ||
         err.find("terminating connection") != std::string::npos ||
         err.find("could not receive data from server") != std::string::npos ||
         err.find("could not send data to server") != std::string::npos;
}

} // namespace

void dump(const Connection& c, pipeline::Sink& out, const DumpOptions& options) {
  // Full fidelity: owners, ACLs and default privileges are in every dump; a restore onto
  // a server without those roles leaves them out (restore --no-owner --no-privileges).
  std::vector<std::string> argv = {
      "pg_dump", "--dbname=" + c.conninfo,
      "--format=" + std::string(options.format == "custom" ? "custom" : "plain"),
      fmt::format("--lock-wait-timeout={}s", std::max(1, options.lock_wait_seconds))};
  if (options.format != "custom") {
    // A by-hand `psql -1 -f dump.sql` replaces existing objects in the same transaction.
    argv.emplace_back("--clean");
    argv.emplace_back("--if-exists");
  }
  ProcessOptions po = child_options(c, argv);
  po.pipe_stdout = true;
  Subprocess child(po, "postgresql-client");
  std::vector<std::byte> buf(256 * 1024);
  while (true) {
    throw_if_cancelled();
    size_t n = child.read_stdout(buf);
    if (n == 0) {
      break;
    }
    out.write(pipeline::Bytes(buf.data(), n));
  }
  int status = child.wait();
  if (status != 0) {
    std::string err = child.stderr_text();
    if (is_lock_timeout(err)) {
      std::string table;
      if (auto at = err.find("LOCK TABLE "); at != std::string::npos) {
        auto end = err.find(" IN ACCESS SHARE MODE", at);
        table = err.substr(at + 11, end == std::string::npos ? 0 : end - at - 11);
      }
      throw Error(ErrorKind::transient,
                  fmt::format("pg_dump of '{}' waited {}s for a lock on {} and gave up{}", c.display,
                              options.lock_wait_seconds, table.empty() ? "a table" : table,
                              holders_text(c, true)),
                  "A session holds an ACCESS EXCLUSIVE lock (ALTER TABLE, VACUUM FULL, a "
                  "migration). Let it finish and run again, or raise [postgres] lock_timeout.");
    }
    throw_tool_error("pg_dump", c, status, err);
  }
}

std::vector<std::string> database_settings(const Connection& c) {
  // Hex, so that a value holding a newline or '|' stays one row.
  auto rows = query(c, "SELECT encode(convert_to(s.c, 'UTF8'), 'hex') FROM pg_catalog.pg_db_role_setting r, "
                       "unnest(r.setconfig) WITH ORDINALITY AS s(c, n) WHERE r.setrole = 0 AND "
                       "r.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = "
                       "current_database()) ORDER BY s.n");
  std::vector<std::string> out;
  for (const auto& r : rows) {
    out.push_back(unhex(r));
  }
  return out;
}

struct Loader::Impl {
  explicit Impl(const Connection& t)
      : target(t),
        child(options(t), "postgresql-client") {}
  static ProcessOptions options(const Connection& t) {
    ProcessOptions o = child_options(t, {"psql", "--no-psqlrc", "--quiet", "--single-transaction",
                                         "-v", "ON_ERROR_STOP=1", "--dbname=" + t.conninfo});
    o.pipe_stdin = true;
    return o;
  }
  [[noreturn]] void fail(int status, bool input_ended) {
    done = true;
    std::string err = child.stderr_text();
    if (is_lock_timeout(err)) {
      throw Error(ErrorKind::transient,
                  fmt::format("restore into '{}' waited for a lock and gave up; it was rolled "
                              "back, nothing was changed{}",
                              target.display, holders_text(target, false)),
                  "End those sessions (or pass --terminate-connections) and run again.");
    }
    if (input_ended && is_connection_lost(err)) {
      // The whole script was sent: the connection may have broken during COMMIT, after
      // the server made it durable. Nobody can say from here which.
      throw Error(ErrorKind::transient,
                  fmt::format("the connection to '{}' was lost at the end of the restore, while "
                              "committing: the target may or may not have changed: {}",
                              target.display, first_error_line(err)),
                  "Look at the target before anything else; the safety backup undoes the restore "
                  "if it committed.");
    }
    if (is_connection_lost(err)) {
      throw Error(ErrorKind::transient,
                  fmt::format("the connection to '{}' was lost during the restore, before COMMIT: "
                              "it was rolled back, nothing was changed: {}",
                              target.display, first_error_line(err)),
                  "Check the server and the network, then run again.");
    }
    throw_tool_error("restore with psql", target, status, err);
  }
  Connection target;
  Subprocess child;
  bool done = false;
};

Loader::Loader(const Connection& target) : m_impl(std::make_unique<Impl>(target)) {}

Loader::~Loader() {
  if (!m_impl->done) {
    abort();
  }
}

void Loader::write(pipeline::Bytes bytes) {
  try {
    m_impl->child.write_stdin(bytes);
  } catch (const Error&) {
    // psql stopped before the end of the script: it never sent COMMIT.
    m_impl->fail(m_impl->child.wait(), false);
  }
}

void Loader::finish() {
  m_impl->child.close_stdin();
  int status = m_impl->child.wait();
  if (status != 0) {
    m_impl->fail(status, true);
  }
  m_impl->done = true;
}

void Loader::abort() {
  // Killing psql drops the connection before COMMIT: the server rolls back.
  m_impl->child.kill(SIGKILL);
  m_impl->child.wait();
  m_impl->done = true;
}

struct CustomToScript::Impl {
  Impl(pipeline::Sink& o, const std::vector<std::string>& extra) : out(o), child(options(extra), "postgresql-client") {
    reader = std::thread([this] { read(); });
  }
  ~Impl() {
    if (reader.joinable()) {
      child.kill(SIGKILL);
      reader.join();
    }
  }
  static ProcessOptions options(const std::vector<std::string>& extra) {
    ProcessOptions o{.argv = {"pg_restore", "--file=-"}, .pipe_stdin = true, .pipe_stdout = true};
    o.argv.insert(o.argv.end(), extra.begin(), extra.end());
    return o;
  }
  void read() {
    try {
      std::vector<std::byte> buf(256 * 1024);
      while (std::size_t n = child.read_stdout(buf)) {
        out.write(pipeline::Bytes(buf.data(), n));
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      error = std::current_exception();
      child.kill(SIGKILL); // our writes to its input now fail instead of blocking
    }
  }
  void rethrow() {
    std::lock_guard lock(mutex);
    if (error) {
      std::rethrow_exception(error);
    }
  }
  [[noreturn]] void unreadable() {
    throw Error(ErrorKind::integrity,
                fmt::format("pg_restore cannot read the dump: {}", first_error_line(child.stderr_text())));
  }
  pipeline::Sink& out;
  Subprocess child;
  std::thread reader;
  std::mutex mutex;
  std::exception_ptr error;
};

CustomToScript::CustomToScript(pipeline::Sink& out, const std::vector<std::string>& extra_args)
    : m_impl(std::make_unique<Impl>(out, extra_args)) {}

CustomToScript::~CustomToScript() = default;

void CustomToScript::write(pipeline::Bytes bytes) {
  m_impl->rethrow();
  try {
    m_impl->child.write_stdin(bytes);
  } catch (const Error&) {
    m_impl->reader.join();
    m_impl->rethrow();
    m_impl->child.wait();
    m_impl->unreadable();
  }
}

void CustomToScript::finish() {
  m_impl->child.close_stdin();
  m_impl->reader.join();
  m_impl->rethrow();
  if (m_impl->child.wait() != 0) {
    m_impl->unreadable();
  }
}

class CustomDumpObserver::Feed final : public pipeline::Sink {
public:
  explicit Feed(DumpObserver& o) : m_observer(o) {}
  void write(pipeline::Bytes bytes) override { m_observer.observe(bytes); }

private:
  DumpObserver& m_observer;
};

CustomDumpObserver::CustomDumpObserver()
    : m_feed(std::make_unique<Feed>(m_script)), m_convert(std::make_unique<CustomToScript>(*m_feed)) {}

CustomDumpObserver::~CustomDumpObserver() = default;

void CustomDumpObserver::observe(pipeline::Bytes bytes) {
  m_convert->write(bytes);
}

void CustomDumpObserver::finish() {
  m_convert->finish();
  m_script.finish();
}

std::vector<std::string> query(const Connection& c, const std::string& sql) {
  ProcessOptions po = child_options(c, {"psql", "--no-psqlrc", "-X", "-A", "-t", "-q", "-v",
                                        "ON_ERROR_STOP=1", "--dbname=" + c.conninfo, "-c", sql});
  po.pipe_stdout = true;
  Subprocess child(po, "postgresql-client");
  std::string out;
  std::vector<std::byte> buf(65536);
  while (size_t n = child.read_stdout(buf)) {
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  int status = child.wait();
  if (status != 0) {
    throw_tool_error("psql", c, status, child.stderr_text());
  }
  std::vector<std::string> rows;
  for (auto& l : split(out, '\n')) {
    if (!l.empty()) {
      rows.push_back(l);
    }
  }
  return rows;
}

core::Inventory count_rows(const Connection& c, const core::Inventory& tables) {
  core::Inventory out;
  if (tables.empty()) {
    return out;
  }
  // Rows come back as "index|count": a table's name may hold '|' or a newline, its
  // index cannot.
  std::string sql;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const auto& t = tables.tables()[i];
    sql += (sql.empty() ? "" : " UNION ALL ") +
           fmt::format("SELECT {}, count(*) FROM ONLY {}", i, core::quote_name(t.schema, t.table));
  }
  for (const auto& row : query(c, sql)) {
    auto bar = row.find('|');
    std::size_t i = std::stoull(row.substr(0, bar));
    LIFEBOAT_ASSERT(bar != std::string::npos && i < tables.size());
    const auto& t = tables.tables()[i];
    out.add({.schema = t.schema, .table = t.table, .rows = std::stoull(row.substr(bar + 1))});
  }
  return out;
}

bool is_empty(const Connection& c) {
  auto rows = query(c, "SELECT count(*) FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace "
                       "WHERE k.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN "
                       "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'");
  return rows.empty() || rows[0] == "0";
}

std::vector<std::string> lock_holders(const Connection& c, bool exclusive_only) {
  // The table is named schema-qualified whatever the search_path (regclass is not).
  std::string sql = fmt::format(
      "SELECT encode(convert_to(format('pid %s (user %s, application %L, %s since %s) holds %s "
      "on %s', a.pid, a.usename, a.application_name, a.state, to_char(coalesce(a.xact_start, "
      "a.backend_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'), l.mode, "
      "format('%I.%I', n.nspname, k.relname)), 'UTF8'), 'hex') FROM pg_catalog.pg_locks l JOIN "
      "pg_catalog.pg_stat_activity a ON a.pid = l.pid JOIN pg_catalog.pg_class k ON k.oid = "
      "l.relation JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace WHERE l.granted AND "
      "l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE "
      "datname = current_database()) AND l.pid <> pg_backend_pid() AND n.nspname NOT IN "
      "('pg_catalog', 'information_schema'){} ORDER BY a.pid, l.mode, 1",
      exclusive_only ? " AND l.mode = 'AccessExclusiveLock'" : "");
  std::vector<std::string> out;
  for (const auto& row : query(c, sql)) {
    out.push_back(unhex(row));
  }
  return out;
}

int terminate_connections(const Connection& c) {
  auto rows = query(c, "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM "
                       "pg_catalog.pg_stat_activity WHERE datname = current_database() AND pid <> "
                       "pg_backend_pid() AND backend_type = 'client backend'");
  return rows.empty() ? 0 : std::stoi(rows[0]);
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"') {
      out.push_back('"');
    }
    out.push_back(ch);
  }
  return out + "\"";
}

namespace {

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'') {
      out.push_back('\'');
    }
    out.push_back(ch);
  }
  return out + "'";
}

// The variables whose values pg_db_role_setting keeps as a list of quoted elements
// (GUC_LIST_QUOTE; pg_dump's variable_is_guc_list_quote).
bool is_list_quote(std::string_view name) {
  for (std::string_view v : {"local_preload_libraries", "search_path", "session_preload_libraries",
                             "shared_preload_libraries", "temp_tablespaces",
                             "unix_socket_directories"}) {
    if (name == v) {
      return true;
    }
  }
  return false;
}

// `name=value` of pg_db_role_setting as the SET clause pg_dump writes for it.
std::string set_clause(const std::string& entry) {
  auto eq = entry.find('=');
  std::string name = entry.substr(0, eq);
  std::string value = eq == std::string::npos ? std::string() : entry.substr(eq + 1);
  if (!is_list_quote(name)) {
    return fmt::format("SET {} TO {}", name, quote_literal(value));
  }
  // "\"$user\", public": elements separated by commas, each maybe double-quoted.
  std::vector<std::string> items;
  std::string item;
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char ch = value[i];
    if (ch == '"') {
      if (quoted && i + 1 < value.size() && value[i + 1] == '"') {
        item.push_back('"');
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (ch == ',' && !quoted) {
      items.push_back(std::string(trim(item)));
      item.clear();
    } else {
      item.push_back(ch);
    }
  }
  items.push_back(std::string(trim(item)));
  std::string list;
  for (const auto& i : items) {
    list += (list.empty() ? "" : ", ") + quote_literal(i);
  }
  return fmt::format("SET {} TO {}", name, list);
}

} // namespace

TargetState inspect_target(const Connection& c) {
  TargetState t;
  // One query, one row per fact, each value hex-encoded: kind|hex.
  auto rows = query(
      c,
      "SELECT 'd|' || encode(convert_to(current_database(), 'UTF8'), 'hex') UNION ALL "
      "SELECT 'v|' || current_setting('server_version_num') UNION ALL "
      "SELECT 's|' || encode(convert_to(nspname, 'UTF8'), 'hex') FROM pg_catalog.pg_namespace "
      "WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' "
      "UNION ALL SELECT 't|' || encode(convert_to(n.nspname, 'UTF8'), 'hex') || '|' || "
      "encode(convert_to(k.relname, 'UTF8'), 'hex') FROM pg_catalog.pg_class k JOIN "
      "pg_catalog.pg_namespace n ON n.oid = k.relnamespace WHERE k.relkind IN ('r', 'p') AND "
      "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
      "UNION ALL SELECT 'c|' || encode(convert_to(s.c, 'UTF8'), 'hex') FROM "
      "pg_catalog.pg_db_role_setting r, unnest(r.setconfig) AS s(c) WHERE r.setrole = 0 AND "
      "r.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = "
      "current_database()) UNION ALL SELECT 'r|' || encode(convert_to(rolname, 'UTF8'), 'hex') "
      "FROM pg_catalog.pg_roles UNION ALL SELECT 'l|' || count(*) FROM "
      "pg_catalog.pg_largeobject_metadata");
  for (const auto& row : rows) {
    std::string_view v = std::string_view(row).substr(2);
    switch (row[0]) {
    case 'd':
      t.database = unhex(v);
      break;
    case 'v':
      t.server_version_num = std::stoi(std::string(v));
      break;
    case 's':
      t.schemas.push_back(unhex(v));
      break;
    case 't': {
      auto bar = v.find('|');
      t.tables.add({.schema = unhex(v.substr(0, bar)), .table = unhex(v.substr(bar + 1)), .rows = 0});
      break;
    }
    case 'c':
      t.settings.push_back(unhex(v));
      break;
    case 'r':
      t.roles.push_back(unhex(v));
      break;
    case 'l':
      t.has_large_objects = v != "0";
      break;
    default:
      break;
    }
  }
  std::sort(t.schemas.begin(), t.schemas.end());
  std::sort(t.settings.begin(), t.settings.end());
  return t;
}

std::string replace_prologue(const TargetState& target, int lock_timeout_seconds) {
  std::string sql = fmt::format("SET lock_timeout = '{}s';\n", std::max(1, lock_timeout_seconds));
  for (const auto& schema : target.schemas) {
    sql += fmt::format("DROP SCHEMA {} CASCADE;\n", quote_ident(schema));
  }
  // public as initdb makes it: the dump holds only how it differs from that.
  if (target.server_version_num >= 150000) {
    sql += "CREATE SCHEMA public AUTHORIZATION pg_database_owner;\n"
           "GRANT USAGE ON SCHEMA public TO PUBLIC;\n";
  } else {
    sql += "CREATE SCHEMA public;\n"
           "DO $lifeboat$ BEGIN EXECUTE format('ALTER SCHEMA public OWNER TO %I', "
           "(SELECT rolname FROM pg_catalog.pg_roles WHERE oid = 10)); END $lifeboat$;\n"
           "GRANT ALL ON SCHEMA public TO PUBLIC;\n";
  }
  sql += "COMMENT ON SCHEMA public IS 'standard public schema';\n";
  if (target.has_large_objects) {
    sql += "SELECT count(pg_catalog.lo_unlink(oid)) FROM pg_catalog.pg_largeobject_metadata;\n";
  }
  return sql;
}

std::string settings_epilogue(const TargetState& target, const std::vector<std::string>& wanted) {
  std::vector<std::string> sorted = wanted;
  std::sort(sorted.begin(), sorted.end());
  if (sorted == target.settings) {
    return {};
  }
  std::string db = quote_ident(target.database);
  std::string sql = fmt::format("ALTER DATABASE {} RESET ALL;\n", db);
  for (const auto& entry : wanted) {
    sql += fmt::format("ALTER DATABASE {} {};\n", db, set_clause(entry));
  }
  return sql;
}

} // namespace lifeboat::source::postgres
