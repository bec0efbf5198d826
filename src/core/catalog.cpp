#include "core/catalog.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "util/json_integer.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::core {

namespace {

// Collisions within one second beyond this are not a clock, they are a loop.
constexpr int k_max_same_second = 1000;

// The index object of a database (docs/format.md): a cache of its manifests' texts.
constexpr std::string_view k_index_name = "index.json";
constexpr std::string_view k_index_format = "lifeboat-index/1";
constexpr std::size_t k_max_index_size = 16 * 1024 * 1024;
constexpr std::size_t k_max_indexed_manifest = 64 * 1024; // larger ones are read themselves
constexpr int k_index_after_misses = 8; // a listing that read this many rewrites the index

std::string md5_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md.data(), &len, EVP_md5(), nullptr);
  return to_hex(std::span<const unsigned char>(md.data(), len));
}

// A listed ETag that is a plain MD5 of the content (a one-request upload): its hex.
std::string plain_md5(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  if (etag.size() != 32 || etag.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return {};
  }
  return etag;
}

struct IndexEntry {
  std::uint64_t size = 0;
  std::string md5;
  std::string text;
};

// Reads NAME/index.json; an unreadable or foreign index is no index (the listing is the
// truth, the index only saves GETs).
std::map<std::string, IndexEntry> read_index(storage::Storage& s, const std::string& key) {
  std::map<std::string, IndexEntry> out;
  try {
    auto text = s.read_at_most(key, k_max_index_size);
    if (!text) {
      return out;
    }
    auto j = nlohmann::json::parse(*text);
    if (j.value("format", "") != k_index_format) {
      return out;
    }
    for (const auto& e : j.at("manifests")) {
      out[e.at("key").get<std::string>()] = {util::json_integer<std::uint64_t>(e.at("size")),
                                             e.at("md5").get<std::string>(),
                                             e.at("manifest").get<std::string>()};
    }
  } catch (const std::exception& e) {
    log::debug("ignoring the catalog index '{}': {}", key, e.what());
    out.clear();
  }
  return out;
}

std::string storage_hint(storage::Storage& s) {
  return fmt::format("Run 'lifeboat list --to {}' to see the backups there.", s.display_url());
}

// The id's second is the real start second, so it orders backups of different seconds;
// within one second the sequence does: it is the order in which the ids were reserved
// (two processes may read the clock in one order and reserve in the other, and the
// ids must not contradict the listing). Then the start time, for imports and old ids.
bool older(const CatalogEntry& a, const CatalogEntry& b) {
  if (a.id.time != b.id.time) {
    return a.id.time < b.id.time;
  }
  if (a.id.seq != b.id.seq) {
    return a.id.seq < b.id.seq;
  }
  if (a.manifest.started_at != b.manifest.started_at) {
    return a.manifest.started_at < b.manifest.started_at;
  }
  return a.manifest.id < b.manifest.id;
}

// Runs work(i) for i in [0, n) on up to `threads` threads; rethrows the first error.
template <typename F> void parallel_for(std::size_t n, int threads, F work) {
  std::size_t count = std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, threads)));
  if (count <= 1) {
    for (std::size_t i = 0; i < n; ++i) {
      work(i);
    }
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < count; ++t) {
    pool.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) {
        try {
          work(i);
        } catch (...) {
          std::lock_guard lock(error_mutex);
          if (!error) {
            error = std::current_exception();
          }
          next = n; // stop the others early
        }
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  if (error) {
    std::rethrow_exception(error);
  }
}

} // namespace

Reservation::~Reservation() {
  try {
    m_storage.remove(m_id.reservation_key());
  } catch (...) {
    // A leftover reservation is removed by a later prune (after a day).
  }
}

