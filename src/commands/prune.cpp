#include "commands/prune.hpp"

#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/backup_id.hpp"
#include "core/catalog.hpp"
#include "util/cancel.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::commands {

namespace {

bool is_manifest(const storage::ObjectInfo& o) {
  auto name = core::parse_object_key(o.key);
  return name && name->kind == core::ObjectKind::manifest;
}

// "NAME/NAME-YYYYMMDD-HHMMSS[-N].rest" -> its id; "" for keys that are not objects of a
// backup (those are never touched).
std::string backup_id_of(const std::string& key) {
  auto o = core::parse_object_key(key);
  return o ? o->id.str() : std::string();
}

const core::RetentionPolicy& policy_for(const PruneOptions& options, const std::string& name) {
  if (options.override_policy) {
    return *options.override_policy;
  }
  auto it = options.policies.find(name);
  return it != options.policies.end() ? it->second : options.default_policy;
}

void remove_object(Context& ctx, const std::string& key) {
  ctx.storage.remove(key);
  log::info("prune: removed '{}' from {}", key, ctx.storage.display_url());
}

int count_of(const config::Value<std::int64_t>& v, std::string_view key) {
  if (v.value < -1 || v.value > 1'000'000) {
    throw Error(ErrorKind::config,
                fmt::format("retention.{} = {} ({}): use a count from 0 up, or -1 for all",
                            key, v.value, v.origin));
  }
  return static_cast<int>(v.value);
}

} // namespace

core::RetentionPolicy retention_from_config(const config::Retention& r,
                                            const config::Retention* fallback) {
  core::RetentionPolicy p;
  p.last = count_of(r.keep_last, "keep_last");
  p.hourly = count_of(r.keep_hourly, "keep_hourly");
  p.daily = count_of(r.keep_daily, "keep_daily");
  p.weekly = count_of(r.keep_weekly, "keep_weekly");
  p.monthly = count_of(r.keep_monthly, "keep_monthly");
  p.yearly = count_of(r.keep_yearly, "keep_yearly");
  if (!r.keep_within.value.empty()) {
    auto d = parse_duration(r.keep_within.value);
    if (!d || d->count() % 3600 != 0 || d->count() < 0) {
      throw Error(ErrorKind::config,
                  fmt::format("retention.keep_within = '{}' ({}): use whole hours or days, "
                              "e.g. \"36h\", \"14d\", \"2w\" (\"0d\": off)",
                              r.keep_within.value, r.keep_within.origin));
    }
    p.within.days = static_cast<int>(d->count() / 86400);
    p.within.hours = static_cast<int>(d->count() % 86400 / 3600);
  }
  p.time_zone = r.timezone.value;
  if (p.time_zone.empty() && fallback != nullptr) {
    p.time_zone = fallback->timezone.value;
  }
  return p;
}

void check_policy(const core::RetentionPolicy& policy, const std::string& name) {
  if (auto ok = core::validate(policy); !ok) {
    throw Error(ErrorKind::config,
                name.empty() ? ok.error() : fmt::format("database '{}': {}", name, ok.error()),
                policy.empty() ? "Set at least one keep_* value in [retention] (or --keep-* "
                                 "flags); the defaults are keep_daily = 30, keep_weekly = 12, "
                                 "keep_monthly = 12, keep_within = 2d."
                               : "Fix [retention] (or [database.retention]) in the configuration.");
  }
}

void check_policies(const PruneOptions& options) {
  if (options.override_policy) {
    check_policy(*options.override_policy, "");
    return;
  }
  check_policy(options.default_policy, "");
  for (const auto& [name, policy] : options.policies) {
    check_policy(policy, name);
  }
}

std::size_t PruneReport::removed() const {
  std::size_t n = 0;
  for (const auto& d : databases) {
    n += d.removed;
  }
  return n;
}

std::uint64_t PruneReport::bytes_freed() const {
  std::uint64_t n = 0;
  for (const auto& d : databases) {
    n += d.bytes_freed;
  }
  for (const auto& l : leftovers) {
    n += l.size;
  }
  return n;
}

