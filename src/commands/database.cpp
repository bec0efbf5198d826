#include "commands/database.hpp"

#include <fmt/format.h>

#include "core/backup_id.hpp"
#include "source/postgres/postgres.hpp"
#include "util/strings.hpp"

namespace lifeboat::commands {

std::string DatabaseUrl::display() const {
  if (kind == Kind::sqlite) {
    return path.string();
  }
  // Redacted from libpq's parsed form (source/postgres), never by pattern.
  auto c = source::postgres::parse_connection(url);
  return c ? c->display : std::string("(an unreadable PostgreSQL connection)");
}

Result<DatabaseUrl> parse_database_url(std::string_view text) {
  std::string s(trim(text));
  if (s.empty()) {
    return unexpected(std::string("empty database URL"));
  }
  DatabaseUrl db;
  if (s.starts_with("postgres://") || s.starts_with("postgresql://") ||
      (s.find('=') != std::string::npos && s.find("://") == std::string::npos &&
       (s.find("dbname=") != std::string::npos || s.find("host=") != std::string::npos))) {
    db.kind = DatabaseUrl::Kind::postgres;
    db.url = s;
    return db;
  }
  std::string path = s;
  if (s.starts_with("sqlite://")) {
    path = s.substr(9); // sqlite:///abs → /abs
  } else if (s.starts_with("sqlite:")) {
    path = s.substr(7);
  } else if (s.find("://") != std::string::npos) {
    return unexpected(fmt::format(
        "unsupported database URL '{}': use a SQLite path, sqlite:PATH, or postgres://...",
        redact_url(s)));
  }
  if (path.empty()) {
    return unexpected(fmt::format("database URL '{}' names no file", s));
  }
  db.path = std::filesystem::absolute(path).lexically_normal();
  return db;
}

std::string source_identity(const DatabaseUrl& db) {
  if (db.kind == DatabaseUrl::Kind::sqlite) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(db.path, ec);
    return "sqlite:" + (ec ? db.path : canonical).string();
  }
  auto c = source::postgres::parse_connection(db.url);
  return c ? c->identity : "postgres:" + redact_url(db.url);
}

std::string derived_name(const DatabaseUrl& db) {
  if (db.kind == DatabaseUrl::Kind::sqlite) {
    return core::default_name_for_path(db.path.string());
  }
  auto c = source::postgres::parse_connection(db.url);
  return core::derive_name(c && !c->dbname.empty() ? c->dbname : "postgres");
}

core::RoleUse role_use(const source::postgres::DumpRoles& r) {
  return {.owners = {r.owners.begin(), r.owners.end()},
          .privileges = {r.privileges.begin(), r.privileges.end()},
          .policies = {r.policies.begin(), r.policies.end()}};
}

} // namespace lifeboat::commands