Catalog::Listing& Catalog::load(const std::string& prefix) {
  if (auto it = m_listings.find(prefix); it != m_listings.end()) {
    return it->second;
  }
  std::vector<std::string> manifests;
  std::map<std::string, storage::ObjectInfo> listed; // manifest key -> what the listing says
  std::vector<std::string> indexes;
  std::set<std::string> pins; // manifest keys that have a pin marker
  std::vector<CatalogProblem> oversized;
  const bool remote = m_storage.capabilities().remote;
  m_storage.list(prefix, [&](const storage::ObjectInfo& info) {
    auto o = parse_object_key(info.key);
    if (!o) {
      auto slash = info.key.find('/');
      if (remote && slash != std::string::npos && info.key.substr(slash + 1) == k_index_name) {
        indexes.push_back(info.key);
      }
      return;
    }
    if (o->kind == ObjectKind::manifest) {
      listed[info.key] = info;
    }
    if (o->kind == ObjectKind::manifest && info.size > k_max_manifest_size) {
      // Never read into memory; one bad object must not hide every backup.
      oversized.push_back({info.key, fmt::format("manifest is {} bytes, more than the {} "
                                                 "lifeboat reads", info.size,
                                                 k_max_manifest_size)});
    } else if (o->kind == ObjectKind::manifest) {
      manifests.push_back(info.key);
    } else if (o->kind == ObjectKind::pin) {
      pins.insert(o->id.manifest_key());
    }
  });
  std::sort(manifests.begin(), manifests.end());

  // Remote storage: the index objects answer for every manifest whose listed size (and
  // MD5, where the ETag is one) matches its entry; the rest are read themselves.
  std::map<std::string, IndexEntry> index;
  for (const auto& key : indexes) {
    index.merge(read_index(m_storage, key));
  }
  std::vector<std::optional<Result<Manifest>>> parsed(manifests.size());
  std::vector<std::string> texts(manifests.size()); // kept for the index (remote, small)
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    auto it = index.find(manifests[i]);
    if (it == index.end()) {
      continue;
    }
    const auto& info = listed[manifests[i]];
    std::string md5 = plain_md5(info.etag);
    if (it->second.size == info.size && it->second.text.size() == info.size &&
        (md5.empty() || md5 == it->second.md5) && md5_hex(it->second.text) == it->second.md5) {
      parsed[i] = parse_manifest(it->second.text);
      texts[i] = std::move(it->second.text);
      m_index_hits++;
    }
  }
  index.clear();
  std::map<std::string, int> misses; // database name -> manifests read themselves
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    if (remote && !parsed[i]) {
      misses[manifests[i].substr(0, manifests[i].find('/'))]++;
    }
  }
  // One GET per other manifest, several at a time where the backend allows it, each
  // parsed by the thread that read it: at most one text per thread is held at a time.
  parallel_for(manifests.size(), m_storage.capabilities().max_connections, [&](std::size_t i) {
    if (parsed[i]) {
      return; // from the index
    }
    try {
      auto text = m_storage.read_at_most(manifests[i], k_max_manifest_size);
      if (remote && text && text->size() <= k_max_indexed_manifest) {
        texts[i] = *text;
      }
      parsed[i] = text ? parse_manifest(*text)
                       : unexpected(fmt::format("manifest is more than the {} bytes lifeboat "
                                                "reads", k_max_manifest_size)); // it grew
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::not_found) {
        throw;
      }
      // Removed since it was listed (a prune running elsewhere): not a backup any more.
    }
  });

  Listing out;
  for (auto& p : oversized) {
    note_problem(p);
  }
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    if (!parsed[i]) {
      continue;
    }
    const std::string& key = manifests[i];
    auto& m = *parsed[i];
    if (!m) {
      note_problem({key, m.error()});
      continue;
    }
    auto id = BackupId::parse(m->id, m->name);
    if (!id || key != id->manifest_key()) {
      m_problems.push_back({key, "manifest is stored under a key that does not match its id"});
      log::warning("ignoring manifest '{}': it describes backup '{}'", key, m->id);
      continue;
    }
    out.push_back({std::move(*m), key, pins.contains(key), *id, std::move(texts[i])});
  }
  std::sort(out.begin(), out.end(), older);
  Listing& done = m_listings[prefix] = std::move(out);
  // Storage written by another tool or an older lifeboat has no index yet, or a stale
  // one: write it now, so that the next listing is cheap (quietly: this command may
  // hold read-only credentials).
  for (const auto& [name, n] : misses) {
    if (n >= k_index_after_misses && (prefix.empty() || prefix == name + "/")) {
      save_index(name, /*quiet=*/true);
    }
  }
  return done;
}

void Catalog::note_problem(const CatalogProblem& problem) {
  if (std::any_of(m_problems.begin(), m_problems.end(), [&](const CatalogProblem& p) {
        return p.manifest_key == problem.manifest_key;
      })) {
    return; // said once per run
  }
  m_problems.push_back(problem);
  log::warning("ignoring unreadable manifest '{}' in '{}': {}", problem.manifest_key,
               m_storage.display_url(), problem.message);
}

