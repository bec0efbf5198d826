// The configuration-to-command mapping that the CLI, the daemon and drills share.
#include <gtest/gtest.h>

#include "commands/plan.hpp"

using namespace lifeboat;
using namespace lifeboat::commands;

namespace {
config::Config cfg_of(const std::string& toml) {
  return config::load_text(toml, "test.toml", [](const std::string&) { return std::nullopt; });
}
const char* k_three = R"(
[[database]]
name = "one"
url = "/srv/one.db"
compress = "gzip:6"
[[database]]
name = "two"
url = "postgres://u:secret@db.example:5432/two"
format = "custom"
[[database]]
name = "three"
url = "sqlite:/srv/three.db"
)";
} // namespace

TEST(BackupJobs, EveryConfiguredDatabaseUnderItsOwnName) {
  auto jobs = backup_jobs(cfg_of(k_three), {}, std::string("postgres://ignored/x"));
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].name, "one");
  EXPECT_EQ(jobs[0].compress, "gzip:6");
  EXPECT_EQ(jobs[1].name, "two");
  EXPECT_EQ(jobs[1].format, "custom");
  EXPECT_EQ(jobs[2].db, "sqlite:/srv/three.db");
  for (const auto& j : jobs) {
    EXPECT_TRUE(j.name_bound) << j.name;
  }
}

TEST(BackupJobs, NameSelectsOneAndFlagsOverride) {
  auto jobs = backup_jobs(cfg_of(k_three), {.name = "two", .compress = "zstd:9"}, std::nullopt);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, "two");
  EXPECT_EQ(jobs[0].compress, "zstd:9");
  try {
    backup_jobs(cfg_of(k_three), {.name = "four"}, std::nullopt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(std::string(e.what()), "no configured database is named 'four' (configured: one, two, three)");
  }
}

TEST(BackupJobs, DbFlagFindsItsConfiguredNameBySource) {
  // The same file written another way is the configured database "three".
  auto jobs = backup_jobs(cfg_of(k_three), {.db = "/srv/../srv/three.db"}, std::nullopt);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, "three");
  EXPECT_TRUE(jobs[0].name_bound);
  // Another database: no name yet (derived at backup time), not bound.
  auto other = backup_jobs(cfg_of(k_three), {.db = "/tmp/other.db"}, std::nullopt);
  EXPECT_EQ(other[0].name, "");
  EXPECT_FALSE(other[0].name_bound);
  // A different --name for a configured database is not bound to it.
  auto renamed = backup_jobs(cfg_of(k_three), {.db = "/srv/one.db", .name = "x"}, std::nullopt);
  EXPECT_EQ(renamed[0].name, "x");
  EXPECT_FALSE(renamed[0].name_bound);
}

TEST(BackupJobs, DatabaseUrlWhenNothingIsConfigured) {
  auto jobs = backup_jobs(cfg_of(""), {}, std::string("postgres://u@h/app"));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].db, "postgres://u@h/app");
  EXPECT_THROW(backup_jobs(cfg_of(""), {}, std::nullopt), Error);
}

TEST(EncryptionPlan, NoWorkFactorFromOutside) {
  auto e = encryption_plan(cfg_of(""), {}, "", std::string("a passphrase"));
  ASSERT_TRUE(e.passphrase);
  EXPECT_EQ(e.work_factor, 18);
  auto r = encryption_plan(cfg_of(""), {"age1xyz"}, "", std::string("a passphrase"));
  EXPECT_FALSE(r.passphrase); // recipients win; the passphrase is not silently added
}

TEST(RetentionPlan, DefaultsKeepTheLastTwoDays) {
  auto p = retention_plan(cfg_of(""));
  EXPECT_EQ(p.default_policy.daily, 30);
  EXPECT_EQ(p.default_policy.within.days, 2);
}
