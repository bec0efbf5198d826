// Interoperability with the reference implementation as Debian ships it
// (/usr/bin/age and /usr/bin/age-keygen, package "age"): what we encrypt, age
// decrypts; what age encrypts (-r, several -r, -R, armored -a), we decrypt; keys
// made by either side work on the other.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "age_test_util.hpp"
#include "harness/harness.hpp"

using namespace lifeboat;
using namespace lifeboat::crypto;
using namespace lifeboat::test;

namespace {

constexpr std::size_t k_chunk = 64 * 1024;

bool have_age() {
  return std::filesystem::exists("/usr/bin/age") && std::filesystem::exists("/usr/bin/age-keygen");
}

#define REQUIRE_AGE() \
  LIFEBOAT_REQUIRE(have_age(), "/usr/bin/age is not installed (Debian package age)")

using lifeboat::test::shell;

std::string q(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

const std::vector<std::size_t>& sizes() {
  static const std::vector<std::size_t> s = {0,       1,           k_chunk - 1,
                                             k_chunk, k_chunk + 1, 3 * 1024 * 1024 + 17};
  return s;
}

// A key made by age-keygen in `dir`: the identity file and its recipient.
struct KeygenKey {
  std::filesystem::path file;
  std::string recipient;
};

KeygenKey age_keygen(const TempDir& dir, const std::string& name) {
  KeygenKey k{dir / name, ""};
  auto [rc, out] = shell("age-keygen -o " + q(k.file) + " 2>/dev/null");
  EXPECT_EQ(rc, 0);
  auto [rc2, pub] = shell("age-keygen -y " + q(k.file));
  EXPECT_EQ(rc2, 0);
  k.recipient = trim_newline(pub);
  return k;
}

std::vector<X25519Identity> load_identities(const std::filesystem::path& file) {
  auto ids = parse_identity_file(read_file(file));
  EXPECT_TRUE(ids.has_value()) << ids.error();
  return ids ? *ids : std::vector<X25519Identity>{};
}

} // namespace

TEST(AgeInterop, KeygenIdentityParsesAndMatches) {
  REQUIRE_AGE();
  TempDir dir;
  KeygenKey k = age_keygen(dir, "key.txt");
  auto ids = load_identities(k.file);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].recipient_string(), k.recipient);
  EXPECT_TRUE(parse_recipient(k.recipient).has_value());
}

TEST(AgeInterop, OurIdentityWorksWithAge) {
  REQUIRE_AGE();
  TempDir dir;
  auto id = X25519Identity::generate();
  write_file(dir / "ours.txt",
             "# public key: " + id.recipient_string() + "\n" + id.to_string().reveal() + "\n");
  auto [rc, pub] = shell("age-keygen -y " + q(dir / "ours.txt"));
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(trim_newline(pub), id.recipient_string());
  // age encrypts to our recipient and decrypts with our identity file.
  write_file(dir / "plain", "hello from age");
  ASSERT_EQ(
      shell("age -r " + id.recipient_string() + " -o " + q(dir / "x.age") + " " + q(dir / "plain"))
          .first,
      0);
  auto [rc2, out] = shell("age -d -i " + q(dir / "ours.txt") + " " + q(dir / "x.age"));
  EXPECT_EQ(rc2, 0);
  EXPECT_EQ(out, "hello from age");
}

class AgeInteropSizes : public testing::TestWithParam<std::size_t> {};

TEST_P(AgeInteropSizes, AgeDecryptsOurs) {
  REQUIRE_AGE();
  TempDir dir;
  KeygenKey a = age_keygen(dir, "a.txt");
  KeygenKey b = age_keygen(dir, "b.txt");
  std::string plain = sample(GetParam(), 21);
  std::string sealed =
      encrypt({.recipients = {*parse_recipient(a.recipient), *parse_recipient(b.recipient),
                              X25519Identity::generate().recipient()}},
              plain, random_chunks(1, 100000));
  write_file(dir / "ours.age", sealed);
  for (const auto* key : {&a, &b}) {
    ASSERT_EQ(
        shell("age -d -i " + q(key->file) + " -o " + q(dir / "out") + " " + q(dir / "ours.age")).first,
        0);
    EXPECT_TRUE(read_file(dir / "out") == plain) << "size " << GetParam();
  }
}

