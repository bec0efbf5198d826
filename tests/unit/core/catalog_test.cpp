#include <gtest/gtest.h>

#include <fmt/format.h>

#include "core/catalog.hpp"
#include "harness/harness.hpp"
#include "storage/storage.hpp"

using namespace lifeboat;
using namespace lifeboat::core;

namespace {
Manifest make(const std::string& id, const std::string& reason = "manual") {
  auto bid = *BackupId::parse(id);
  Manifest m;
  m.id = id;
  m.name = bid.name;
  m.kind = "sqlite";
  m.reason = reason;
  m.source = "/x.db";
  m.started_at = bid.time;
  m.finished_at = bid.time;
  m.data = {bid.data_key("db", "zst"), 1, std::string(64, 'b'), "db", "zstd", 3, false, {}};
  m.checksum_key = bid.checksum_key();
  return m;
}

// Every test gets an empty file storage and a catalog over it.
class CatalogTest : public ::testing::Test {
protected:
  test::TempDir dir;
  std::unique_ptr<storage::Storage> s = storage::open_storage(dir.path().string());
  Catalog c{*s};
};
} // namespace

TEST_F(CatalogTest, ListsOnlyCommittedBackupsInOrder) {
  c.commit(make("app-20261124-030000"));
  c.commit(make("app-20261120-030000"));
  c.commit(make("app-20261122-030000", "safety"));
  c.commit(make("other-20261123-030000"));
  s->write_all("app/app-20261125-030000.db.zst", "leftover of a failed run");
  s->write_all("app/app-20261126-030000.manifest.json", "{broken");

  auto all = c.list(std::string("app"));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].manifest.id, "app-20261120-030000");
  EXPECT_EQ(all[2].manifest.id, "app-20261124-030000");
  ASSERT_EQ(c.problems().size(), 1u);
  EXPECT_EQ(c.problems()[0].manifest_key, "app/app-20261126-030000.manifest.json");
  EXPECT_EQ(c.list().size(), 4u);

  EXPECT_EQ(c.latest(std::string("app")).manifest.id, "app-20261124-030000");
  EXPECT_EQ(c.before(std::string("app"), *parse_iso8601("2026-11-23")).manifest.id,
            "app-20261120-030000"); // the safety backup of the 22nd is skipped
  EXPECT_EQ(c.find("app-20261122-030000").manifest.reason, "safety");
  try {
    c.find("app-20010101-000000");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_EQ(std::string(e.what()),
              "backup 'app-20010101-000000' does not exist in '" + dir.path().string() + "'");
  }
  EXPECT_THROW(c.commit(make("app-20261124-030000")), Error); // never overwritten
}

// One hostile or damaged object must not hide every backup (issue 12): an oversized
// manifest is skipped unread, a deeply nested one is rejected, and the rest are listed.
TEST_F(CatalogTest, AnOversizedOrHostileManifestIsSkippedNotFatal) {
  c.commit(make("app-20261124-030000"));
  s->write_all("app/app-20261125-030000.manifest.json", std::string(k_max_manifest_size + 1, ' '));
  s->write_all("app/app-20261126-030000.manifest.json", "{\"data\": " + std::string(100000, '['));
  auto all = c.list(std::string("app"));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].manifest.id, "app-20261124-030000");
  ASSERT_EQ(c.problems().size(), 2u);
  std::string messages = c.problems()[0].message + " | " + c.problems()[1].message;
  EXPECT_NE(messages.find("manifest is 8388609 bytes, more than the 8388608 lifeboat reads"),
            std::string::npos) << messages;
  EXPECT_NE(messages.find("nests deeper than 8 levels"), std::string::npos) << messages;
}

TEST_F(CatalogTest, AManifestTooLargeToReadBackIsNeverCommitted) {
  Manifest m = make("app-20261124-030000");
  for (int i = 0; i < 200'000; ++i) {
    m.tables.add({"main", fmt::format("a_rather_long_table_name_{:08}", i), 1});
  }
  try {
    c.commit(m);
    FAIL() << "committed a manifest it cannot read back";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::permanent);
    EXPECT_NE(std::string(e.what()).find("(200000 tables), more than the 8388608 lifeboat "
                                         "reads back; nothing was stored"),
              std::string::npos) << e.what();
  }
  EXPECT_TRUE(c.list(std::string("app")).empty());
  EXPECT_FALSE(s->stat("app/app-20261124-030000.manifest.json"));
}

TEST_F(CatalogTest, ReservesTheRealSecondThenSuffixes) {
  TimePoint t = *parse_iso8601("2026-11-25T03:00:00.250Z");
  // Leftover objects of a failed run hold their id too: it is never issued again.
  s->write_all("app/app-20261125-030000.db.zst", "leftover of a failed run");
  auto a = c.reserve("app", t);
  EXPECT_EQ(a->id().str(), "app-20261125-030000-2");
  auto b = c.reserve("app", t + std::chrono::milliseconds(300));
  EXPECT_EQ(b->id().str(), "app-20261125-030000-3"); // the reservation of -2 is held
  EXPECT_TRUE(s->stat("app/app-20261125-030000-2.reserved"));
  a.reset();
  EXPECT_FALSE(s->stat("app/app-20261125-030000-2.reserved"));
  // Another name, or the next second, starts afresh; never a later second's id.
  EXPECT_EQ(c.reserve("other", t)->id().str(), "other-20261125-030000");
  EXPECT_EQ(c.reserve("app", t + std::chrono::seconds(1))->id().str(), "app-20261125-030001");
}

TEST_F(CatalogTest, OrdersBySecondsStartTimeAndSequence) {
  for (int i = 0; i < 5; ++i) {
    auto m = make(i == 0 ? "app-20261125-030000" : "app-20261125-030000-" + std::to_string(i + 1));
    m.started_at += std::chrono::milliseconds(100 * i);
    c.commit(m);
  }
  Catalog fresh(*s);
  auto all = fresh.list(std::string("app"));
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].manifest.id, "app-20261125-030000");
  EXPECT_EQ(all[4].manifest.id, "app-20261125-030000-5");
  EXPECT_EQ(all[4].id.seq, 5);
  EXPECT_EQ(fresh.latest(std::string("app")).manifest.id, "app-20261125-030000-5");
  EXPECT_EQ(fresh.find("app-20261125-030000-3").id.seq, 3);
}

TEST_F(CatalogTest, PinsAreRecordedAndListed) {
  c.commit(make("app-20261124-030000"));
  c.pin("app-20261124-030000");
  EXPECT_TRUE(s->stat("app/app-20261124-030000.pinned"));
  EXPECT_TRUE(c.list(std::string("app"))[0].pinned);
  EXPECT_TRUE(Catalog(*s).list()[0].pinned);
  c.unpin("app-20261124-030000");
  EXPECT_FALSE(Catalog(*s).list()[0].pinned);
  EXPECT_THROW(c.pin("app-20010101-000000"), Error);
}

TEST_F(CatalogTest, LatestOfSeveralDatabasesNeedsAName) {
  c.commit(make("app-20261124-030000"));
  c.commit(make("staging-20261125-030000"));
  try {
    c.latest(std::nullopt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(std::string(e.what()), "'--latest' in '" + dir.path().string() +
                                         "' is ambiguous: it holds backups of 2 databases (app, "
                                         "staging)");
  }
  EXPECT_EQ(c.latest(std::string("app")).manifest.id, "app-20261124-030000");
}
