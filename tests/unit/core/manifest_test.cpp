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
  m.tables = {{"orders", 5}, {"customers", 2}};
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
  // Unknown fields are ignored (compatible additions).
  EXPECT_TRUE(with([](auto& x) { x["future_field"] = 1; }));
}

TEST(Manifest, ChecksumLineIsWhatSha256sumReads) {
  EXPECT_EQ(checksum_line(sample().data),
            std::string(64, 'a') + "  app-20261124-030000.db.zst\n");
}
