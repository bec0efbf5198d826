#include "config/config.hpp"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/raw.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace lifeboat::config {
namespace fs = std::filesystem;

const std::vector<OptionSpec>& options() {
  static const std::vector<OptionSpec> table = {
      {"storage.url", Type::string, "./backups", false, "LIFEBOAT_STORAGE", "where backups are stored"},
      {"database.name", Type::string, "", false, "", "name used in backup ids (default: from the url)"},
      {"database.url", Type::string, "", true, "", "SQLite path, sqlite:PATH, or postgres:// URL (required)"},
      {"database.format", Type::string, "plain", false, "", "PostgreSQL dump format: plain | custom"},
      {"database.compress", Type::string, "zstd:3", false, "", "zstd[:1-19] | gzip[:1-9] | none"},
      {"database.schedule", Type::string, "0 3 * * *", false, "", "daemon: when to back up (cron)"},
      {"database.drill_schedule", Type::string, "0 4 * * SUN#1", false, "", "daemon: when to drill"},
      {"database.drill_scratch", Type::string, "", true, "", "where drills restore"},
      {"database.hooks.pre_backup", Type::string, "", false, "", "shell command before a backup"},
      {"database.hooks.post_backup", Type::string, "", false, "", "shell command after a backup"},
      {"database.hooks.pre_restore", Type::string, "", false, "", "shell command before a restore"},
      {"database.hooks.post_restore", Type::string, "", false, "", "shell command after a restore"},
      {"database.retention.keep_last", Type::integer, "", false, "", "keep the N newest"},
      {"database.retention.keep_hourly", Type::integer, "", false, "", "keep one per hour for N hours"},
      {"database.retention.keep_daily", Type::integer, "", false, "", "keep one per day for N days"},
      {"database.retention.keep_weekly", Type::integer, "", false, "", "keep one per ISO week"},
      {"database.retention.keep_monthly", Type::integer, "", false, "", "keep one per month"},
      {"database.retention.keep_yearly", Type::integer, "", false, "", "keep one per year"},
      {"database.retention.keep_within", Type::duration, "", false, "", "keep all within DURATION"},
      {"database.retention.timezone", Type::string, "", false, "", "time zone of the buckets"},
      {"retention.keep_last", Type::integer, "0", false, "", "keep the N newest backups"},
      {"retention.keep_hourly", Type::integer, "0", false, "", "keep one per hour for N hours"},
      {"retention.keep_daily", Type::integer, "30", false, "", "keep one per day for N days"},
      {"retention.keep_weekly", Type::integer, "12", false, "", "keep one per ISO week for N weeks"},
      {"retention.keep_monthly", Type::integer, "12", false, "", "keep one per month for N months"},
      {"retention.keep_yearly", Type::integer, "0", false, "", "keep one per year for N years"},
      {"retention.keep_within", Type::duration, "2d", false, "", "keep every backup within DURATION of the newest (\"0d\": off)"},
      {"retention.timezone", Type::string, "UTC", false, "", "time zone of the retention buckets"},
      {"encryption.recipients", Type::string_list, "", false, "", "age public keys (age1...)"},
      {"encryption.identity_file", Type::string, "", false, "", "age identity for restore"},
      {"encryption.passphrase", Type::string, "", true, "", "scrypt passphrase (use ${VAR})"},
      {"health.max_age", Type::duration, "24h", false, "", "critical when the newest backup is older"},
      {"health.max_failures", Type::integer, "3", false, "", "critical after N failed runs in a row"},
      {"health.storage_critical", Type::percent, "10%", false, "", "critical below this free space"},
      {"health.storage_warning", Type::percent, "25%", false, "", "warning below this free space"},
      {"health.size_change_warning", Type::percent, "50%", false, "", "warning on size change"},
      {"health.duration_warning", Type::duration, "10m", false, "", "warning when a backup is slower"},
      {"notify.kind", Type::string, "", false, "", "slack | discord | webhook | smtp | sendgrid"},
      {"notify.url", Type::string, "", true, "", "webhook or smtp:// URL"},
      {"notify.api_key", Type::string, "", true, "", "SendGrid API key"},
      {"notify.from", Type::string, "", false, "", "email sender"},
      {"notify.to", Type::string_list, "", false, "", "email recipients"},
      {"notify.on", Type::string_list, "", false, "", "events to send"},
      {"notify.min_severity", Type::string, "warning", false, "", "info | warning | critical"},
      {"postgres.lock_timeout", Type::duration, "30s", false, "", "longest wait for a table lock (pg_dump --lock-wait-timeout, restore's lock_timeout)"},
      {"daemon.listen", Type::string, "127.0.0.1:9187", false, "", "/healthz and /metrics address"},
      {"daemon.timezone", Type::string, "UTC", false, "", "time zone of the schedules"},
  };
  return table;
}

