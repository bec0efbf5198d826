// core/catalog: the backups in a storage, read from their manifests.
//
// A backup exists if and only if its manifest exists (docs/format.md). Objects
// without a manifest are leftovers of failed runs and are never listed. An
// unreadable manifest is reported (warning) and skipped, never silently.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/manifest.hpp"
#include "storage/storage.hpp"

namespace lifeboat::core {

struct CatalogEntry {
  Manifest manifest;
  std::string manifest_key;
};

struct CatalogProblem {
  std::string manifest_key;
  std::string message;
};

class Catalog {
public:
  explicit Catalog(storage::Storage& storage) : m_storage(storage) {}

  // Every backup, oldest first (ties by id). name: only that database.
  std::vector<CatalogEntry> list(const std::optional<std::string>& name = std::nullopt);
  // Manifests that could not be read during the last list().
  const std::vector<CatalogProblem>& problems() const { return m_problems; }

  // Throws Error{not_found} naming the id and the storage, with a hint to `lifeboat list`.
  CatalogEntry find(const std::string& id);
  // Newest backup that is not a safety backup; throws not_found when there is none.
  CatalogEntry latest(const std::optional<std::string>& name);
  // Newest non-safety backup taken at or before `t`.
  CatalogEntry before(const std::optional<std::string>& name, TimePoint t);

  // True when any object of this id exists (data, checksum or manifest): the id is taken.
  bool id_taken(const BackupId& id);

  // Writes the manifest, the commit point. overwrite=false: a taken id fails.
  void commit(const Manifest& m);

private:
  storage::Storage& m_storage;
  std::vector<CatalogProblem> m_problems;
};

} // namespace lifeboat::core