template <typename F> void Catalog::for_listings(const std::string& name, F each) {
  for (auto& [prefix, listing] : m_listings) {
    if (prefix.empty() || prefix == name + "/") {
      each(listing);
    }
  }
}

std::vector<CatalogEntry> Catalog::list(const std::optional<std::string>& name) {
  if (!name) {
    return load("");
  }
  if (auto all = m_listings.find(""); all != m_listings.end()) {
    std::vector<CatalogEntry> out;
    std::copy_if(all->second.begin(), all->second.end(), std::back_inserter(out),
                 [&](const CatalogEntry& e) { return e.manifest.name == *name; });
    return out;
  }
  return load(*name + "/");
}

std::vector<std::string> Catalog::names() {
  std::set<std::string> out;
  for (const auto& e : load("")) {
    out.insert(e.manifest.name);
  }
  return {out.begin(), out.end()};
}

CatalogEntry Catalog::find(const std::string& id) {
  auto parsed = BackupId::parse(id);
  if (!parsed) {
    throw Error(ErrorKind::usage, parsed.error(), storage_hint(m_storage));
  }
  // The id names its database ("app-20261124-030000" is app's): list that one only.
  // (The SEQ suffix has at most 5 digits and a timestamp ends in 6, so an id parses one
  // way only.)
  for (const auto& e : list(parsed->name)) {
    if (e.manifest.id == id) {
      return e;
    }
  }
  if (!m_problems.empty()) {
    for (const auto& p : m_problems) {
      if (p.manifest_key == parsed->manifest_key()) {
        throw Error(ErrorKind::integrity,
                    fmt::format("manifest '{}' of backup '{}' is unreadable: {}", p.manifest_key,
                                id, p.message));
      }
    }
  }
  throw Error(ErrorKind::not_found,
              fmt::format("backup '{}' does not exist in '{}'", id, m_storage.display_url()),
              storage_hint(m_storage));
}

std::optional<std::string> Catalog::only_name(const std::optional<std::string>& name,
                                              const char* what) {
  if (name) {
    return name;
  }
  // Names with a backup --latest/--before could pick (a name that holds only safety
  // backups, such as a staging database restored into, does not make it ambiguous).
  std::set<std::string> seen;
  for (const auto& e : load("")) {
    if (!e.manifest.is_safety()) {
      seen.insert(e.manifest.name);
    }
  }
  std::vector<std::string> all(seen.begin(), seen.end());
  if (all.size() > 1) {
    std::string list;
    for (const auto& n : all) {
      list += (list.empty() ? "" : ", ") + n;
    }
    throw Error(ErrorKind::usage,
                fmt::format("'{}' in '{}' is ambiguous: it holds backups of {} databases ({})",
                            what, m_storage.display_url(), all.size(), list),
                "Pass --name NAME to say which database.");
  }
  return all.empty() ? std::nullopt : std::optional(all.front());
}

CatalogEntry Catalog::latest(const std::optional<std::string>& name_given) {
  auto name = only_name(name_given, "--latest");
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

CatalogEntry Catalog::before(const std::optional<std::string>& name_given, TimePoint t) {
  auto name = only_name(name_given, "--before");
  auto all = list(name);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!it->manifest.is_safety() && it->manifest.started_at <= t) {
      return *it;
    }
  }
  throw Error(ErrorKind::not_found,
              fmt::format("no backup{} taken at or before {} in '{}'",
                          name ? " of '" + *name + "'" : std::string(), format_iso8601(t),
                          m_storage.display_url()),
              storage_hint(m_storage));
}

std::unique_ptr<Reservation> Catalog::reserve(const std::string& name, TimePoint t) {
  BackupId id{name, std::chrono::floor<std::chrono::seconds>(t), 1};
  // One listing of the second's objects tells which sequence numbers are taken; the
  // reservation (created only if absent) settles a race with a backup started at once.
  std::set<int> taken;
  m_storage.list(name + "/" + id.str(), [&](const storage::ObjectInfo& info) {
    if (auto o = parse_object_key(info.key); o && o->id.time == id.time && o->id.name == name) {
      taken.insert(o->id.seq);
    }
  });
  for (int i = 0; i < k_max_same_second; ++i, id = id.next()) {
    if (taken.contains(id.seq)) {
      continue;
    }
    try {
      m_storage.write_all(id.reservation_key(), "", {.overwrite = false});
      return std::make_unique<Reservation>(m_storage, id);
    } catch (const Error&) {
      if (!m_storage.stat(id.reservation_key())) {
        throw; // not a lost race: the storage failed
      }
    }
  }
  throw Error(ErrorKind::transient,
              fmt::format("no free backup id for '{}' in the second of {}", name,
                          format_iso8601(t)));
}