namespace {

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
}

std::string default_of(std::string_view key) {
  for (const auto& o : options()) {
    if (o.key == key) {
      return std::string(o.default_value);
    }
  }
  return {};
}

template <typename T> void def(Value<T>& v, std::string_view key);
template <> void def(Value<std::string>& v, std::string_view key) { v.value = default_of(key); }

template <> void def(Value<std::int64_t>& v, std::string_view key) {
  std::string d = default_of(key);
  v.value = d.empty() ? 0 : std::stoll(d);
}

void apply_defaults(Config& c) {
  def(c.storage.url, "storage.url");
  def(c.retention.keep_last, "retention.keep_last");
  def(c.retention.keep_hourly, "retention.keep_hourly");
  def(c.retention.keep_daily, "retention.keep_daily");
  def(c.retention.keep_weekly, "retention.keep_weekly");
  def(c.retention.keep_monthly, "retention.keep_monthly");
  def(c.retention.keep_yearly, "retention.keep_yearly");
  def(c.retention.keep_within, "retention.keep_within");
  def(c.retention.timezone, "retention.timezone");
  def(c.health.max_age, "health.max_age");
  def(c.health.max_failures, "health.max_failures");
  def(c.health.storage_critical, "health.storage_critical");
  def(c.health.storage_warning, "health.storage_warning");
  def(c.health.size_change_warning, "health.size_change_warning");
  def(c.health.duration_warning, "health.duration_warning");
  def(c.postgres.lock_timeout, "postgres.lock_timeout");
  def(c.daemon.listen, "daemon.listen");
  def(c.daemon.timezone, "daemon.timezone");
}

void database_defaults(DatabaseConfig& d) {
  def(d.format, "database.format");
  def(d.compress, "database.compress");
  def(d.schedule, "database.schedule");
  def(d.drill_schedule, "database.drill_schedule");
}

// "database[3].url" → 3
size_t index_of(const std::string& path) {
  auto open = path.find('[');
  return open == std::string::npos ? 0 : std::stoul(path.substr(open + 1));
}

Retention* retention_of(Config& c, const RawEntry& e) {
  if (e.spec_key.starts_with("database.retention.")) {
    auto& d = c.databases[index_of(e.path)];
    if (!d.retention) {
      d.retention = Retention{};
    }
    return &*d.retention;
  }
  return &c.retention;
}

using Raw = std::variant<std::string, std::int64_t, bool, std::vector<std::string>>;

