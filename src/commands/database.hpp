// commands/database: what a database URL or path names (DESIGN.md, Database URLs).
//
//   sqlite:  a plain path, "sqlite:///abs/path.db", "sqlite:relative.db"
//   postgres: "postgres://...", "postgresql://...", or a libpq keyword string
#pragma once

#include <filesystem>
#include <string>

#include "core/manifest.hpp"
#include "source/postgres/script.hpp"
#include "util/error.hpp"

namespace lifeboat::commands {

struct DatabaseUrl {
  enum class Kind { sqlite, postgres };
  Kind kind = Kind::sqlite;
  std::filesystem::path path; // sqlite: absolute path
  std::string url;            // postgres: the URL as given (may hold a password)

  std::string display() const; // redacted
};

Result<DatabaseUrl> parse_database_url(std::string_view text);

// Which database this is, however it was written (core::Manifest::source_id):
// "sqlite:" + the canonical path, or libpq's "postgres://HOST:PORT/DBNAME".
std::string source_identity(const DatabaseUrl& db);

// The name its backups get when none is given: the file's stem, or PostgreSQL's
// database name, made safe and distinct by core::derive_name.
std::string derived_name(const DatabaseUrl& db);

// The roles a dump names, as the manifest records them.
core::RoleUse role_use(const source::postgres::DumpRoles& roles);

} // namespace lifeboat::commands