PruneReport prune(Context& ctx, const PruneOptions& options) {
  PruneReport report;
  report.dry_run = options.dry_run;
  std::string prefix = options.name ? *options.name + "/" : std::string();

  // Objects first, manifests second: an object of a backup that commits between
  // the two listings is then covered by rule 2 (too young), never taken as leftover.
  std::map<std::string, std::vector<storage::ObjectInfo>> objects_of; // by backup id
  ctx.storage.list(prefix, [&](const storage::ObjectInfo& info) {
    if (std::string id = backup_id_of(info.key); !id.empty()) {
      objects_of[id].push_back(info);
    }
  });
  core::Catalog& catalog = ctx.catalog();
  auto entries = catalog.list(options.name);

  std::map<std::string, std::vector<const core::CatalogEntry*>> by_name;
  for (const auto& e : entries) {
    by_name[e.manifest.name].push_back(&e);
  }
  // Every policy is checked before anything is removed.
  for (const auto& [name, list] : by_name) {
    check_policy(policy_for(options, name), name);
  }

  TimePoint now = ctx.clock.now();
  for (const auto& [name, list] : by_name) {
    const auto& policy = policy_for(options, name);
    std::vector<core::RetentionItem> items;
    // The catalog's order (oldest first) is the order of the ids; within one second the
    // start times may disagree with it by a few ms (see core/catalog), so they are made
    // to follow it, without leaving the second, for the engine's newest-first walk.
    TimePoint previous{};
    for (const auto* e : list) {
      TimePoint t = e->manifest.started_at;
      if (std::chrono::floor<std::chrono::seconds>(t) == e->id.time && t <= previous &&
          previous + std::chrono::microseconds(1) < e->id.time + std::chrono::seconds(1)) {
        t = previous + std::chrono::microseconds(1);
      }
      previous = t;
      items.push_back({.id = e->manifest.id,
                       .time = t,
                       .pinned = e->pinned,
                       .current = options.current_ids.contains(e->manifest.id)});
    }
    auto decisions = core::apply_retention(policy, items, {.now = now, .keep_newest = true});
    PruneDatabase db;
    db.name = name;
    db.policy = policy.describe();
    for (const auto& d : decisions) {
      const auto& entry = *list[d.index];
      PruneBackup b;
      b.id = d.id;
      b.time = d.time;
      b.keep = d.keep;
      b.safety = entry.manifest.is_safety();
      b.pinned = entry.pinned;
      for (const auto& r : d.reasons) {
        b.reasons.push_back(r.str());
      }

      for (const auto& o : objects_of[b.id]) {
        b.bytes += o.size;
      }
      db.backups.push_back(std::move(b));
    }
    // Oldest first, so that a prune stopped half way has removed the least useful.
    for (auto it = db.backups.rbegin(); it != db.backups.rend(); ++it) {
      if (it->keep) {
        continue;
      }
      ++db.removed;
      db.bytes_freed += it->bytes;
      if (options.dry_run) {
        continue;
      }
      throw_if_cancelled();
      auto id = *core::BackupId::parse(it->id, name);
      // The id stays taken after its backup is gone: its reservation is written again
      // (a tombstone, removed with the leftovers a day later), so a backup started in
      // the same second cannot be given the id just freed (docs/format.md).
      ctx.storage.write_all(id.reservation_key(), "removed by prune\n",
                            {.content_type = "text/plain"});
      // The manifest first: from here on the backup does not exist.
      remove_object(ctx, id.manifest_key());
      catalog.forget(it->id);
      for (const auto& o : objects_of[it->id]) {
        auto kind = core::parse_object_key(o.key);
        if (!is_manifest(o) && !(kind && kind->kind == core::ObjectKind::reservation)) {
          remove_object(ctx, o.key);
        }
      }
      objects_of.erase(it->id);
    }
    if (!options.dry_run && db.removed > 0) {
      catalog.save_index(name);
    }
    report.databases.push_back(std::move(db));
  }

  if (options.remove_leftovers) {
    // Leftovers: objects of an id that has no manifest object at all (an unreadable
    // manifest still protects its data), old enough not to belong to a running backup.
    for (const auto& [id, objects] : objects_of) {
      bool has_manifest = std::any_of(objects.begin(), objects.end(), is_manifest);
      if (has_manifest) {
        continue;
      }
      for (const auto& o : objects) {
        if (now - o.mtime < options.leftover_age) {
          continue;
        }
        report.leftovers.push_back(o);
        if (!options.dry_run) {
          throw_if_cancelled();
          remove_object(ctx, o.key);
        }
      }
    }
    // And what never became an object: writes of processes killed mid-way.
    for (const auto& o : ctx.storage.remove_abandoned_writes(now - options.leftover_age,
                                                             options.dry_run)) {
      if (!options.dry_run) {
        log::info("prune: removed abandoned temporary '{}' from {}", o.key,
                  ctx.storage.display_url());
      }
      report.leftovers.push_back(o);
    }
  }
  return report;
}