void assign(Config& c, const RawEntry& e, const Raw& value, const std::string& origin) {
  const std::string& k = e.spec_key;
  auto str = [&](Value<std::string>& v) {
    v.value = std::get<std::string>(value);
    v.origin = origin;
  };
  auto sec = [&](Value<Secret>& v) {
    v.value = Secret(std::get<std::string>(value));
    v.origin = origin;
  };
  auto num = [&](Value<std::int64_t>& v) {
    v.value = std::get<std::int64_t>(value);
    v.origin = origin;
  };
  auto list = [&](Value<std::vector<std::string>>& v) {
    v.value = std::get<std::vector<std::string>>(value);
    v.origin = origin;
  };
  if (k == "storage.url") {
    return str(c.storage.url);
  }
  if (k.starts_with("database.")) {
    size_t i = index_of(e.path);
    while (c.databases.size() <= i) {
      c.databases.emplace_back();
      database_defaults(c.databases.back());
    }
    DatabaseConfig& d = c.databases[i];
    if (k == "database.name") return str(d.name);
    if (k == "database.url") return sec(d.url);
    if (k == "database.format") return str(d.format);
    if (k == "database.compress") return str(d.compress);
    if (k == "database.schedule") return str(d.schedule);
    if (k == "database.drill_schedule") return str(d.drill_schedule);
    if (k == "database.drill_scratch") return sec(d.drill_scratch);
    if (k == "database.hooks.pre_backup") return str(d.hooks.pre_backup);
    if (k == "database.hooks.post_backup") return str(d.hooks.post_backup);
    if (k == "database.hooks.pre_restore") return str(d.hooks.pre_restore);
    if (k == "database.hooks.post_restore") return str(d.hooks.post_restore);
  }
  if (k.starts_with("retention.") || k.starts_with("database.retention.")) {
    Retention& r = *retention_of(c, e);
    std::string leaf = k.substr(k.rfind('.') + 1);
    if (leaf == "keep_last") return num(r.keep_last);
    if (leaf == "keep_hourly") return num(r.keep_hourly);
    if (leaf == "keep_daily") return num(r.keep_daily);
    if (leaf == "keep_weekly") return num(r.keep_weekly);
    if (leaf == "keep_monthly") return num(r.keep_monthly);
    if (leaf == "keep_yearly") return num(r.keep_yearly);
    if (leaf == "keep_within") return str(r.keep_within);
    if (leaf == "timezone") return str(r.timezone);
  }
  if (k == "encryption.recipients") return list(c.encryption.recipients);
  if (k == "encryption.identity_file") return str(c.encryption.identity_file);
  if (k == "encryption.passphrase") return sec(c.encryption.passphrase);
  if (k == "health.max_age") return str(c.health.max_age);
  if (k == "health.max_failures") return num(c.health.max_failures);
  if (k == "health.storage_critical") return str(c.health.storage_critical);
  if (k == "health.storage_warning") return str(c.health.storage_warning);
  if (k == "health.size_change_warning") return str(c.health.size_change_warning);
  if (k == "health.duration_warning") return str(c.health.duration_warning);
  if (k.starts_with("notify.")) {
    size_t i = index_of(e.path);
    while (c.notify.size() <= i) {
      c.notify.emplace_back();
      def(c.notify.back().min_severity, "notify.min_severity");
    }
    NotifyConfig& n = c.notify[i];
    if (k == "notify.kind") return str(n.kind);
    if (k == "notify.url") return sec(n.url);
    if (k == "notify.api_key") return sec(n.api_key);
    if (k == "notify.from") return str(n.from);
    if (k == "notify.to") return list(n.to);
    if (k == "notify.on") return list(n.on);
    if (k == "notify.min_severity") return str(n.min_severity);
  }
  if (k == "postgres.lock_timeout") return str(c.postgres.lock_timeout);
  if (k == "daemon.listen") return str(c.daemon.listen);
  if (k == "daemon.timezone") return str(c.daemon.timezone);
  LIFEBOAT_ASSERT(false && "option in the table without a field");
}

Result<void> check_value(const OptionSpec& s, const std::string& v) {
  if (v.empty()) {
    return {};
  }
  if (s.type == Type::duration) {
    if (auto d = parse_duration(v); !d) {
      return unexpected(d.error());
    }
  }
  if (s.type == Type::percent) {
    static const std::regex pct(R"(^\d{1,3}(\.\d+)?%$)");
    if (!std::regex_match(v, pct)) {
      return unexpected(fmt::format("'{}' is not a percentage like \"25%\"", v));
    }
  }
  if (s.key == "database.compress") {
    static const std::regex c(R"(^(zstd(:(1[0-9]|[1-9]))?|gzip(:[1-9])?|none)$)");
    if (!std::regex_match(v, c)) {
      return unexpected(
          fmt::format("invalid compression '{}': use zstd[:1-19], gzip[:1-9] or none", v));
    }
  }
  if (s.key == "database.format" && v != "plain" && v != "custom") {
    return unexpected(fmt::format("invalid format '{}': use plain or custom", v));
  }
  if (s.key == "notify.kind" && v != "slack" && v != "discord" && v != "webhook" && v != "smtp" &&
      v != "sendgrid") {
    return unexpected(
        fmt::format("invalid kind '{}': use slack, discord, webhook, smtp or sendgrid", v));
  }
  if (s.key == "notify.min_severity" && v != "info" && v != "warning" && v != "critical") {
    return unexpected(fmt::format("invalid severity '{}': use info, warning or critical", v));
  }
  return {};
}

