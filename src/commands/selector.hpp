// commands/selector: which backup a command means (--backup-id, --latest, --before).
#pragma once

#include <optional>
#include <string>

#include "core/catalog.hpp"

namespace lifeboat::commands {

struct Selector {
  std::optional<std::string> backup_id;
  bool latest = false;
  std::optional<std::string> before; // ISO 8601
  std::optional<std::string> name;   // database name, to choose among several
};

// Throws Error{usage} unless exactly one of the three is given; not_found when
// nothing matches.
core::CatalogEntry select_backup(core::Catalog& catalog, const Selector& s);

} // namespace lifeboat::commands
