#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "config/config.hpp"
#include "harness/harness.hpp"

using namespace lifeboat;
using namespace lifeboat::config;

namespace {

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  };
}

const char* k_design_example = R"(
[storage]
url = "s3://acme-backups/droplink?region=eu-west-1"

[[database]]
name = "droplink"
url = "${DATABASE_URL}"
format = "plain"
compress = "zstd:3"
schedule = "0 3 * * *"
drill_schedule = "0 4 * * SUN#1"
drill_scratch = "${SCRATCH_DATABASE_URL:-postgres://scratch@localhost/scratch}"
  [database.hooks]
  pre_restore = "curl -fsS -X POST $APP/maintenance/on"
  post_restore = "curl -fsS -X POST $APP/maintenance/off"
  [database.retention]
  keep_daily = 7

[retention]
keep_daily = 30
keep_weekly = 12
keep_monthly = 12
timezone = "UTC"

[encryption]
recipients = ["age1qqqq"]
identity_file = "/etc/lifeboat/identity.txt"
passphrase = "${LIFEBOAT_PASSPHRASE}"

[health]
max_age = "24h"
max_failures = 3
storage_critical = "10%"
storage_warning = "25%"
size_change_warning = "50%"
duration_warning = "10m"

[[notify]]
kind = "slack"
url = "${SLACK_WEBHOOK_URL}"
on = ["backup_failed", "health_changed", "restore", "drill"]
min_severity = "warning"

[[notify]]
kind = "sendgrid"
api_key = "${SENDGRID_API_KEY}"
from = "backups@example.com"
to = ["admin@example.com"]

[daemon]
listen = "127.0.0.1:9187"
timezone = "UTC"
)";

std::map<std::string, std::string> k_env = {
    {"DATABASE_URL", "postgres://app:TOPSECRETPW@db.example.com/app"},
    {"LIFEBOAT_PASSPHRASE", "PASSPHRASE_SECRET"},
    {"SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/SLACKSECRET"},
    {"SENDGRID_API_KEY", "SG.SENDGRIDSECRET"},
};

std::string config_error(const std::string& text, const EnvLookup& e = env({})) {
  try {
    load_text(text, "test.toml", e);
  } catch (const Error& err) {
    EXPECT_EQ(err.kind(), ErrorKind::config);
    return err.what();
  }
  return "no error";
}

} // namespace

TEST(Config, TheDesignExampleLoads) {
  Config c = load_text(k_design_example, "lifeboat.toml", env(k_env));
  EXPECT_EQ(c.storage.url.value, "s3://acme-backups/droplink?region=eu-west-1");
  EXPECT_EQ(c.storage.url.origin, "lifeboat.toml:3");
  ASSERT_EQ(c.databases.size(), 1u);
  const auto& d = c.databases[0];
  EXPECT_EQ(d.name.value, "droplink");
  EXPECT_EQ(d.url.value.reveal(), "postgres://app:TOPSECRETPW@db.example.com/app");
  EXPECT_EQ(d.url.origin, "env DATABASE_URL via lifeboat.toml:7");
  EXPECT_EQ(d.drill_scratch.value.reveal(), "postgres://scratch@localhost/scratch");
  EXPECT_EQ(d.hooks.pre_restore.value, "curl -fsS -X POST $APP/maintenance/on");
  ASSERT_TRUE(d.retention.has_value());
  EXPECT_EQ(d.retention->keep_daily.value, 7);
  EXPECT_EQ(c.retention.keep_weekly.value, 12);
  EXPECT_EQ(c.encryption.recipients.value, std::vector<std::string>{"age1qqqq"});
  EXPECT_EQ(c.encryption.passphrase.value.reveal(), "PASSPHRASE_SECRET");
  EXPECT_EQ(c.health.max_failures.value, 3);
  ASSERT_EQ(c.notify.size(), 2u);
  EXPECT_EQ(c.notify[1].to.value, std::vector<std::string>{"admin@example.com"});
  EXPECT_EQ(c.daemon.listen.value, "127.0.0.1:9187");
}

TEST(Config, ShowNeverRevealsASecret) {
  Config c = load_text(k_design_example, "lifeboat.toml", env(k_env));
  for (const std::string& out : {show(c), show_json(c)}) {
    for (const char* secret : {"TOPSECRETPW", "PASSPHRASE_SECRET", "SLACKSECRET", "SENDGRIDSECRET"}) {
      EXPECT_EQ(out.find(secret), std::string::npos) << secret << " in:\n" << out;
    }
    EXPECT_NE(out.find("postgres://app:***@db.example.com/app"), std::string::npos) << out;
    EXPECT_NE(out.find("env DATABASE_URL via lifeboat.toml:7"), std::string::npos);
  }
}