const OptionSpec& spec(std::string_view key) {
  for (const auto& o : options()) {
    if (o.key == key) {
      return o;
    }
  }
  LIFEBOAT_ASSERT(false && "unknown option key");
  return options().front();
}

std::string derive_name(const std::string& url) {
  std::string s = url;
  if (auto q = s.find('?'); q != std::string::npos) {
    s = s.substr(0, q);
  }
  if (auto kw = s.find("dbname="); kw != std::string::npos) {
    s = s.substr(kw + 7);
    return s.substr(0, s.find(' '));
  }
  s = s.substr(s.rfind('/') == std::string::npos ? 0 : s.rfind('/') + 1);
  if (auto colon = s.rfind(':'); colon != std::string::npos) {
    s = s.substr(colon + 1);
  }
  if (auto dot = s.rfind('.'); dot != std::string::npos && dot > 0) {
    s = s.substr(0, dot);
  }
  return s.empty() ? "db" : s;
}

Config build(const std::vector<RawEntry>& entries, const std::string& name, const EnvLookup& env) {
  Config c;
  apply_defaults(c);
  std::vector<bool> has_url;
  for (const auto& e : entries) {
    Raw value = e.value;
    std::string origin = fmt::format("{}:{}", name, e.line);
    std::vector<std::string> used;
    auto expand_one = [&](std::string& s) {
      auto r = expand(s, env, &used);
      if (!r) {
        throw Error(ErrorKind::config,
                    fmt::format("{}:{}: {} (used by '{}')", name, e.line, r.error(), e.path),
                    "Set the variable, or give a default with ${VAR:-default}.");
      }
      s = *r;
    };
    if (auto* s = std::get_if<std::string>(&value)) {
      expand_one(*s);
      if (auto ok = check_value(spec(e.spec_key), *s); !ok) {
        throw Error(ErrorKind::config,
                    fmt::format("{}:{}: {}: {}", name, e.line, e.path, ok.error()));
      }
    } else if (auto* l = std::get_if<std::vector<std::string>>(&value)) {
      for (auto& item : *l) {
        expand_one(item);
      }
    }
    if (!used.empty()) {
      origin = fmt::format("env {} via {}", fmt::join(used, ","), origin);
    }
    assign(c, e, value, origin);
  }
  // Every database needs a url; names default from it and must be unique.
  for (size_t i = 0; i < c.databases.size(); ++i) {
    auto& d = c.databases[i];
    if (d.url.value.empty()) {
      throw Error(ErrorKind::config,
                  fmt::format("{}: database[{}] has no url", name, i),
                  "Each [[database]] needs url = \"...\" (a SQLite path or postgres:// URL).");
    }
    if (d.name.value.empty()) {
      d.name.value = derive_name(d.url.value.reveal());
      d.name.origin = "derived from database.url";
    }
    for (size_t j = 0; j < i; ++j) {
      if (c.databases[j].name.value == d.name.value) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: two databases are named '{}'", name, d.name.value),
                    "Give each [[database]] its own name.");
      }
    }
  }
  return c;
}

void apply_env_defaults(Config& c, const EnvLookup& env) {
  if (c.storage.url.origin == "default") {
    if (auto v = env("LIFEBOAT_STORAGE"); v && !v->empty()) {
      c.storage.url = {*v, "env LIFEBOAT_STORAGE"};
    }
  }
}

// A config file is a few KiB; toml++ builds a tree several times the text's size.
constexpr std::size_t k_max_config_size = 1024 * 1024;

