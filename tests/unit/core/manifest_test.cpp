#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/manifest.hpp"

using namespace lifeboat;
using namespace lifeboat::core;

namespace {
Manifest sample() {
  Manifest m;
  m.id = "app-20261124-030000";
  m.name = "app";
  m.kind = "sqlite";
  m.reason = "manual";
  m.source = "/srv/app.db";
  m.started_at = *parse_iso8601("2026-11-24T03:00:00Z");
  m.finished_at = *parse_iso8601("2026-11-24T03:00:02Z");
  m.data = {"app/app-20261124-030000.db.zst", 1234, std::string(64, 'a'), "db", "zstd", 3, false, {}};
  m.checksum_key = "app/app-20261124-030000.sha256";
  m.uncompressed_size = 4096;
  m.tables = {{"main", "orders", 5}, {"main", "customers", 2}};
  return m;
}
} // namespace

TEST(Manifest, RoundTrips) {
  Manifest m = sample();
  auto back = parse_manifest(to_json(m));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->data.sha256, m.data.sha256);
  EXPECT_EQ(back->tables, m.tables);
  EXPECT_EQ(back->started_at, m.started_at);
  EXPECT_EQ(back->total_rows(), 7u);
  EXPECT_NE(to_json(m).find("\"format\": \"lifeboat-manifest/1\""), std::string::npos);
}

TEST(Manifest, RolesAndDatabaseSettingsAreOptional) {
  Manifest m = sample();
  auto plain = parse_manifest(to_json(m));
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_FALSE(plain->roles); // unknown, not "none"
  EXPECT_FALSE(plain->database_settings);
  EXPECT_EQ(to_json(m).find("roles"), std::string::npos);

  m.kind = "postgres";
  m.roles = RoleUse{.owners = {"app", "App \"Admin\""}, .privileges = {"ro"}, .policies = {}};
  m.database_settings = std::vector<std::string>{"work_mem=8MB", "search_path=\"$user\", public"};
  auto back = parse_manifest(to_json(m));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->roles, m.roles);
  EXPECT_EQ(back->database_settings, m.database_settings);

  auto j = nlohmann::json::parse(to_json(m));
  j["roles"] = "app";
  EXPECT_EQ(parse_manifest(j.dump()).error(), "invalid manifest: field 'roles' has the wrong type");
}

TEST(Manifest, ValidatesStrictly) {
  auto j = nlohmann::json::parse(to_json(sample()));
  auto with = [&](auto change) {
    auto copy = j;
    change(copy);
    return parse_manifest(copy.dump());
  };
  EXPECT_EQ(with([](auto& x) { x["format"] = "lifeboat-manifest/2"; }).error(),
            "invalid manifest: unsupported manifest format 'lifeboat-manifest/2' (this lifeboat "
            "reads 'lifeboat-manifest/1')");
  EXPECT_EQ(with([](auto& x) { x.erase("id"); }).error(), "invalid manifest: missing field 'id'");
  EXPECT_EQ(with([](auto& x) { x["data"]["sha256"] = "xyz"; }).error(),
            "invalid manifest: field 'data.sha256' is not a SHA-256 hex digest");
  EXPECT_EQ(with([](auto& x) { x["name"] = "other"; }).error(),
            "invalid manifest: id 'app-20261124-030000' does not belong to database 'other'");
  EXPECT_EQ(with([](auto& x) { x["data"]["key"] = "app/app-20250101-000000.db.zst"; }).error(),
            "invalid manifest: data key 'app/app-20250101-000000.db.zst' does not belong to "
            "backup 'app-20261124-030000'");
  EXPECT_EQ(with([](auto& x) { x["data"]["size"] = "big"; }).error(),
            "invalid manifest: field 'size' has the wrong type");
  EXPECT_FALSE(parse_manifest("{not json"));
  // Found by tests/fuzz/manifest: a float converted to an integer was undefined behaviour
  // out of range and a silent truncation in range; a negative count wrapped to 2^64 - n.
  EXPECT_EQ(with([](auto& x) { x["data"]["size"] = 1e300; }).error(),
            "invalid manifest: field 'size': not a whole number");
  EXPECT_EQ(with([](auto& x) { x["data"]["size"] = 12.5; }).error(),
            "invalid manifest: field 'size': not a whole number");
  EXPECT_EQ(with([](auto& x) { x["uncompressed_size"] = -1; }).error(),
            "invalid manifest: field 'uncompressed_size': negative value where a count or size "
            "is expected");
  EXPECT_EQ(with([](auto& x) { x["tables"][0]["rows"] = -5; }).error(),
            "invalid manifest: field 'rows': negative value where a count or size is expected");
  EXPECT_EQ(with([](auto& x) { x["data"]["level"] = 1e12; }).error(),
            "invalid manifest: field 'level': not a whole number");
  EXPECT_EQ(with([](auto& x) { x["data"]["level"] = 4294967296LL; }).error(),
            "invalid manifest: field 'level': integer out of range");
  EXPECT_EQ(with([](auto& x) { x["data"]["size"] = 18446744073709551615ULL; })->data.size,
            18446744073709551615ULL);
  // Found by tests/fuzz/manifest: a year a TimePoint cannot hold was undefined behaviour.
  auto far = with([](auto& x) { x["started_at"] = "2426-12-03T13:17:45.825Z"; });
  ASSERT_FALSE(far);
  EXPECT_NE(far.error().find("outside the years 1900 to 2200"), std::string::npos) << far.error();
  // Unknown fields are ignored (compatible additions).
  EXPECT_TRUE(with([](auto& x) { x["future_field"] = 1; }));
}

