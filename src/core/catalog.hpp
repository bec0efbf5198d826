// core/catalog: the backups in a storage, read from their manifests, and the ids of
// new ones.
//
// A backup exists if and only if its manifest exists (docs/format.md). Objects
// without a manifest are leftovers of failed runs and are never listed. An
// unreadable manifest is reported (warning) and skipped, never silently.
//
// Read strategy (docs/ARCHITECTURE.md, "Catalog"): one LIST per database prefix, then
// the manifests fetched concurrently (up to the backend's max_connections), once per
// command: a Catalog keeps what it read, and what this command commits, pins or removes
// through it updates that picture instead of causing a new listing.
//
// Order: by the id's second (the real start second), then by its sequence (the order
// the ids were reserved in), then by started_at: the listing never contradicts the ids.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/manifest.hpp"
#include "storage/storage.hpp"

namespace lifeboat::core {

struct CatalogEntry {
  Manifest manifest;
  std::string manifest_key;
  bool pinned = false; // a pin marker exists: retention never removes it
  BackupId id;
  // The manifest's text as stored, on remote storage and when small: for the index.
  std::string manifest_text;
};

struct CatalogProblem {
  std::string manifest_key;
  std::string message;
};

class Catalog;

// Holds an id while its backup is written ("NAME/ID.reserved", created only if absent),
// so that two backups running at once cannot take the same id. Removed when destroyed:
// after the commit the manifest holds the id.
class Reservation {
public:
  Reservation(storage::Storage& storage, BackupId id) : m_storage(storage), m_id(std::move(id)) {}
  ~Reservation();
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  const BackupId& id() const { return m_id; }

private:
  storage::Storage& m_storage;
  BackupId m_id;
};

class Catalog {
public:
  explicit Catalog(storage::Storage& storage) : m_storage(storage) {}

  // Every backup, oldest first. name: only that database.
  std::vector<CatalogEntry> list(const std::optional<std::string>& name = std::nullopt);
  // Names of the databases that have backups.
  std::vector<std::string> names();
  // Manifests that could not be read.
  const std::vector<CatalogProblem>& problems() const { return m_problems; }

  // Throws Error{not_found} naming the id and the storage, with a hint to `lifeboat list`.
  CatalogEntry find(const std::string& id);
  // Newest backup that is not a safety backup; throws not_found when there is none.
  // Without a name and with backups of several databases, throws Error{usage} asking
  // for --name: "the latest" of two databases is not a restore anyone means.
  CatalogEntry latest(const std::optional<std::string>& name);
  // Newest non-safety backup started at or before `t` (same rule for the name).
  CatalogEntry before(const std::optional<std::string>& name, TimePoint t);

  // Reserves the id of a new backup of `name` started at `t`: NAME-YYYYMMDD-HHMMSS of
  // t's second, or the first free "-2", "-3", ... when that is taken by an existing
  // backup, leftover objects or a backup still being written.
  std::unique_ptr<Reservation> reserve(const std::string& name, TimePoint t);

  // Writes the manifest, the commit point. overwrite=false: a taken id fails.
  void commit(const Manifest& m);
  // Creates or removes the pin marker; not_found when the backup does not exist.
  void pin(const std::string& id);
  void unpin(const std::string& id);
  // Tells the catalog that prune removed this backup's manifest.
  void forget(const std::string& id);
  // Rewrites NAME/index.json on remote storage (capabilities().remote) from the current
  // listing: the manifests' texts, each with its size and MD5, so that the next listing
  // reads one object instead of every manifest (docs/format.md). Only a cache: a failure
  // is a warning, a stale or lost index costs GETs, never correctness. commit() calls
  // it; so does prune after its removals.
  // `quiet`: a failure is only a debug line (a listing that found the index missing).
  void save_index(const std::string& name, bool quiet = false);
  // Manifests this catalog took from an index instead of reading them (for tests, bench).
  std::size_t index_hits() const { return m_index_hits; }

private:
  using Listing = std::vector<CatalogEntry>;
  Listing& load(const std::string& prefix);
  // Calls `each` for every cached listing that covers database `name`.
  template <typename F> void for_listings(const std::string& name, F each);
  // Records a manifest that is not listed, once, and warns about it.
  void note_problem(const CatalogProblem& problem);
  std::optional<std::string> only_name(const std::optional<std::string>& name, const char* what);

  storage::Storage& m_storage;
  std::map<std::string, Listing> m_listings; // by prefix ("" = everything)
  std::vector<CatalogProblem> m_problems;
  std::size_t m_index_hits = 0;
};

} // namespace lifeboat::core