std::string read_text(const fs::path& p) {
  return read_small_file(p, k_max_config_size, "config file", ErrorKind::config);
}

} // namespace

Result<std::string> expand(std::string_view text, const EnvLookup& env,
                           std::vector<std::string>* used) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        return unexpected(fmt::format("unterminated '${{' in '{}'", redact_url(text)));
      }
      std::string inner(text.substr(i + 2, close - i - 2));
      std::optional<std::string> fallback;
      if (auto d = inner.find(":-"); d != std::string::npos) {
        fallback = inner.substr(d + 2);
        inner = inner.substr(0, d);
      }
      static const std::regex name_re("^[A-Za-z_][A-Za-z0-9_]*$");
      if (!std::regex_match(inner, name_re)) {
        return unexpected(fmt::format("invalid variable name '{}' in ${{...}}", inner));
      }
      auto v = env(inner);
      if (!v || (v->empty() && fallback)) {
        if (!fallback) {
          return unexpected(fmt::format("environment variable '{}' is not set", inner));
        }
        v = fallback;
      }
      if (used != nullptr) {
        used->push_back(inner);
      }
      out += *v;
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

Config load_text(std::string_view text, const std::string& name, const EnvLookup& env) {
  EnvLookup lookup = env ? env : process_env();
  Config c = build(parse_raw(text, name), name, lookup);
  apply_env_defaults(c, lookup);
  return c;
}

Config load(const LoadOptions& options) {
  EnvLookup env = options.env ? options.env : process_env();
  std::optional<fs::path> file;
  if (options.path) {
    if (!fs::exists(*options.path)) {
      throw Error(ErrorKind::config,
                  fmt::format("config file '{}' does not exist", options.path->string()));
    }
    file = options.path;
  } else {
    std::vector<fs::path> candidates = {"lifeboat.toml"};
    if (auto x = env("XDG_CONFIG_HOME"); x && !x->empty()) {
      candidates.push_back(fs::path(*x) / "lifeboat" / "lifeboat.toml");
    } else if (auto h = env("HOME"); h && !h->empty()) {
      candidates.push_back(fs::path(*h) / ".config" / "lifeboat" / "lifeboat.toml");
    }
    candidates.emplace_back("/etc/lifeboat/lifeboat.toml");
    for (const auto& p : candidates) {
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) {
        file = p;
        break;
      }
    }
  }
  Config c;
  if (file) {
    c = load_text(read_text(*file), file->string(), env);
    c.file = file;
  } else {
    apply_defaults(c);
    apply_env_defaults(c, env);
  }
  return c;
}

void set_override(Config& c, std::string_view key, const std::string& value,
                  const std::string& origin) {
  if (key == "storage.url") {
    c.storage.url = {value, origin};
    return;
  }
  LIFEBOAT_ASSERT(false && "set_override: unsupported key");
}

