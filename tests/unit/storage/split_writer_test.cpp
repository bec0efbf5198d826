// SplitWriter over a directory whose "service" takes objects of at most `limit` bytes:
// an object within the limit stays one object under its key, a larger one becomes parts
// KEY.part0001.. of at most the limit, each with its size and SHA-256, whose `cat` is the
// object; the limit is asked for only as the object grows; a failure leaves nothing.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "harness/harness.hpp"
#include "storage/file/file_storage.hpp"
#include "storage/split_writer.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace lifeboat::storage {
namespace {

class Capped final : public Storage {
public:
  Capped(std::unique_ptr<Storage> inner, std::uint64_t limit) : m_inner(std::move(inner)), m_limit(limit) {}
  std::string display_url() const override { return m_inner->display_url(); }
  Capabilities capabilities() const override {
    auto c = m_inner->capabilities();
    c.object_size_limit = true;
    return c;
  }
  std::unique_ptr<ObjectWriter> open_write(const std::string& key, const PutOptions& o) override {
    return m_inner->open_write(key, o);
  }
  std::unique_ptr<ObjectReader> open_read(const std::string& key) override { return m_inner->open_read(key); }
  void list(const std::string& prefix, const std::function<void(const ObjectInfo&)>& each) override {
    m_inner->list(prefix, each);
  }
  std::optional<ObjectInfo> stat(const std::string& key) override { return m_inner->stat(key); }
  void remove(const std::string& key) override { m_inner->remove(key); }
  std::optional<std::uint64_t> max_object_size(std::uint64_t size) override {
    ++asked;
    return size > m_limit ? std::optional<std::uint64_t>(m_limit) : std::nullopt;
  }
  bool rename(const std::string& from, const std::string& to) override {
    std::string data = m_inner->read_all(from);
    m_inner->write_all(to, data, {.overwrite = false});
    m_inner->remove(from);
    return true;
  }
  int asked = 0;

private:
  std::unique_ptr<Storage> m_inner;
  std::uint64_t m_limit;
};

std::string sha256_hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
  return to_hex(std::span<const unsigned char>(md, n));
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  }
  return s;
}

std::string drain(ObjectReader& r) {
  std::string out;
  std::vector<std::byte> buf(257);
  while (std::size_t n = r.read(buf)) {
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  return out;
}

void write_in_pieces(ObjectWriter& w, const std::string& data, std::size_t piece) {
  for (std::size_t i = 0; i < data.size(); i += piece) {
    w.write(pipeline::as_bytes(std::string_view(data).substr(i, piece)));
  }
}

TEST(SplitWriter, AnObjectWithinTheLimitStaysWhole) {
  test::TempDir dir;
  Capped s(std::make_unique<file::FileStorage>(dir.path()), 1000);
  SplitWriter w(s, "a/x.db.zst", {.overwrite = false});
  std::string data = pattern(1000);
  write_in_pieces(w, data, 333);
  w.commit();
  EXPECT_TRUE(w.parts().empty());
  EXPECT_EQ(s.read_all("a/x.db.zst"), data);
  EXPECT_EQ(s.list_all("a/").size(), 1u);
}

TEST(SplitWriter, ALargerObjectBecomesPartsWhoseCatIsTheObject) {
  test::TempDir dir;
  Capped s(std::make_unique<file::FileStorage>(dir.path()), 1000);
  SplitWriter w(s, "a/x.db.zst", {.overwrite = false});
  std::string data = pattern(2500);
  write_in_pieces(w, data, 300);
  w.commit();
  ASSERT_EQ(w.parts().size(), 3u);
  std::string joined;
  for (int i = 0; i < 3; ++i) {
    const auto& p = w.parts()[static_cast<std::size_t>(i)];
    EXPECT_EQ(p.key, part_key("a/x.db.zst", i + 1));
    std::string bytes = s.read_all(p.key);
    EXPECT_EQ(bytes.size(), p.size);
    EXPECT_EQ(sha256_hex(bytes), p.sha256);
    joined += bytes;
  }
  EXPECT_EQ(w.parts()[2].size, 500u);
  EXPECT_EQ(joined, data);
  EXPECT_FALSE(s.stat("a/x.db.zst")); // the first part was renamed
  EXPECT_EQ(s.list_all("a/").size(), 3u);
  auto r = open_parts_reader(s, w.parts());
  EXPECT_EQ(drain(*r), data);
}

TEST(SplitWriter, AbortLeavesNothing) {
  test::TempDir dir;
  Capped s(std::make_unique<file::FileStorage>(dir.path()), 1000);
  {
    SplitWriter w(s, "a/x.db.zst", {.overwrite = false});
    write_in_pieces(w, pattern(2500), 700);
  } // destroyed without commit
  EXPECT_TRUE(s.list_all("a/").empty());
}

TEST(SplitWriter, APartOfTheWrongSizeIsAnIntegrityError) {
  test::TempDir dir;
  Capped s(std::make_unique<file::FileStorage>(dir.path()), 1000);
  SplitWriter w(s, "a/x.db.zst", {.overwrite = false});
  write_in_pieces(w, pattern(1500), 500);
  w.commit();
  auto parts = w.parts();
  parts[1].size = 499;
  auto r = open_parts_reader(s, parts);
  try {
    drain(*r);
    FAIL() << "a short part was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::integrity);
  }
}

} // namespace
} // namespace lifeboat::storage
