#include "source/postgres/postgres.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "util/cancel.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace lifeboat::source::postgres {

namespace {

std::map<std::string, std::string> child_env(const Connection& c) {
  std::map<std::string, std::string> env;
  if (!c.password.empty()) {
    env["PGPASSWORD"] = c.password.reveal();
  }
  if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    env["PGCONNECT_TIMEOUT"] = "10"; // an unreachable host fails in seconds, not minutes
  }
  return env;
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
  auto shown = [](const std::string& k, const std::string& v) {
    return k == "sslpassword" ? std::string("***") : v;
  };
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
        query += (query.empty() ? "?" : "&") + k + "=" + shown(k, v);
      }
    }
    c.display += query;
  } else {
    for (const auto& [k, v] : given) {
      c.display += (c.display.empty() ? "" : " ") + k + "=" + shown(k, v);
    }
    if (!c.password.empty()) {
      c.display += " password=***";
    }
  }
  c.identity = connection_identity(c.conninfo);
  return c;
}

void dump(const Connection& c, pipeline::Sink& out, const DumpOptions& options) {
  std::vector<std::string> argv = {"pg_dump", "--dbname=" + c.conninfo,
                                   "--format=" + std::string(options.format == "custom" ? "custom" : "plain"),
                                   "--no-owner", "--no-privileges"};
  if (options.format != "custom") {
    // Restore replaces existing objects in the same transaction.
    argv.emplace_back("--clean");
    argv.emplace_back("--if-exists");
  }
  Subprocess child({.argv = argv, .env = child_env(c), .pipe_stdout = true}, "postgresql-client");
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
    throw_tool_error("pg_dump", c, status, child.stderr_text());
  }
}

std::vector<std::string> loader_argv(const Connection& t, const std::string& payload) {
  if (payload == "dump") {
    return {"pg_restore", "--single-transaction", "--exit-on-error", "--clean", "--if-exists",
            "--no-owner", "--no-privileges", "--dbname=" + t.conninfo};
  }
  return {"psql", "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
          "--dbname=" + t.conninfo};
}

struct Loader::Impl {
  Impl(const Connection& t, const std::string& payload)
      : target(t),
        child({.argv = loader_argv(t, payload), .env = child_env(t), .pipe_stdin = true},
              "postgresql-client") {}
  Connection target;
  Subprocess child;
  bool done = false;
};

Loader::Loader(const Connection& target, const std::string& payload)
    : m_impl(std::make_unique<Impl>(target, payload)) {}

CustomDumpChecker::CustomDumpChecker()
    : m_child(std::make_unique<Subprocess>(
          ProcessOptions{.argv = {"pg_restore", "-f", "/dev/null"}, .pipe_stdin = true},
          "postgresql-client")) {}

CustomDumpChecker::~CustomDumpChecker() = default;

void CustomDumpChecker::write(pipeline::Bytes bytes) {
  try {
    m_child->write_stdin(bytes);
  } catch (const Error&) {
    m_child->wait();
    throw Error(ErrorKind::integrity,
                fmt::format("pg_restore cannot read the dump: {}", first_error_line(m_child->stderr_text())));
  }
}

void CustomDumpChecker::finish() {
  m_child->close_stdin();
  if (m_child->wait() != 0) {
    throw Error(ErrorKind::integrity,
                fmt::format("pg_restore cannot read the dump: {}", first_error_line(m_child->stderr_text())));
  }
}

Loader::~Loader() {
  if (!m_impl->done) {
    abort();
  }
}

void Loader::write(pipeline::Bytes bytes) {
  try {
    m_impl->child.write_stdin(bytes);
  } catch (const Error&) {
    // psql stopped: its own error says why.
    int status = m_impl->child.wait();
    m_impl->done = true;
    throw_tool_error("restore with psql", m_impl->target, status, m_impl->child.stderr_text());
  }
}

void Loader::finish() {
  m_impl->child.close_stdin();
  int status = m_impl->child.wait();
  m_impl->done = true;
  if (status != 0) {
    throw_tool_error("restore with psql", m_impl->target, status, m_impl->child.stderr_text());
  }
}

void Loader::abort() {
  // Killing psql drops the connection before COMMIT: the server rolls back.
  m_impl->child.kill(SIGKILL);
  m_impl->child.wait();
  m_impl->done = true;
}

std::vector<std::string> query(const Connection& c, const std::string& sql) {
  Subprocess child({.argv = {"psql", "--no-psqlrc", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                             "--dbname=" + c.conninfo, "-c", sql},
                    .env = child_env(c),
                    .pipe_stdout = true},
                   "postgresql-client");
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

} // namespace lifeboat::source::postgres
