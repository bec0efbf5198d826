// app/main: the command line. Parses arguments (CLI11), loads the configuration,
// opens the storage, runs one command, and is the ONLY place that turns an error
// kind into an exit code and an error report (docs/scripting.md).
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "codec/codec.hpp"
#include "commands/backup.hpp"
#include "commands/encryption.hpp"
#include "commands/import.hpp"
#include "commands/job.hpp"
#include "commands/list.hpp"
#include "commands/plan.hpp"
#include "commands/prune.hpp"
#include "commands/restore.hpp"
#include "commands/verify.hpp"
#include "config/config.hpp"
#include "storage/storage.hpp"
#include "util/cancel.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

using namespace lifeboat;

namespace {

// Exit codes (DESIGN.md): 0 success, 1 operation failed, 2 usage or configuration.
int exit_code(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage:
  case ErrorKind::config:
    return 2;
  case ErrorKind::not_found:
  case ErrorKind::permanent:
  case ErrorKind::transient:
  case ErrorKind::integrity:
  case ErrorKind::cancelled:
    return 1;
  }
  return 1;
}

struct Globals {
  std::string storage;
  std::string config_file;
  bool verbose = false;
  bool quiet = false;
  bool json = false;
  std::string log_format = "text";
};

void report_error(const Globals& g, ErrorKind kind, const std::string& message,
                  const std::string& hint) {
  if (g.json) {
    std::cout << fmt::format("{{\n  \"error\": {{\n    \"kind\": {},\n    \"message\": {},\n    "
                             "\"hint\": {},\n    \"exit_code\": {}\n  }}\n}}\n",
                             json_quote(to_string(kind)), json_quote(message), json_quote(hint),
                             exit_code(kind));
  }
  std::cerr << "lifeboat: error: " << message << "\n";
  if (!hint.empty()) {
    std::cerr << "HINT: " << hint << "\n";
  }
}

// The command line's subscriber to job events: a failure a command goes on after is
// reported here in the same words main() uses for the error that ends a command;
// with --verbose every event is logged (as JSON lines with --log-format json).
class CliEvents final : public commands::EventSink {
public:
  void on_event(const commands::Event& e) override {
    using Type = commands::Event::Type;
    if (e.type == Type::failed && e.continues) {
      std::string what = e.database.empty() ? e.message
                                            : fmt::format("{} '{}': {}", e.job, e.database,
                                                          e.message);
      std::cerr << "lifeboat: error: " << what << "\n";
      if (!e.hint.empty()) {
        std::cerr << "HINT: " << e.hint << "\n";
      }
      return;
    }
    if (!log::enabled(log::Level::debug)) {
      return;
    }
    std::string line = fmt::format("{} {}{}{}", e.job, commands::to_string(e.type),
                                   e.stage.empty() ? "" : " " + e.stage,
                                   e.database.empty() ? "" : " database=" + e.database);
    if (!e.backup_id.empty()) {
      line += " backup_id=" + e.backup_id;
    }
    for (const auto& [k, v] : e.details) {
      line += fmt::format(" {}={}", k, v);
    }
    if (e.type != Type::started) {
      line += fmt::format(" seconds={:.3f}", e.seconds);
    }
    if (e.error_kind) {
      line += fmt::format(" error={}", to_string(*e.error_kind));
    }
    log::debug("{}", line);
  }
};

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::optional<std::string>(v) : std::nullopt;
}

std::string version_text() {
  std::string schemes;
  for (const auto& s : storage::storage_schemes()) {
    schemes += (schemes.empty() ? "" : " ") + s;
  }
  std::string codecs;
  for (const auto& c : codec::codecs()) {
    codecs += (codecs.empty() ? "" : " ") + std::string(c.name);
  }
  return fmt::format("lifeboat {}\nstorage: {}\ncompression: {}\n", LIFEBOAT_VERSION, schemes,
                     codecs);
}

} // namespace