TEST(Manifest, WritesSchemaAndNameOfEveryTable) {
  Manifest m = sample();
  m.kind = "postgres";
  m.tables = {{"public", "a.b", 1}, {"a", "b.c", 2}, {"a.b", "c", 3}, {"we\"ird", "t", 4}};
  auto j = nlohmann::json::parse(to_json(m));
  EXPECT_EQ(j["tables"], nlohmann::json::parse(R"([
    {"schema": "a", "name": "b.c", "rows": 2},
    {"schema": "a.b", "name": "c", "rows": 3},
    {"schema": "public", "name": "a.b", "rows": 1},
    {"schema": "we\"ird", "name": "t", "rows": 4}])"));
  auto back = parse_manifest(j.dump());
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->tables, m.tables);
  EXPECT_FALSE(back->legacy_table_names);
  EXPECT_TRUE(compare_with_manifest(*back, m.tables).empty());
}

TEST(Manifest, RejectsATableListedTwice) {
  auto j = nlohmann::json::parse(to_json(sample()));
  j["tables"].push_back({{"schema", "main"}, {"name", "orders"}, {"rows", 1}});
  EXPECT_EQ(parse_manifest(j.dump()).error(),
            "invalid manifest: table \"main\".\"orders\" is listed twice in field 'tables'");
  j["tables"] = {{{"schema", 1}, {"name", "x"}, {"rows", 1}}};
  EXPECT_EQ(parse_manifest(j.dump()).error(),
            "invalid manifest: field 'schema' has the wrong type");
  j["tables"] = {{"x"}};
  EXPECT_EQ(parse_manifest(j.dump()).error(),
            "invalid manifest: field 'tables' holds an entry that is not an object");
  j["tables"] = "x";
  EXPECT_EQ(parse_manifest(j.dump()).error(),
            "invalid manifest: field 'tables' has the wrong type");
}