TEST(Config, DefaultsWithoutAFile) {
  Config c = load_text("", "empty.toml", env({}));
  EXPECT_EQ(c.storage.url.value, "./backups");
  EXPECT_EQ(c.storage.url.origin, "default");
  EXPECT_EQ(c.retention.keep_daily.value, 30);
  EXPECT_EQ(c.retention.keep_weekly.value, 12);
  EXPECT_EQ(c.retention.keep_monthly.value, 12);
  Config e = load_text("", "empty.toml", env({{"LIFEBOAT_STORAGE", "/srv/b"}}));
  EXPECT_EQ(e.storage.url.value, "/srv/b");
  EXPECT_EQ(e.storage.url.origin, "env LIFEBOAT_STORAGE");
  set_override(e, "storage.url", "./x", "flag --to");
  EXPECT_EQ(e.storage.url.origin, "flag --to");
}

TEST(Config, Errors) {
  EXPECT_EQ(config_error("[storage]\nurl = \"${NOPE}\"\n"),
            "test.toml:2: environment variable 'NOPE' is not set (used by 'storage.url')");
  EXPECT_EQ(config_error("[retention]\nkeep_dayly = 3\n"), "test.toml:2: unknown key 'retention.keep_dayly'");
  EXPECT_EQ(config_error("[retention]\nkeep_daily = \"30\"\n"),
            "test.toml:2: 'retention.keep_daily' must be an integer");
  EXPECT_EQ(config_error("[retention]\nkeep_daily = -1\n"),
            "test.toml:2: 'retention.keep_daily' must not be negative");
  EXPECT_EQ(config_error("[[database]]\nurl = \"a.db\"\ncompress = \"zstd:30\"\n"),
            "test.toml:3: database[0].compress: invalid compression 'zstd:30': use zstd[:1-19], "
            "gzip[:1-9] or none");
  EXPECT_EQ(config_error("[[database]]\nname = \"x\"\n"), "test.toml: database[0] has no url");
  EXPECT_EQ(config_error("[[database]]\nurl = \"a.db\"\n[[database]]\nurl = \"b/a.db\"\n"),
            "test.toml: two databases are named 'a'");
  EXPECT_EQ(config_error("[health]\nmax_age = \"soon\"\n").substr(0, 28), "test.toml:2: health.max_age:");
  EXPECT_EQ(config_error("[storage\n").substr(0, 12), "test.toml:1:");
  EXPECT_EQ(config_error("database = 3\n"),
            "test.toml:1: 'database' must be an array of tables: write [[database]]");
}

TEST(Config, UnknownKeyHint) {
  try {
    load_text("[retention]\nkeep_dayly = 3\n", "t.toml", env({}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.hint(), "Did you mean 'retention.keep_daily'?");
  }
}

TEST(Config, Expansion) {
  auto e = env({{"A", "1"}, {"EMPTY", ""}});
  EXPECT_EQ(*expand("x${A}y", e), "x1y");
  EXPECT_EQ(*expand("${B:-fallback}", e), "fallback");
  EXPECT_EQ(*expand("${EMPTY:-fallback}", e), "fallback");
  EXPECT_EQ(*expand("$A and $", e), "$A and $");
  EXPECT_FALSE(expand("${A", e));
  EXPECT_FALSE(expand("${1BAD}", e));
}

TEST(Config, MissingExplicitFile) {
  try {
    load({.path = std::filesystem::path("/nonexistent/lifeboat.toml")});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "config file '/nonexistent/lifeboat.toml' does not exist");
  }
}

// A config file is read whole only up to 1 MiB (issue 12): a larger one (a log file
// passed by mistake, /dev/zero, a hostile file) is refused before it fills memory.
TEST(Config, AnOversizedFileIsRefusedBeforeItIsRead) {
  test::TempDir dir;
  auto path = dir.path() / "lifeboat.toml";
  {
    std::ofstream out(path);
    out << "[storage]\nurl = \"./backups\"\n" << std::string(1024 * 1024, '#') << "\n";
  }
  try {
    load({.path = path});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_EQ(std::string(e.what()), "config file '" + path.string() +
                                         "' is larger than 1024 KiB, the most lifeboat reads: "
                                         "is it the right file?");
  }
  try {
    load({.path = std::filesystem::path("/dev/zero")});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("larger than 1024 KiB"), std::string::npos) << e.what();
  }
}