int main(int argc, char** argv) {
  // SIGINT/SIGTERM unwind cleanly (nothing half-written stays); a closed pipe on
  // stdout ends in an error, not a silent death.
  install_signal_handlers();

  Globals g;
  CLI::App app{"lifeboat: consistent, verified backups of SQLite and PostgreSQL databases",
               "lifeboat"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  app.fallthrough(true);
  app.add_option("--to,--storage", g.storage,
                 "storage URL: a directory (default ./backups), file:///dir")
      ->envname("LIFEBOAT_STORAGE");
  app.add_option("--config", g.config_file, "configuration file (default ./lifeboat.toml, ...)");
  app.add_flag("-v,--verbose", g.verbose, "say more");
  app.add_flag("-q,--quiet", g.quiet, "print only errors");
  app.add_option("--log-format", g.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.footer("Exit codes: 0 success, 1 operation failed, 2 usage or configuration error.\n"
             "Run 'lifeboat COMMAND --help' for the options of a command.");

  // backup
  commands::BackupFlags backup_flags;
  auto* backup = app.add_subcommand(
      "backup", "take a consistent, checked backup of a database (default: every configured one)");
  backup->add_option("--db", backup_flags.db,
                     "database: a SQLite path, sqlite:PATH, or postgres://... (default: the "
                     "configured database, then $DATABASE_URL)");
  backup->add_option("--name", backup_flags.name,
                     "database name in backup ids (default: from the file or database name); "
                     "without --db: back up only the configured database of this name");
  backup->add_option("--compress", backup_flags.compress,
                     "zstd[:1-19] (default zstd:3), gzip[:1-9], none");
  backup->add_option("--format", backup_flags.format,
                     "PostgreSQL dump format: plain (default) or custom")
      ->check(CLI::IsMember({"plain", "custom"}));
  bool backup_pin = false;
  backup->add_flag("--pin", backup_pin, "pin the new backup: retention never removes it");
  backup->add_flag("--integrity-check", backup_flags.full_integrity_check,
                   "run the full PRAGMA integrity_check instead of quick_check");
  std::vector<std::string> encrypt_to;
  backup->add_option("--encrypt-to", encrypt_to,
                     "encrypt to this age public key (age1...); repeat for several; replaces "
                     "[encryption] recipients");
  bool no_prune = false;
  backup->add_flag("--no-prune", no_prune, "do not apply the retention policy afterwards");
  backup->add_flag("--json", g.json, "print the result as JSON");

  // list
  std::optional<std::string> list_name;
  auto* list = app.add_subcommand("list", "list the backups in the storage");
  list->add_option("--name", list_name, "only backups of this database");
  list->add_flag("--json", g.json, "print the list as JSON");

  // pin / unpin
  std::string pin_id, unpin_id;
  auto* pin = app.add_subcommand("pin", "keep a backup until it is unpinned, whatever the policy");
  pin->add_option("id", pin_id, "the backup id")->required();
  auto* unpin = app.add_subcommand("unpin", "let the retention policy judge a pinned backup again");
  unpin->add_option("id", unpin_id, "the backup id")->required();

  // url
  std::string url_id, url_expires = "1h";
  auto* url = app.add_subcommand("url", "print a time-limited download URL of a backup (S3, Cloudinary)");
  url->add_option("--backup-id", url_id, "the backup")->required();
  url->add_option("--expires", url_expires, "how long the URL works: 10m, 1h, 7d (default 1h)");
  url->add_flag("--json", g.json, "print id, key, url and expires_at as JSON");

  // restore
  commands::RestoreOptions restore_opts;
  std::string restore_before, restore_id, restore_target;
  auto* restore = app.add_subcommand("restore", "restore a backup into a database, after proving it");
  restore->add_option("--backup-id", restore_opts.selector.backup_id, "the backup to restore");
  restore->add_flag("--latest", restore_opts.selector.latest, "the newest backup (not safety backups)");
  restore->add_option("--before", restore_opts.selector.before,
                      "the newest backup taken at or before TIME (ISO 8601)");
  restore->add_option("--name", restore_opts.selector.name, "database name, with --latest/--before");
  restore->add_option("--target", restore_opts.target,
                      "database to restore into (default: the backup's source)");
  restore->add_flag("--yes", restore_opts.yes, "do not ask for confirmation");
  restore->add_flag("--no-safety-backup", restore_opts.no_safety_backup,
                    "do not back up the target before overwriting it");
  restore->add_flag("--no-owner", restore_opts.no_owner,
                    "PostgreSQL: leave out object owners (ALTER ... OWNER TO), as pg_restore does");
  restore->add_flag("--no-privileges", restore_opts.no_privileges,
                    "PostgreSQL: leave out GRANT/REVOKE and default privileges");
  restore->add_flag("--terminate-connections", restore_opts.terminate_connections,
                    "PostgreSQL: end the target database's other sessions first (maintenance mode)");
  restore->add_flag("--integrity-check", restore_opts.full_integrity_check,
                    "run the full PRAGMA integrity_check on the restored data");
  std::string identity;
  restore->add_option("--identity", identity,
                      "age identity file (AGE-SECRET-KEY-1...) for encrypted backups");
  restore->add_flag("--json", g.json, "print the result as JSON");

  // verify
  commands::VerifyOptions verify_opts;
  auto* verify = app.add_subcommand("verify", "prove stored backups: checksum, or --deep");
  verify->add_option("--backup-id", verify_opts.selector.backup_id, "the backup to verify");
  verify->add_flag("--latest", verify_opts.selector.latest, "the newest backup");
  verify->add_option("--before", verify_opts.selector.before, "the newest backup at or before TIME");
  verify->add_flag("--all", verify_opts.all, "every backup");
  verify->add_option("--name", verify_opts.selector.name, "database name");
  verify->add_flag("--deep", verify_opts.deep,
                   "also decompress, open, integrity-check and compare row counts");
  verify->add_option("--identity", identity, "age identity file, for --deep on encrypted backups");
  verify->add_flag("--json", g.json, "print the results as JSON");

  // keygen
  std::string keygen_out;
  auto* keygen = app.add_subcommand("keygen", "create an age identity (secret key) for encryption");
  keygen->add_option("-o,--output", keygen_out,
                     "write the identity to FILE (mode 0600, never overwritten); default: "
                     "standard output");
  keygen->footer("The public key (age1...) goes into [encryption] recipients or --encrypt-to;\n"
                 "keep the file safe and away from the backups: without it they cannot be read.");

  // prune
  commands::PruneOptions prune_opts;
  std::optional<std::int64_t> keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly,
      keep_yearly;
  std::optional<std::string> keep_within;
  auto* prune = app.add_subcommand(
      "prune", "apply the retention policy: remove the backups it does not keep");
  prune->add_flag("--dry-run", prune_opts.dry_run, "show what would be removed; remove nothing");
  prune->add_option("--name", prune_opts.name, "only backups of this database");
  prune->add_option("--keep-last", keep_last, "keep the N newest backups");
  prune->add_option("--keep-hourly", keep_hourly, "keep the newest backup of each of N hours");
  prune->add_option("--keep-daily", keep_daily, "keep the newest backup of each of N days");
  prune->add_option("--keep-weekly", keep_weekly, "keep the newest backup of each of N ISO weeks");
  prune->add_option("--keep-monthly", keep_monthly, "keep the newest backup of each of N months");
  prune->add_option("--keep-yearly", keep_yearly, "keep the newest backup of each of N years");
  prune->add_option("--keep-within", keep_within,
                    "keep every backup within DURATION (36h, 14d, 2w) of the newest");
  prune->add_flag("--json", g.json, "print the decisions as JSON");
  prune->footer("Any --keep-* flag replaces the configured policy as a whole. -1 means all.\n"
                "Defaults: keep_daily = 30, keep_weekly = 12, keep_monthly = 12, keep_within =\n"
                "2d (UTC). Pinned backups, and the newest, are never removed.");

  // import
  commands::ImportOptions import_opts;
  std::string import_time;
  auto* import_cmd = app.add_subcommand(
      "import", "bring existing backup files (.db, .sql, .dump; .gz, .zst) into the catalog");
  import_cmd->add_option("files", import_opts.files, "the files")->required();
  import_cmd->add_option("--name", import_opts.name,
                         "database name to file them under (default: from the file name)");
  import_cmd->add_option("--time", import_time,
                         "when the backup was taken, ISO 8601 (default: from the file name)");
  import_cmd->add_option("--compress", import_opts.compress, "how to store them (default zstd:3)");
  import_cmd->add_flag("--json", g.json, "print the results as JSON");
  import_cmd->footer("Names like droplink-backup-20250101-030000.db or\n"
                     "droplink-postgres-backup-20250101-030000.sql.gz give the name and time (UTC).\n"
                     "Each file is checked like a new backup; files already imported are skipped.");

  // config show
  auto* config_cmd = app.add_subcommand("config", "inspect the configuration");
  config_cmd->require_subcommand(1);
  auto* config_show = config_cmd->add_subcommand("show", "print every value and where it came from");
  config_show->add_flag("--json", g.json, "print as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    report_error(g, ErrorKind::usage, to_lower(e.what()),
                 "Run 'lifeboat --help' or 'lifeboat COMMAND --help' for usage.");
    return 2;
  }

  log::set_level(g.quiet ? log::Level::error : g.verbose ? log::Level::debug : log::Level::info);
  log::set_format(g.log_format == "json" ? log::Format::json : log::Format::text);

  try {
    config::LoadOptions load;
    if (!g.config_file.empty()) {
      load.path = g.config_file;
    }
    config::Config cfg = config::load(load);
    if (!g.storage.empty()) {
      config::set_override(cfg, "storage.url", g.storage, "flag --to");
    }
    if (config_show->parsed()) {
      std::cout << (g.json ? config::show_json(cfg) : config::show(cfg));
      return 0;
    }
    if (keygen->parsed()) {
      std::string pub = commands::write_new_identity(keygen_out.empty() ? "-" : keygen_out);
      if (!keygen_out.empty()) {
        std::cout << "Public key: " << pub << "\n";
      } else {
        std::cerr << "Public key: " << pub << "\n";
      }
      return 0;
    }

    auto store = storage::open_storage(cfg.storage.url.value);
    CliEvents events;
    commands::Context ctx{.storage = *store,
                          .clock = system_clock(),
                          .out = std::cout,
                          .json = g.json,
                          .quiet = g.quiet,
                          .progress = !g.quiet && stderr_is_terminal(),
                          .interactive = stdin_is_terminal(),
                          .encryption = commands::encryption_plan(cfg, encrypt_to, identity,
                                                                  env("LIFEBOAT_PASSPHRASE")),
                          .events = &events};
    ctx.encryption.may_prompt = ctx.interactive;
    commands::PruneOptions policies = commands::retention_plan(cfg);

    int rc = 0;
    if (backup->parsed()) {
      commands::BackupRequest request{
          .databases = commands::backup_jobs(cfg, backup_flags, env("DATABASE_URL")),
          .pin = backup_pin};
      if (!no_prune) {
        commands::check_policies(policies); // before anything is stored
        request.prune_after = policies;
      }
      rc = commands::run_backup(ctx, request);
    } else if (list->parsed()) {
      rc = commands::run_list(ctx, list_name);
    } else if (pin->parsed() || unpin->parsed()) {
      rc = commands::run_pin(ctx, pin->parsed() ? pin_id : unpin_id, pin->parsed());
    } else if (url->parsed()) {
      rc = commands::run_url(ctx, url_id, url_expires);
    } else if (restore->parsed()) {
      commands::restore_plan(cfg, env("DATABASE_URL"), restore_opts);
      commands::JobRunner::run(&events, {.job = "restore", .database = restore_opts.selector.name.value_or("")},
                               [&](commands::JobScope&) { rc = commands::run_restore(ctx, restore_opts); });
    } else if (verify->parsed()) {
      commands::JobRunner::run(&events, {.job = "verify", .database = verify_opts.selector.name.value_or("")},
                               [&](commands::JobScope&) { rc = commands::run_verify(ctx, verify_opts); });
    } else if (prune->parsed()) {
      prune_opts.policies = policies.policies;
      prune_opts.default_policy = policies.default_policy;
      if (keep_last || keep_hourly || keep_daily || keep_weekly || keep_monthly || keep_yearly ||
          keep_within) {
        config::Retention flags;
        flags.keep_last.value = keep_last.value_or(0);
        flags.keep_hourly.value = keep_hourly.value_or(0);
        flags.keep_daily.value = keep_daily.value_or(0);
        flags.keep_weekly.value = keep_weekly.value_or(0);
        flags.keep_monthly.value = keep_monthly.value_or(0);
        flags.keep_yearly.value = keep_yearly.value_or(0);
        flags.keep_within.value = keep_within.value_or("");
        for (auto* v : {&flags.keep_last, &flags.keep_hourly, &flags.keep_daily,
                        &flags.keep_weekly, &flags.keep_monthly, &flags.keep_yearly}) {
          v->origin = "flag";
        }
        flags.keep_within.origin = "flag --keep-within";
        try {
          prune_opts.override_policy = commands::retention_from_config(flags, &cfg.retention);
        } catch (const Error& e) {
          throw Error(ErrorKind::usage, e.what(), e.hint());
        }
      }
      commands::JobRunner::run(&events, {.job = "prune", .database = prune_opts.name.value_or("")},
                               [&](commands::JobScope&) { rc = commands::run_prune(ctx, prune_opts); });
    } else if (import_cmd->parsed()) {
      if (!import_time.empty()) {
        import_opts.time = import_time;
      }
      rc = commands::run_import(ctx, import_opts);
    }
    std::cout.flush();
    if (!std::cout) {
      report_error(g, ErrorKind::permanent, "unable to write to standard output", "");
      return 1;
    }
    return rc;
  } catch (const PartialFailure& e) {
    // The command printed its report and each failure; only the summary is left.
    std::cerr << "lifeboat: error: " << e.what() << "\n";
    if (!e.hint().empty()) {
      std::cerr << "HINT: " << e.hint() << "\n";
    }
    return exit_code(e.kind());
  } catch (const Error& e) {
    report_error(g, e.kind(), e.what(), e.hint());
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    report_error(g, ErrorKind::permanent, fmt::format("unexpected failure: {}", e.what()),
                 "This may be a bug in lifeboat; run again with --verbose and report it.");
    return 1;
  }
}