void Catalog::commit(const Manifest& m) {
  // Re-validate what we are about to commit, as pgBackRest does: a manifest that we
  // could not read back must never become the commit point.
  std::string text = to_json(m);
  if (text.size() > k_max_manifest_size) {
    throw Error(ErrorKind::permanent,
                fmt::format("the manifest of backup '{}' would be {} bytes ({} tables), more "
                            "than the {} lifeboat reads back; nothing was stored as a backup",
                            m.id, text.size(), m.tables.tables().size(), k_max_manifest_size),
                "lifeboat cannot yet catalog a database with this many tables; the "
                "limit is k_max_manifest_size in src/core/manifest.hpp.");
  }
  auto check = parse_manifest(text);
  LIFEBOAT_ASSERT(check.has_value());
  auto id = BackupId::parse(m.id, m.name);
  LIFEBOAT_ASSERT(id.has_value());
  m_storage.write_all(id->manifest_key(), text,
                      {.overwrite = false, .content_type = "application/json"});
  for_listings(m.name, [&](Listing& l) {
    l.push_back({m, id->manifest_key(), false, *id,
                 text.size() <= k_max_indexed_manifest ? text : std::string()});
    std::sort(l.begin(), l.end(), older);
  });
  save_index(m.name);
}

void Catalog::save_index(const std::string& name, bool quiet) {
  if (!m_storage.capabilities().remote) {
    return;
  }
  // From a listing already loaded when there is one (never a second listing).
  std::vector<CatalogEntry> loaded;
  if (auto it = m_listings.find(name + "/"); it != m_listings.end()) {
    loaded = it->second;
  } else if (auto all = m_listings.find(""); all != m_listings.end()) {
    std::copy_if(all->second.begin(), all->second.end(), std::back_inserter(loaded),
                 [&](const CatalogEntry& e) { return e.manifest.name == name; });
  } else {
    loaded = list(name);
  }
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : loaded) {
    // The text as stored, byte for byte (to_json of the parsed manifest may differ:
    // times are parsed to the second); an entry without it is read next time.
    const std::string& text = e.manifest_text;
    if (text.empty()) {
      continue;
    }
    entries.push_back({{"key", e.manifest_key}, {"size", text.size()}, {"md5", md5_hex(text)},
                       {"manifest", text}});
  }
  std::string key = name + "/" + std::string(k_index_name);
  try {
    m_storage.write_all(key,
                        nlohmann::json{{"format", k_index_format}, {"manifests", entries}}.dump(),
                        {.content_type = "application/json"});
  } catch (const Error& e) {
    // Only a cache: listings read the manifests themselves until the next update.
    if (quiet) {
      log::debug("could not write the catalog index '{}' in '{}': {}", key,
                 m_storage.display_url(), e.what());
    } else {
      log::warning("could not update the catalog index '{}' in '{}': {}", key,
                   m_storage.display_url(), e.what());
    }
  }
}

void Catalog::pin(const std::string& id) {
  CatalogEntry e = find(id);
  if (!e.pinned) {
    m_storage.write_all(e.id.pin_key(), e.manifest.id + "\n", {.content_type = "text/plain"});
  }
  for_listings(e.manifest.name, [&](Listing& l) {
    for (auto& x : l) {
      x.pinned = x.pinned || x.manifest.id == id;
    }
  });
}

void Catalog::unpin(const std::string& id) {
  CatalogEntry e = find(id);
  m_storage.remove(e.id.pin_key());
  for_listings(e.manifest.name, [&](Listing& l) {
    for (auto& x : l) {
      x.pinned = x.pinned && x.manifest.id != id;
    }
  });
}

void Catalog::forget(const std::string& id) {
  for (auto& [prefix, listing] : m_listings) {
    std::erase_if(listing, [&](const CatalogEntry& e) { return e.manifest.id == id; });
  }
}

} // namespace lifeboat::core
