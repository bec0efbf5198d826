// config: the configuration of DESIGN.md ("Configuration file"), where every value
// came from, and `config show`.
//
// One option table (options()) lists every key once with its type, default,
// environment variable, secrecy and help; the TOML loader, flag overrides and
// show() all read it (STYLE.md L8). Secrets are held as Secret and print as ***.
// This module reads files and the environment; it never touches storage or databases.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"
#include "util/secret.hpp"

namespace lifeboat::config {

enum class Type { string, integer, boolean, string_list, duration, percent };

struct OptionSpec {
  std::string_view key;        // "retention.keep_daily"; "database.url" for each [[database]]
  Type type;
  std::string_view default_value; // as TOML would write it, "" when none
  bool secret;
  std::string_view env;        // environment variable used when the file does not set it
  std::string_view help;
};

// Every option lifeboat knows.
const std::vector<OptionSpec>& options();

// A value and where it came from: "default", "lifeboat.toml:7",
// "env DATABASE_URL via lifeboat.toml:7", "env LIFEBOAT_STORAGE", "flag --to".
template <typename T> struct Value {
  T value{};
  std::string origin = "default";
};

struct Hooks {
  Value<std::string> pre_backup, post_backup, pre_restore, post_restore;
};

struct Retention {
  Value<std::int64_t> keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly;
  Value<std::string> keep_within;
  Value<std::string> timezone;
};

struct DatabaseConfig {
  Value<std::string> name;
  Value<Secret> url;
  Value<std::string> format, compress, schedule, drill_schedule;
  Value<Secret> drill_scratch;
  Hooks hooks;
  std::optional<Retention> retention; // overrides [retention] when present
};

struct Encryption {
  Value<std::vector<std::string>> recipients;
  Value<std::string> identity_file;
  Value<Secret> passphrase;
};

struct Health {
  Value<std::string> max_age, storage_critical, storage_warning, size_change_warning,
      duration_warning;
  Value<std::int64_t> max_failures;
};

struct NotifyConfig {
  Value<std::string> kind;
  Value<Secret> url, api_key;
  Value<std::string> from, min_severity;
  Value<std::vector<std::string>> to, on;
};

struct Daemon {
  Value<std::string> listen, timezone;
};

struct Config {
  struct {
    Value<std::string> url;
  } storage;
  std::vector<DatabaseConfig> databases;
  Retention retention;
  Encryption encryption;
  Health health;
  std::vector<NotifyConfig> notify;
  struct {
    Value<std::string> lock_timeout; // duration
  } postgres;
  Daemon daemon;
  std::optional<std::filesystem::path> file; // the file loaded, if any
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

struct LoadOptions {
  // --config FILE: must exist. Otherwise the search path of DESIGN.md is used.
  std::optional<std::filesystem::path> path;
  // Environment lookup; default: the process environment.
  EnvLookup env;
};

// Loads defaults, then the file, then environment defaults. Throws Error{config}
// naming the file, line and key on any problem.
Config load(const LoadOptions& options = {});

// Loads from TOML text (for tests); `name` is used in messages and origins.
Config load_text(std::string_view text, const std::string& name, const EnvLookup& env = {});

// Command-line override of one scalar key ("storage.url"); origin e.g. "flag --to".
void set_override(Config& config, std::string_view key, const std::string& value,
                  const std::string& origin);

// `lifeboat config show`: every effective value with its origin; secrets as ***.
std::string show(const Config& config);
std::string show_json(const Config& config);

// Expands ${VAR} and ${VAR:-default}. Errors name the variable.
Result<std::string> expand(std::string_view text, const EnvLookup& env,
                           std::vector<std::string>* used = nullptr);

} // namespace lifeboat::config
