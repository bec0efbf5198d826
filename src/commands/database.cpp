#include "commands/database.hpp"

#include <fmt/format.h>

#include "util/strings.hpp"

namespace lifeboat::commands {

std::string DatabaseUrl::display() const {
  return kind == Kind::sqlite ? path.string() : redact_url(url);
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

} // namespace lifeboat::commands