// Manifests written before "schema" was recorded stay readable.
TEST(Manifest, ReadsTablesWithoutSchema) {
  auto j = nlohmann::json::parse(to_json(sample()));
  j["tables"] = nlohmann::json::parse(R"([{"name": "a.b", "rows": 1}, {"name": "x", "rows": 2}])");
  auto sqlite = parse_manifest(j.dump());
  ASSERT_TRUE(sqlite) << sqlite.error();
  EXPECT_TRUE(sqlite->legacy_table_names);
  EXPECT_EQ(sqlite->tables, (Inventory{{"main", "a.b", 1}, {"main", "x", 2}}));
  // The old writer skipped "sqlitedata" too (LIKE 'sqlite_%'): it is no difference there.
  Inventory now{{"main", "a.b", 1}, {"main", "x", 2}, {"main", "SQLiteData", 3}};
  EXPECT_TRUE(compare_with_manifest(*sqlite, now).empty());
  now.add({"main", "sqlite", 4}); // exactly "sqlite" was not skipped
  EXPECT_EQ(compare_with_manifest(*sqlite, now).size(), 1u);

  // PostgreSQL: "schema.table" with the quotes removed, split at the first dot.
  j["kind"] = "postgres";
  j["tables"] = nlohmann::json::parse(R"([{"name": "public.orders", "rows": 5},
    {"name": "a.b.c", "rows": 1}, {"name": "a.b.c", "rows": 2}, {"name": "weird.t", "rows": 4},
    {"name": "bare", "rows": 6}])");
  auto pg = parse_manifest(j.dump());
  ASSERT_TRUE(pg) << pg.error();
  EXPECT_TRUE(pg->legacy_table_names);
  EXPECT_EQ(
      pg->tables,
      (Inventory{{"public", "orders", 5}, {"a", "b.c", 3}, {"weird", "t", 4}, {"", "bare", 6}}));
  // What the old writer merged, compared as it named them: the same dump matches.
  Inventory found{{"public", "orders", 5},
                  {"a.b", "c", 1},
                  {"a", "b.c", 2},
                  {"we\"ird", "t", 4},
                  {"", "bare", 6}};
  EXPECT_TRUE(compare_with_manifest(*pg, found).empty());
  found.add({"public", "orders", 1});
  EXPECT_EQ(compare_with_manifest(*pg, found),
            (std::vector<Difference>{{.kind = Difference::Kind::rows,
                                      .schema = "public",
                                      .table = "orders",
                                      .expected_rows = 5,
                                      .found_rows = 6}}));
}

TEST(Manifest, ChecksumLineIsWhatSha256sumReads) {
  EXPECT_EQ(checksum_line(sample().data),
            std::string(64, 'a') + "  app-20261124-030000.db.zst\n");
}

TEST(Manifest, PartsAreOptionalCheckedAndRoundTrip) {
  Manifest m = sample();
  EXPECT_EQ(to_json(m).find("parts"), std::string::npos); // one object: as before
  auto plain = parse_manifest(to_json(m));
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_TRUE(plain->data.parts.empty());

  m.data.parts = {{m.data.key + ".part0001", 1000, std::string(64, 'b')},
                  {m.data.key + ".part0002", 234, std::string(64, 'c')}};
  auto back = parse_manifest(to_json(m));
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back->data.parts.size(), 2u);
  EXPECT_EQ(back->data.parts[1].key, m.data.key + ".part0002");
  EXPECT_EQ(back->data.parts[1].size, 234u);
  EXPECT_EQ(back->data.parts[0].sha256, std::string(64, 'b'));

  auto bad = [&](auto change) {
    auto j = nlohmann::json::parse(to_json(m));
    change(j["data"]["parts"]);
    return parse_manifest(j.dump());
  };
  EXPECT_FALSE(bad([](auto& p) { p[1]["size"] = 235; }));              // sizes do not add up
  EXPECT_FALSE(bad([](auto& p) { p[1]["key"] = "app/elsewhere"; }));    // not KEY.part0002
  EXPECT_FALSE(bad([](auto& p) { std::swap(p[0], p[1]); }));            // out of order
  EXPECT_FALSE(bad([](auto& p) { p[0]["sha256"] = "x"; }));
  EXPECT_FALSE(bad([](auto& p) { p = nlohmann::json::array(); }));
  EXPECT_FALSE(bad([](auto& p) { p = "parts"; }));
  EXPECT_FALSE(bad([](auto& p) { p[0]["size"] = -1; }));
}