namespace {

struct Line {
  std::string key, value, origin;
  bool secret;
};

std::string q(const std::string& s) { return json_quote(s); }

std::vector<Line> lines(const Config& c) {
  std::vector<Line> out;
  auto s = [&](const std::string& k, const Value<std::string>& v) {
    out.push_back({k, q(v.value), v.origin, false});
  };
  auto n = [&](const std::string& k, const Value<std::int64_t>& v) {
    out.push_back({k, std::to_string(v.value), v.origin, false});
  };
  auto sec = [&](const std::string& k, const Value<Secret>& v, bool is_url) {
    // Database URLs keep their shape with the password redacted; webhook URLs carry
    // their secret in the path, so only scheme and host stay; other secrets are ***.
    std::string shown;
    if (!v.value.empty()) {
      const std::string& raw = v.value.reveal();
      if (!is_url) {
        shown = Secret::k_redacted;
      } else if (raw.starts_with("http://") || raw.starts_with("https://")) {
        size_t host_end = raw.find('/', raw.find("://") + 3);
        shown = raw.substr(0, host_end) + "/" + std::string(Secret::k_redacted);
      } else {
        shown = redact_url(raw);
      }
    }
    out.push_back(Line{k, q(shown), v.origin, true});
  };
  auto l = [&](const std::string& k, const Value<std::vector<std::string>>& v) {
    std::string items;
    for (const auto& x : v.value) {
      items += (items.empty() ? "" : ", ") + q(x);
    }
    out.push_back({k, "[" + items + "]", v.origin, false});
  };
  s("storage.url", {redact_url(c.storage.url.value), c.storage.url.origin});
  auto retention = [&](const std::string& p, const Retention& r) {
    n(p + "keep_last", r.keep_last);
    n(p + "keep_hourly", r.keep_hourly);
    n(p + "keep_daily", r.keep_daily);
    n(p + "keep_weekly", r.keep_weekly);
    n(p + "keep_monthly", r.keep_monthly);
    n(p + "keep_yearly", r.keep_yearly);
    s(p + "keep_within", r.keep_within);
    s(p + "timezone", r.timezone);
  };
  for (size_t i = 0; i < c.databases.size(); ++i) {
    const auto& d = c.databases[i];
    std::string p = fmt::format("database[{}].", i);
    s(p + "name", d.name);
    sec(p + "url", d.url, true);
    s(p + "format", d.format);
    s(p + "compress", d.compress);
    s(p + "schedule", d.schedule);
    s(p + "drill_schedule", d.drill_schedule);
    sec(p + "drill_scratch", d.drill_scratch, true);
    s(p + "hooks.pre_backup", d.hooks.pre_backup);
    s(p + "hooks.post_backup", d.hooks.post_backup);
    s(p + "hooks.pre_restore", d.hooks.pre_restore);
    s(p + "hooks.post_restore", d.hooks.post_restore);
    if (d.retention) {
      retention(p + "retention.", *d.retention);
    }
  }
  retention("retention.", c.retention);
  l("encryption.recipients", c.encryption.recipients);
  s("encryption.identity_file", c.encryption.identity_file);
  sec("encryption.passphrase", c.encryption.passphrase, false);
  s("health.max_age", c.health.max_age);
  n("health.max_failures", c.health.max_failures);
  s("health.storage_critical", c.health.storage_critical);
  s("health.storage_warning", c.health.storage_warning);
  s("health.size_change_warning", c.health.size_change_warning);
  s("health.duration_warning", c.health.duration_warning);
  for (size_t i = 0; i < c.notify.size(); ++i) {
    const auto& x = c.notify[i];
    std::string p = fmt::format("notify[{}].", i);
    s(p + "kind", x.kind);
    sec(p + "url", x.url, true);
    sec(p + "api_key", x.api_key, false);
    s(p + "from", x.from);
    l(p + "to", x.to);
    l(p + "on", x.on);
    s(p + "min_severity", x.min_severity);
  }
  s("postgres.lock_timeout", c.postgres.lock_timeout);
  s("daemon.listen", c.daemon.listen);
  s("daemon.timezone", c.daemon.timezone);
  return out;
}

} // namespace

std::string show(const Config& c) {
  std::string out = fmt::format("# configuration file: {}\n",
                                c.file ? c.file->string() : std::string("none (defaults)"));
  auto all = lines(c);
  size_t w = 0;
  for (const auto& l : all) {
    w = std::max(w, l.key.size() + 3 + l.value.size());
  }
  for (const auto& l : all) {
    std::string left = l.key + " = " + l.value;
    out += fmt::format("{:<{}}  # {}\n", left, w, l.origin);
  }
  return out;
}

std::string show_json(const Config& c) {
  std::string out = "{\n  \"file\": " + (c.file ? q(c.file->string()) : "null") +
                    ",\n  \"values\": [\n";
  auto all = lines(c);
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& l = all[i];
    out += fmt::format("    {{\"key\": {}, \"value\": {}, \"origin\": {}, \"secret\": {}}}{}\n",
                       q(l.key), l.value.starts_with("[") || l.value.starts_with("\"")
                                          ? l.value
                                          : l.value,
                       q(l.origin), l.secret ? "true" : "false",
                       i + 1 < all.size() ? "," : "");
  }
  return out + "  ]\n}\n";
}

} // namespace lifeboat::config