TEST_P(AgeInteropSizes, WeDecryptAgeOutput) {
  REQUIRE_AGE();
  TempDir dir;
  KeygenKey a = age_keygen(dir, "a.txt");
  KeygenKey b = age_keygen(dir, "b.txt");
  KeygenKey c = age_keygen(dir, "c.txt");
  std::string plain = sample(GetParam(), 22);
  write_file(dir / "plain", plain);
  write_file(dir / "recipients.txt",
             "# team\n" + a.recipient + "\n" + b.recipient + "\n\n" + c.recipient + "\n");
  struct Variant {
    std::string name;
    std::string args;
    const KeygenKey* key;
  };
  std::vector<Variant> variants = {
      {"one -r", "-r " + a.recipient, &a},
      {"three -r", "-r " + a.recipient + " -r " + b.recipient + " -r " + c.recipient, &c},
      {"-R file", "-R " + q(dir / "recipients.txt"), &b},
      {"armored -a", "-a -r " + b.recipient, &b},
  };
  for (const auto& v : variants) {
    ASSERT_EQ(shell("age " + v.args + " -o " + q(dir / "theirs.age") + " " + q(dir / "plain")).first,
              0)
        << v.name;
    std::string sealed = read_file(dir / "theirs.age");
    AgeDecryptOptions o;
    o.identities = load_identities(v.key->file);
    o.object = "theirs.age";
    for (auto chunker : {random_chunks(2, 100000), fixed_chunks(GetParam() < 200000 ? 1 : 4093)}) {
      AgeDecryptOptions copy = o;
      Outcome r = decrypt(std::move(copy), sealed, chunker);
      ASSERT_FALSE(r.error.has_value()) << v.name << ": " << r.error->what();
      EXPECT_TRUE(r.out == plain) << v.name << ", size " << GetParam();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, AgeInteropSizes, testing::ValuesIn(sizes()));

TEST(AgeInterop, WrongKeyMessageForAgeFiles) {
  REQUIRE_AGE();
  TempDir dir;
  KeygenKey a = age_keygen(dir, "a.txt");
  KeygenKey b = age_keygen(dir, "b.txt");
  write_file(dir / "plain", "x");
  ASSERT_EQ(shell("age -r " + a.recipient + " -o " + q(dir / "x.age") + " " + q(dir / "plain")).first,
            0);
  AgeDecryptOptions o;
  o.identities = load_identities(b.file);
  o.object = "x.age";
  o.identity_source = b.file.string();
  Outcome r = decrypt(std::move(o), read_file(dir / "x.age"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(std::string(r.error->what()),
            "age: 'x.age' is encrypted to 1 X25519 recipient, which does not match the identity "
            "in '" +
                b.file.string() + "'");
}

// age reads passphrases only from a terminal; script(1) gives it a pseudo-terminal
// whose input is our pipe.
TEST(AgeInterop, PassphraseBothWays) {
  REQUIRE_AGE();
  if (!std::filesystem::exists("/usr/bin/script")) {
    LIFEBOAT_SKIP("/usr/bin/script is not installed (Debian package bsdutils)");
  }
  TempDir dir;
  std::string plain = sample(k_chunk + 1, 23);
  write_file(dir / "plain", plain);

  // Ours (work factor 10) -> age -d.
  write_file(dir / "ours.age",
             encrypt({.passphrase = Secret("pw-interop"), .work_factor = 10}, plain));
  ASSERT_EQ(shell("printf 'pw-interop\\n' | script -qec \"age -d -o " + (dir / "out").string() + " " +
               (dir / "ours.age").string() + "\" /dev/null >/dev/null")
                .first,
            0);
  EXPECT_TRUE(read_file(dir / "out") == plain);

  // age -p (its default work factor 18) -> ours.
  ASSERT_EQ(shell("printf 'pw-interop\\npw-interop\\n' | script -qec \"age -p -o " +
               (dir / "theirs.age").string() + " " + (dir / "plain").string() +
               "\" /dev/null >/dev/null")
                .first,
            0);
  std::string sealed = read_file(dir / "theirs.age");
  ASSERT_NE(sealed.find("-> scrypt "), std::string::npos);
  AgeDecryptOptions o;
  o.passphrase = Secret("pw-interop");
  Outcome r = decrypt(std::move(o), sealed, random_chunks(3, 10000));
  ASSERT_FALSE(r.error.has_value()) << r.error->what();
  EXPECT_TRUE(r.out == plain);
}
