#include "commands/plan.hpp"

#include <fmt/format.h>

#include "commands/database.hpp"
#include "util/time.hpp"

namespace lifeboat::commands {

namespace {

Hooks hooks_of(const config::DatabaseConfig& d) {
  return {d.hooks.pre_backup.value, d.hooks.post_backup.value, d.hooks.pre_restore.value,
          d.hooks.post_restore.value};
}

BackupOptions from_config(const config::DatabaseConfig& d) {
  BackupOptions o;
  o.db = d.url.value.reveal();
  o.name = d.name.value;
  o.name_bound = true;
  o.compress = d.compress.value;
  o.format = d.format.value;
  o.hooks = hooks_of(d);
  return o;
}

// The configured database whose source is `db`, if any.
const config::DatabaseConfig* configured_for(const config::Config& cfg, const std::string& db) {
  auto wanted = parse_database_url(db);
  if (!wanted) {
    return nullptr;
  }
  std::string identity = source_identity(*wanted);
  for (const auto& d : cfg.databases) {
    auto url = parse_database_url(d.url.value.reveal());
    if (url && source_identity(*url) == identity) {
      return &d;
    }
  }
  return nullptr;
}

void apply_flags(BackupOptions& o, const BackupFlags& flags) {
  if (!flags.compress.empty()) {
    o.compress = flags.compress;
  }
  if (!flags.format.empty()) {
    o.format = flags.format;
  }
  o.full_integrity_check = flags.full_integrity_check;
}

} // namespace

namespace {

int lock_timeout_seconds(const config::Config& cfg) {
  auto d = parse_duration(cfg.postgres.lock_timeout.value);
  return d ? static_cast<int>(std::max<std::int64_t>(1, d->count())) : 30;
}

std::vector<BackupOptions> backup_jobs_without_timeouts(const config::Config& cfg,
                                                        const BackupFlags& flags,
                                                        const std::optional<std::string>& database_url) {
  std::vector<BackupOptions> jobs;
  if (!flags.db.empty()) {
    BackupOptions o;
    if (const auto* d = configured_for(cfg, flags.db)) {
      o = from_config(*d);
      if (!flags.name.empty() && flags.name != o.name) {
        o.name = flags.name;
        o.name_bound = false;
      }
    } else {
      o.name = flags.name;
    }
    o.db = flags.db;
    apply_flags(o, flags);
    jobs.push_back(std::move(o));
    return jobs;
  }
  if (!cfg.databases.empty()) {
    for (const auto& d : cfg.databases) {
      if (flags.name.empty() || d.name.value == flags.name) {
        jobs.push_back(from_config(d));
        apply_flags(jobs.back(), flags);
      }
    }
    if (jobs.empty()) {
      std::string names;
      for (const auto& d : cfg.databases) {
        names += (names.empty() ? "" : ", ") + d.name.value;
      }
      throw Error(ErrorKind::usage,
                  fmt::format("no configured database is named '{}' (configured: {})",
                              flags.name, names),
                  "Pass one of the configured names, or --db PATH for another database.");
    }
    return jobs;
  }
  if (database_url && !database_url->empty()) {
    BackupOptions o;
    o.db = *database_url;
    o.name = flags.name;
    apply_flags(o, flags);
    jobs.push_back(std::move(o));
    return jobs;
  }
  throw Error(ErrorKind::usage, "no database to back up",
              "Pass --db PATH, configure a [[database]], or set DATABASE_URL.");
}

} // namespace

std::vector<BackupOptions> backup_jobs(const config::Config& cfg, const BackupFlags& flags,
                                       const std::optional<std::string>& database_url) {
  auto jobs = backup_jobs_without_timeouts(cfg, flags, database_url);
  for (auto& j : jobs) {
    j.lock_wait_seconds = lock_timeout_seconds(cfg);
  }
  return jobs;
}

PruneOptions retention_plan(const config::Config& cfg) {
  PruneOptions p;
  p.default_policy = retention_from_config(cfg.retention);
  for (const auto& d : cfg.databases) {
    if (d.retention) {
      p.policies[d.name.value] = retention_from_config(*d.retention, &cfg.retention);
    }
  }
  return p;
}

EncryptionConfig encryption_plan(const config::Config& cfg,
                                 const std::vector<std::string>& encrypt_to,
                                 const std::string& identity,
                                 const std::optional<std::string>& passphrase_env) {
  EncryptionConfig e;
  e.recipients = encrypt_to.empty() ? cfg.encryption.recipients.value : encrypt_to;
  e.identity_file = identity.empty() ? cfg.encryption.identity_file.value : identity;
  if (!cfg.encryption.passphrase.value.empty()) {
    e.passphrase = cfg.encryption.passphrase.value;
  } else if (passphrase_env && !passphrase_env->empty() && e.recipients.empty()) {
    e.passphrase = Secret(*passphrase_env);
  }
  // The scrypt work factor is never taken from the environment or the configuration:
  // lowering it weakens every passphrase backup (tests set it through the API).
  return e;
}

void restore_plan(const config::Config& cfg, const std::optional<std::string>& database_url,
                  RestoreOptions& options) {
  // A manifest keeps only the redacted source: the real URL comes from the configured
  // database of that name, or from DATABASE_URL.
  for (const auto& d : cfg.databases) {
    options.configured_urls[d.name.value] = d.url.value.reveal();
    options.configured_hooks[d.name.value] = hooks_of(d);
  }
  if (database_url && !database_url->empty()) {
    options.database_url = *database_url;
  }
  options.lock_timeout_seconds = lock_timeout_seconds(cfg);
}

} // namespace lifeboat::commands