void print_prune_report(Context& ctx, const PruneReport& report, bool list_kept) {
  const char* verb = report.dry_run ? "would remove" : "removed";
  for (const auto& db : report.databases) {
    if (list_kept) {
      ctx.out << fmt::format("{}: {}\n", db.name, db.policy);
      std::size_t w = 2;
      for (const auto& b : db.backups) {
        w = std::max(w, b.id.size());
      }
      ctx.out << fmt::format("  {:<{}}  {:<19}  {:>10}  {:<6}  {}\n", "ID", w, "TIME (UTC)",
                             "SIZE", "ACTION", "KEPT BY");
      for (const auto& b : db.backups) {
        std::string reasons = join(b.reasons, ", ");
        if (b.safety) {
          reasons += reasons.empty() ? "(safety backup)" : " (safety backup)";
        }
        ctx.out << fmt::format("  {:<{}}  {:<19}  {:>10}  {:<6}  {}\n", b.id, w,
                               format_human(b.time), format_bytes(b.bytes),
                               b.keep ? "keep" : "remove", reasons);
      }
    }
    if (db.removed > 0 || list_kept) {
      ctx.out << fmt::format("{} {} of {} backup{} of '{}' ({}), kept {}\n", verb, db.removed,
                             db.backups.size(), db.backups.size() == 1 ? "" : "s", db.name,
                             format_bytes(db.bytes_freed), db.backups.size() - db.removed);
    }
  }
  if (!report.leftovers.empty()) {
    std::uint64_t bytes = 0;
    for (const auto& l : report.leftovers) {
      bytes += l.size;
      if (list_kept) {
        ctx.out << fmt::format("  leftover {} ({}, {})\n", l.key, format_bytes(l.size),
                               format_human(l.mtime));
      }
    }
    ctx.out << fmt::format("{} {} leftover object{} of failed runs ({})\n", verb,
                           report.leftovers.size(), report.leftovers.size() == 1 ? "" : "s",
                           format_bytes(bytes));
  }
  if (list_kept) {
    ctx.out << fmt::format("{}: {} backup{}, {} freed{}\n",
                           report.dry_run ? "dry run" : "done", report.removed(),
                           report.removed() == 1 ? "" : "s", format_bytes(report.bytes_freed()),
                           report.dry_run ? "; nothing was removed" : "");
  }
}

int run_prune(Context& ctx, const PruneOptions& options) {
  PruneReport report = prune(ctx, options);
  if (ctx.json) {
    nlohmann::json dbs = nlohmann::json::array();
    for (const auto& db : report.databases) {
      nlohmann::json backups = nlohmann::json::array();
      for (const auto& b : db.backups) {
        backups.push_back({{"id", b.id},
                           {"time", format_iso8601(b.time)},
                           {"action", b.keep ? "keep" : "remove"},
                           {"reasons", b.reasons},
                           {"size", b.bytes},
                           {"safety", b.safety},
                           {"pinned", b.pinned}});
      }
      dbs.push_back({{"name", db.name},
                     {"policy", db.policy},
                     {"backups", backups},
                     {"removed", db.removed},
                     {"bytes_freed", db.bytes_freed}});
    }
    nlohmann::json leftovers = nlohmann::json::array();
    for (const auto& l : report.leftovers) {
      leftovers.push_back({{"key", l.key}, {"size", l.size}, {"mtime", format_iso8601(l.mtime)}});
    }
    nlohmann::json j = {{"dry_run", report.dry_run},
                        {"storage", ctx.storage.display_url()},
                        {"databases", dbs},
                        {"leftovers", leftovers},
                        {"removed", report.removed()},
                        {"bytes_freed", report.bytes_freed()}};
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  if (!ctx.quiet) {
    if (report.databases.empty() && report.leftovers.empty()) {
      ctx.out << fmt::format("no backups{} in {}: nothing to prune\n",
                             options.name ? " of '" + *options.name + "'" : "",
                             ctx.storage.display_url());
    }
    print_prune_report(ctx, report, true);
  }
  return 0;
}

} // namespace lifeboat::commands
