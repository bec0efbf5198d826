#include "storage_conformance.hpp"

#include <random>
#include <set>

namespace lifeboat::test {

using storage::PutOptions;

void StorageConformance::SetUp() { m_storage = GetParam().make(m_dir); }

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) {
    c = static_cast<char>(rng());
  }
  return s;
}

namespace {

std::set<std::string> keys(storage::Storage& s, const std::string& prefix) {
  std::set<std::string> out;
  s.list(prefix, [&](const storage::ObjectInfo& i) { out.insert(i.key); });
  return out;
}

} // namespace

TEST_P(StorageConformance, RoundTripsEverySize) {
  std::size_t large = GetParam().large_size;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1024 * 1024 - 1},
                        std::size_t{1024 * 1024}, std::size_t{1024 * 1024 + 1}, large}) {
    std::string key = "db/obj-" + std::to_string(n);
    std::string data = random_bytes(n, static_cast<unsigned>(n));
    auto w = m_storage->open_write(key);
    // Written in uneven pieces, as a pipeline would.
    for (std::size_t pos = 0; pos < n;) {
      std::size_t piece = std::min<std::size_t>(n - pos, 65536 + pos % 1000);
      w->write(pipeline::as_bytes(std::string_view(data).substr(pos, piece)));
      pos += piece;
    }
    EXPECT_EQ(w->bytes_written(), n);
    w->commit();
    EXPECT_EQ(m_storage->read_all(key, large + 1), data) << "size " << n;
    auto info = m_storage->stat(key);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->size, n);
    EXPECT_EQ(info->key, key);
  }
}

TEST_P(StorageConformance, ListsByPrefix) {
  for (const char* k : {"a/x", "a/y", "ab/z", "b", "a/sub/deep"}) {
    m_storage->write_all(k, k);
  }
  EXPECT_EQ(keys(*m_storage, "a/"), (std::set<std::string>{"a/x", "a/y", "a/sub/deep"}));
  EXPECT_EQ(keys(*m_storage, "a/x"), (std::set<std::string>{"a/x"}));
  EXPECT_EQ(keys(*m_storage, "ab/"), (std::set<std::string>{"ab/z"}));
  EXPECT_EQ(keys(*m_storage, ""), (std::set<std::string>{"a/x", "a/y", "ab/z", "b", "a/sub/deep"}));
  EXPECT_TRUE(keys(*m_storage, "zzz/").empty());
  auto all = m_storage->list_all("a/");
  for (const auto& i : all) {
    EXPECT_EQ(i.size, i.key.size());
  }
}

TEST_P(StorageConformance, ListsManyObjects) {
  for (int i = 0; i < 1500; ++i) {
    m_storage->write_all("many/obj-" + std::to_string(i), "x");
  }
  EXPECT_EQ(keys(*m_storage, "many/").size(), 1500u);
}

TEST_P(StorageConformance, MissingKeys) {
  EXPECT_FALSE(m_storage->stat("db/missing").has_value());
  EXPECT_NO_THROW(m_storage->remove("db/missing"));
  try {
    m_storage->open_read("db/missing");
    FAIL() << "open_read of a missing key succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_EQ(std::string(e.what()), "unable to open missing object 'db/missing' in '" +
                                         m_storage->display_url() + "' for read");
  }
}

TEST_P(StorageConformance, RemoveRemoves) {
  m_storage->write_all("db/k", "v");
  m_storage->remove("db/k");
  EXPECT_FALSE(m_storage->stat("db/k").has_value());
  EXPECT_TRUE(keys(*m_storage, "db/").empty());
}

TEST_P(StorageConformance, OverwriteRules) {
  m_storage->write_all("db/k", "one");
  m_storage->write_all("db/k", "two");
  EXPECT_EQ(m_storage->read_all("db/k"), "two");
  try {
    m_storage->write_all("db/k", "three", PutOptions{.overwrite = false});
    FAIL() << "overwrite=false replaced an object";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::permanent);
  }
  EXPECT_EQ(m_storage->read_all("db/k"), "two");
  EXPECT_EQ(keys(*m_storage, "db/"), (std::set<std::string>{"db/k"}));
}

TEST_P(StorageConformance, AbortedWriteLeavesNothing) {
  auto w = m_storage->open_write("db/aborted");
  w->write(pipeline::as_bytes(random_bytes(300000)));
  w->abort();
  EXPECT_FALSE(m_storage->stat("db/aborted").has_value());
  EXPECT_TRUE(keys(*m_storage, "").empty());
}

TEST_P(StorageConformance, UncommittedWriterLeavesNothing) {
  {
    auto w = m_storage->open_write("db/dropped");
    w->write(pipeline::as_bytes(random_bytes(300000)));
    // Not visible before commit either.
    EXPECT_FALSE(m_storage->stat("db/dropped").has_value());
    EXPECT_TRUE(keys(*m_storage, "").empty());
  }
  EXPECT_FALSE(m_storage->stat("db/dropped").has_value());
  EXPECT_TRUE(keys(*m_storage, "").empty());
}

TEST_P(StorageConformance, FailedStreamLeavesNothing) {
  try {
    auto w = m_storage->open_write("db/failed");
    w->write(pipeline::as_bytes(random_bytes(100000)));
    throw Error(ErrorKind::transient, "the source went away");
  } catch (const Error&) {
  }
  EXPECT_FALSE(m_storage->stat("db/failed").has_value());
  EXPECT_TRUE(keys(*m_storage, "").empty());
}

TEST_P(StorageConformance, RejectsBadKeys) {
  for (const char* bad : {"", "/abs", "a/../b", "a//b", "./a", "a/"}) {
    EXPECT_THROW(m_storage->open_write(bad), Error) << bad;
  }
}

TEST_P(StorageConformance, DisplayUrlHasNoSecret) {
  EXPECT_EQ(m_storage->display_url().find("secret"), std::string::npos);
  EXPECT_TRUE(m_storage->capabilities().atomic_put);
}

} // namespace lifeboat::test
