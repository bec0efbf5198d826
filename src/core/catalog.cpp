#include "core/catalog.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "util/log.hpp"

namespace lifeboat::core {

namespace {
constexpr std::string_view k_manifest_suffix = ".manifest.json";

std::string storage_hint(storage::Storage& s) {
  return fmt::format("Run 'lifeboat list --to {}' to see the backups there.", s.display_url());
}
} // namespace

std::vector<CatalogEntry> Catalog::list(const std::optional<std::string>& name) {
  m_problems.clear();
  std::vector<std::string> keys;
  m_storage.list(name ? *name + "/" : std::string(), [&](const storage::ObjectInfo& info) {
    if (info.key.ends_with(k_manifest_suffix)) {
      keys.push_back(info.key);
    }
  });
  std::vector<CatalogEntry> out;
  for (const auto& key : keys) {
    std::string text;
    try {
      text = m_storage.read_all(key, 16 * 1024 * 1024);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::not_found) {
        continue; // removed since it was listed (a prune running elsewhere)
      }
      throw;
    }
    auto m = parse_manifest(text);
    if (!m) {
      m_problems.push_back({key, m.error()});
      log::warning("ignoring unreadable manifest '{}' in '{}': {}", key, m_storage.display_url(),
                   m.error());
      continue;
    }
    if (key != m->name + "/" + m->id + std::string(k_manifest_suffix)) {
      m_problems.push_back({key, "manifest is stored under a key that does not match its id"});
      log::warning("ignoring manifest '{}': it describes backup '{}'", key, m->id);
      continue;
    }
    out.push_back({std::move(*m), key});
  }
  std::sort(out.begin(), out.end(), [](const CatalogEntry& a, const CatalogEntry& b) {
    if (a.manifest.started_at != b.manifest.started_at) {
      auto ta = BackupId::parse(a.manifest.id);
      auto tb = BackupId::parse(b.manifest.id);
      if (ta && tb && ta->time != tb->time) {
        return ta->time < tb->time;
      }
    }
    return a.manifest.id < b.manifest.id;
  });
  return out;
}

CatalogEntry Catalog::find(const std::string& id) {
  auto parsed = BackupId::parse(id);
  if (!parsed) {
    throw Error(ErrorKind::usage, parsed.error(), storage_hint(m_storage));
  }
  std::string key = parsed->manifest_key();
  if (!m_storage.stat(key)) {
    throw Error(ErrorKind::not_found,
                fmt::format("backup '{}' does not exist in '{}'", id, m_storage.display_url()),
                storage_hint(m_storage));
  }
  auto m = parse_manifest(m_storage.read_all(key, 16 * 1024 * 1024));
  if (!m) {
    throw Error(ErrorKind::integrity,
                fmt::format("manifest '{}' of backup '{}' is unreadable: {}", key, id, m.error()));
  }
  return {std::move(*m), key};
}

CatalogEntry Catalog::latest(const std::optional<std::string>& name) {
  auto all = list(name);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!it->manifest.is_safety()) {
      return *it;
    }
  }
  throw Error(ErrorKind::not_found,
              name ? fmt::format("no backup of '{}' in '{}'", *name, m_storage.display_url())
                   : fmt::format("no backup in '{}'", m_storage.display_url()),
              "Take one with 'lifeboat backup', or point --to at the right storage.");
}

CatalogEntry Catalog::before(const std::optional<std::string>& name, TimePoint t) {
  auto all = list(name);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    auto id = BackupId::parse(it->manifest.id);
    if (!it->manifest.is_safety() && id && id->time <= t) {
      return *it;
    }
  }
  throw Error(ErrorKind::not_found,
              fmt::format("no backup{} taken at or before {} in '{}'",
                          name ? " of '" + *name + "'" : std::string(), format_iso8601(t),
                          m_storage.display_url()),
              storage_hint(m_storage));
}

bool Catalog::id_taken(const BackupId& id) {
  bool taken = false;
  m_storage.list(id.object_prefix(), [&](const storage::ObjectInfo&) { taken = true; });
  return taken;
}

void Catalog::commit(const Manifest& m) {
  // Re-validate what we are about to commit, as pgBackRest does: a manifest that we
  // could not read back must never become the commit point.
  std::string text = to_json(m);
  auto check = parse_manifest(text);
  LIFEBOAT_ASSERT(check.has_value());
  m_storage.write_all(m.name + "/" + m.id + std::string(k_manifest_suffix), text,
                      {.overwrite = false, .content_type = "application/json"});
}

} // namespace lifeboat::core
