#include <set>

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
  EXPECT_EQ(BackupId::parse("app").error(), "invalid backup id 'app': expected NAME-YYYYMMDD-HHMMSS[-N]");
}

TEST(BackupId, NamesFromPaths) {
  EXPECT_EQ(default_name_for_path("/srv/app.db"), "app");
  // Anything lost in the derivation adds a stable hash of the original.
  EXPECT_EQ(default_name_for_path("data/My Shop.sqlite3").substr(0, 8), "My_Shop-");
  EXPECT_EQ(default_name_for_path("data/My Shop.sqlite3").size(), 14u);
  EXPECT_EQ(default_name_for_path(".hidden.db").substr(0, 7), "hidden-");
  EXPECT_TRUE(check_name("droplink"));
  EXPECT_FALSE(check_name("a/b"));
  EXPECT_FALSE(check_name(std::string(65, 'a')));
}

TEST(BackupId, SequenceSuffixForTheSameSecond) {
  BackupId id{"app", *parse_iso8601("2026-11-24T07:13:35Z"), 2};
  EXPECT_EQ(id.str(), "app-20261124-071335-2");
  EXPECT_EQ(id.manifest_key(), "app/app-20261124-071335-2.manifest.json");
  EXPECT_EQ(id.reservation_key(), "app/app-20261124-071335-2.reserved");
  EXPECT_EQ(id.pin_key(), "app/app-20261124-071335-2.pinned");
  EXPECT_EQ(id.next().str(), "app-20261124-071335-3");
  auto p = BackupId::parse("app-20261124-071335-12");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "app");
  EXPECT_EQ(p->seq, 12);
  EXPECT_EQ(BackupId::parse("app-20261124-071335")->seq, 1);
  // "-1", leading zeros and six digits are not suffixes.
  for (const char* bad : {"app-20261124-071335-1", "app-20261124-071335-02", "app-20261124-071335-"}) {
    EXPECT_FALSE(BackupId::parse(bad)) << bad;
  }
  // A name that itself ends like a timestamp still parses one way.
  auto odd = BackupId::parse("x-20250101-000000-20261124-071335-2");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->name, "x-20250101-000000");
  EXPECT_EQ(odd->seq, 2);
  EXPECT_FALSE(BackupId::parse("app-20261124-071335", std::string_view("other")));
}

TEST(BackupId, ObjectKeysParseToTheirKind) {
  auto m = parse_object_key("app/app-20261124-071335-2.manifest.json");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, ObjectKind::manifest);
  EXPECT_EQ(m->id.seq, 2);
  EXPECT_EQ(parse_object_key("app/app-20261124-071335.db.zst.age")->kind, ObjectKind::data);
  EXPECT_EQ(parse_object_key("app/app-20261124-071335.sha256")->kind, ObjectKind::checksum);
  EXPECT_EQ(parse_object_key("app/app-20261124-071335.reserved")->kind, ObjectKind::reservation);
  EXPECT_EQ(parse_object_key("app/app-20261124-071335.pinned")->kind, ObjectKind::pin);
  for (const char* other : {"app/notes.txt", "app/app-20261124-071335", "app/x/app-20261124-071335.db",
                            "other/app-20261124-071335.db", "app/app-20261124-071335.exe"}) {
    EXPECT_FALSE(parse_object_key(other)) << other;
  }
}

TEST(BackupId, DerivedNamesStayDistinct) {
  std::set<std::string> names;
  for (const char* stem : {"日本db", "中国db", "my db", "my_db", "my-db", "My Shop", "My_Shop",
                           ".app", "app", "", "ü", "ö"}) {
    std::string n = derive_name(stem);
    EXPECT_TRUE(check_name(n)) << stem << " -> " << n;
    EXPECT_TRUE(names.insert(n).second) << stem << " -> " << n << " collides";
    EXPECT_EQ(derive_name(stem), n); // stable
  }
  EXPECT_EQ(derive_name("my_db"), "my_db"); // nothing lost: no hash
  EXPECT_LE(derive_name(std::string(200, 'x')).size(), 64u);
  EXPECT_NE(derive_name(std::string(200, 'x')), derive_name(std::string(201, 'x')));
}
