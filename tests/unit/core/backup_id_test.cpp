#include <gtest/gtest.h>

#include "core/backup_id.hpp"

using namespace lifeboat;
using namespace lifeboat::core;

TEST(BackupId, FormatsAndParses) {
  BackupId id{"droplink", *parse_iso8601("2026-11-24T03:00:09Z")};
  EXPECT_EQ(id.str(), "droplink-20261124-030009");
  EXPECT_EQ(id.data_key("db", "zst"), "droplink/droplink-20261124-030009.db.zst");
  EXPECT_EQ(id.data_key("sql", "gz", true), "droplink/droplink-20261124-030009.sql.gz.age");
  EXPECT_EQ(id.data_key("db", ""), "droplink/droplink-20261124-030009.db");
  EXPECT_EQ(id.manifest_key(), "droplink/droplink-20261124-030009.manifest.json");
  EXPECT_EQ(id.checksum_key(), "droplink/droplink-20261124-030009.sha256");
  auto p = BackupId::parse("droplink-postgres-20261124-030009");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "droplink-postgres");
  EXPECT_EQ(p->time, id.time);
}

TEST(BackupId, RejectsMalformedIds) {
  for (const char* bad : {"", "app", "app-20261124", "app-20261124-0300", "-20261124-030000",
                          "app-20261324-030000", "a/b-20261124-030000", "app_20261124_030000"}) {
    EXPECT_FALSE(BackupId::parse(bad)) << bad;
  }
  EXPECT_EQ(BackupId::parse("app").error(), "invalid backup id 'app': expected NAME-YYYYMMDD-HHMMSS");
}

TEST(BackupId, NamesFromPaths) {
  EXPECT_EQ(default_name_for_path("/srv/app.db"), "app");
  EXPECT_EQ(default_name_for_path("data/My Shop.sqlite3"), "My_Shop");
  EXPECT_EQ(default_name_for_path(".hidden.db"), "hidden");
  EXPECT_TRUE(check_name("droplink"));
  EXPECT_FALSE(check_name("a/b"));
  EXPECT_FALSE(check_name(std::string(65, 'a')));
}
