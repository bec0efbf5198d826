// commands/context: what every command receives from app/: the opened storage,
// the clock, and how to talk to the user (text or --json, progress on a terminal).
// Commands are thin orchestration over core/, source/, codec/ and storage/.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "commands/encryption.hpp"
#include "commands/job.hpp"
#include "core/catalog.hpp"
#include "storage/storage.hpp"
#include "util/time.hpp"

namespace lifeboat::commands {

struct Context {
  storage::Storage& storage;
  const Clock& clock;
  std::ostream& out; // standard output: results (tables or JSON)
  bool json = false;
  bool quiet = false;
  bool progress = false; // draw progress on standard error (a terminal, not --quiet)
  bool interactive = false; // standard input is a terminal
  EncryptionConfig encryption; // how new backups are encrypted, and the keys to read them
  EventSink* events = nullptr;  // where jobs report (commands/job.hpp); none: silent

  // The command's one view of the backups in the storage: manifests are read once per
  // command, and what it commits or removes updates the same view.
  core::Catalog& catalog() {
    if (!m_catalog) {
      m_catalog = std::make_shared<core::Catalog>(storage);
    }
    return *m_catalog;
  }
  std::shared_ptr<core::Catalog> m_catalog; // lazily, by catalog()
};

// Draws "  1.2 GiB / 3.0 GiB  210 MiB/s  ETA 9 s" on standard error, at most 5 times a
// second, and clears the line at the end. Does nothing when disabled.
class Progress {
public:
  Progress(bool enabled, std::string label, std::optional<std::uint64_t> total);
  ~Progress();
  void update(std::uint64_t bytes);
  void done();

private:
  bool m_enabled;
  std::string m_label;
  std::optional<std::uint64_t> m_total;
  Stopwatch m_watch;
  double m_last_draw = -1;
  bool m_drawn = false;
};

std::string tool_version();
std::string host_name();

} // namespace lifeboat::commands
