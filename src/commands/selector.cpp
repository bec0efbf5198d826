#include "commands/selector.hpp"

#include "util/time.hpp"

namespace lifeboat::commands {

core::CatalogEntry select_backup(core::Catalog& catalog, const Selector& s) {
  int given = (s.backup_id ? 1 : 0) + (s.latest ? 1 : 0) + (s.before ? 1 : 0);
  if (given != 1) {
    throw Error(ErrorKind::usage, "choose exactly one of --backup-id ID, --latest, --before TIME",
                "Run 'lifeboat list' to see the backups and their ids.");
  }
  if (s.backup_id) {
    return catalog.find(*s.backup_id);
  }
  if (s.latest) {
    return catalog.latest(s.name);
  }
  auto t = value_or_throw(parse_iso8601(*s.before), ErrorKind::usage);
  return catalog.before(s.name, t);
}

} // namespace lifeboat::commands
