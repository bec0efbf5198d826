// Keys and their encodings: Bech32 (BIP 173 vectors), strict base64, X25519
// identities and recipients (the spec's example key), identity files.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "age_test_util.hpp"
#include "crypto/base64.hpp"
#include "crypto/bech32.hpp"
#include "util/strings.hpp"

using namespace lifeboat;
using namespace lifeboat::crypto;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

// Key material must not be printable by accident.
static_assert(!fmt::is_formattable<X25519Identity>::value);
static_assert(!fmt::is_formattable<SecretBytes<32>>::value);

} // namespace

// ---- base64 ----------------------------------------------------------------

TEST(Base64, RoundTripsEveryLength) {
  for (std::size_t n = 0; n < 100; ++n) {
    auto data = bytes(test::sample(n, static_cast<unsigned>(n)));
    std::string text = base64_encode(data);
    EXPECT_EQ(text.find('='), std::string::npos);
    auto back = base64_decode(text);
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, data);
  }
}

TEST(Base64, KnownAnswers) {
  EXPECT_EQ(base64_encode(bytes("")), "");
  EXPECT_EQ(base64_encode(bytes("f")), "Zg");
  EXPECT_EQ(base64_encode(bytes("fo")), "Zm8");
  EXPECT_EQ(base64_encode(bytes("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(bytes("foobar")), "Zm9vYmFy");
}

TEST(Base64, RejectsAnythingNotCanonical) {
  EXPECT_FALSE(base64_decode("Zg=="));  // padding
  EXPECT_FALSE(base64_decode("Zh"));    // unused bits set
  EXPECT_FALSE(base64_decode("Zm9vZ")); // 4k+1 characters
  EXPECT_FALSE(base64_decode("Zm 9"));  // space
  EXPECT_FALSE(base64_decode("Zm-9"));  // URL alphabet
  EXPECT_FALSE(base64_decode("Zm9\n"));
  EXPECT_TRUE(base64_decode("Zg"));
}

TEST(Base64, PaddedArmorLines) {
  std::uint8_t out[48];
  EXPECT_EQ(base64_decode_padded("Zg==", out), 1u);
  EXPECT_EQ(base64_decode_padded("Zm8=", out), 2u);
  EXPECT_EQ(base64_decode_padded("Zm9v", out), 3u);
  EXPECT_FALSE(base64_decode_padded("Zh==", out)); // not canonical
  EXPECT_FALSE(base64_decode_padded("Zg", out));   // padding missing
  EXPECT_FALSE(base64_decode_padded("Zg=", out));
  EXPECT_FALSE(base64_decode_padded("Z===", out));
  EXPECT_FALSE(base64_decode_padded("Zg==Zg==", out)); // padding inside
}

// ---- bech32 ----------------------------------------------------------------

// BIP 173 test vectors.
TEST(Bech32, ValidVectors) {
  for (std::string_view text :
       {"A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"}) {
    EXPECT_TRUE(bech32_decode(text).has_value()) << text;
  }
  auto r = bech32_decode("A12UEL5L");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hrp, "a");
  EXPECT_TRUE(r->data.empty());
}

TEST(Bech32, InvalidVectors) {
  EXPECT_EQ(bech32_decode("pzry9x0s0muk").error(), "it has no type prefix ending in '1'");
  EXPECT_EQ(bech32_decode("1pzry9x0s0muk").error(), "it has no type prefix ending in '1'");
  EXPECT_EQ(bech32_decode("x1b4n0q5v").error(),
            "it contains a character outside the Bech32 alphabet");
  EXPECT_EQ(bech32_decode("li1dgmt3").error(), "it is too short to carry a checksum");
  EXPECT_EQ(bech32_decode("A1G7SGD8").error(),
            "its checksum does not match (a typo or a truncated copy?)");
  EXPECT_EQ(bech32_decode("a12UEL5L").error(), "it mixes upper and lower case");
}

TEST(Bech32, RoundTripsAnyLength) {
  for (std::size_t n = 0; n < 80; ++n) {
    auto data = bytes(test::sample(n, static_cast<unsigned>(n)));
    std::string text = bech32_encode("age", data);
    auto back = bech32_decode(text);
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(back->hrp, "age");
    EXPECT_EQ(back->data, data);
  }
}

// ---- keys ------------------------------------------------------------------

// The example key of the age specification (c2sp.org/age, "The X25519 recipient type").
TEST(X25519Identity, SpecExample) {
  std::string_view secret =
      "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
  auto identity = X25519Identity::parse(secret);
  ASSERT_TRUE(identity.has_value()) << identity.error();
  EXPECT_EQ(identity->recipient_string(),
            "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  EXPECT_EQ(identity->to_string().reveal(), secret);
  for (std::uint8_t b : identity->scalar()) {
    EXPECT_EQ(b, 0x42);
  }
  // Lower case is the same key; the checksum is over the lower case.
  auto lower = X25519Identity::parse(to_lower(secret));
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(lower->recipient_string(), identity->recipient_string());
}

TEST(X25519Identity, GeneratedKeysRoundTrip) {
  auto a = X25519Identity::generate();
  auto b = X25519Identity::generate();
  EXPECT_NE(a.recipient_string(), b.recipient_string());
  Secret text = a.to_string();
  EXPECT_TRUE(text.reveal().starts_with("AGE-SECRET-KEY-1"));
  EXPECT_EQ(text.reveal().size(), 74u);
  auto back = X25519Identity::parse(text.reveal());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->recipient_string(), a.recipient_string());
  EXPECT_EQ(fmt::format("{}", text), "***");
}

TEST(X25519Identity, ParseErrorsNeverEchoTheKey) {
  std::string key = X25519Identity::generate().to_string().reveal();
  std::string broken = key;
  broken[30] = broken[30] == 'Q' ? 'P' : 'Q';
  auto r = X25519Identity::parse(broken);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "it is not a valid age secret key: its checksum does not match (a typo or a "
                       "truncated copy?)");
  EXPECT_EQ(r.error().find(broken.substr(16, 20)), std::string::npos);
  EXPECT_EQ(X25519Identity::parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")
                .error(),
            "it is a public key (age1...), not a secret key (AGE-SECRET-KEY-1...)");
  EXPECT_EQ(
      X25519Identity::parse("AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6Y"
                            "LNC3SW78XKG")
          .error(),
      "it is a post-quantum secret key (AGE-SECRET-KEY-PQ-1...), which is not supported");
}

TEST(ParseRecipient, AcceptsAge1) {
  auto r = parse_recipient("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->to_string(), "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  auto id = X25519Identity::generate();
  EXPECT_EQ(*parse_recipient(id.recipient_string()), id.recipient());
}

TEST(ParseRecipient, ClearErrors) {
  EXPECT_EQ(parse_recipient("").error(), "an empty string is not an age recipient (age1...)");
  EXPECT_EQ(
      parse_recipient("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwq").error(),
      "'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwq' is not a valid age "
      "recipient: its checksum does not match (a typo or a truncated copy?)");
  std::string secret = X25519Identity::generate().to_string().reveal();
  auto r = parse_recipient(secret);
  EXPECT_EQ(r.error(), "a secret key was given where a recipient belongs; use its public key "
                       "(age1..., printed by 'age-keygen -y')");
  EXPECT_EQ(r.error().find(secret.substr(16)), std::string::npos);
  EXPECT_EQ(parse_recipient("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB").error(),
            "'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB' is an SSH public key; only age X25519 "
            "recipients (age1...) are supported");
  auto pq = bech32_encode("age1pq", std::vector<std::uint8_t>(1216, 7));
  EXPECT_TRUE(parse_recipient(pq).error().ends_with(
      "is a post-quantum recipient (age1pq1...), which is not supported; use an X25519 "
      "recipient (age1...)"));
  auto short_key = bech32_encode("age", std::vector<std::uint8_t>(31, 7));
  EXPECT_EQ(parse_recipient(short_key).error(),
            fmt::format("'{}' is not an age recipient: it holds 31 bytes of key, an X25519 key "
                        "has 32",
                        short_key));
  auto other = bech32_encode("npub", std::vector<std::uint8_t>(32, 7));
  EXPECT_EQ(
      parse_recipient(other).error(),
      fmt::format("'{}' is not an age recipient: it starts with 'npub1' instead of 'age1'", other));
}

// ---- identity files ----------------------------------------------------------

TEST(IdentityFile, ReadsAgeKeygenFormat) {
  auto a = X25519Identity::generate();
  auto b = X25519Identity::generate();
  std::string text = "# created: 2026-01-01T00:00:00Z\n# public key: " + a.recipient_string() +
                     "\n" + a.to_string().reveal() + "\n\n# second\r\n" + b.to_string().reveal() +
                     "\r\n";
  auto ids = parse_identity_file(text);
  ASSERT_TRUE(ids.has_value()) << ids.error();
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ((*ids)[0].recipient_string(), a.recipient_string());
  EXPECT_EQ((*ids)[1].recipient_string(), b.recipient_string());
  // No final newline.
  auto one = parse_identity_file(a.to_string().reveal());
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->size(), 1u);
}

TEST(IdentityFile, ClearErrors) {
  std::string key = X25519Identity::generate().to_string().reveal();
  EXPECT_EQ(parse_identity_file("").error(),
            "it holds no age secret key (a line AGE-SECRET-KEY-1...)");
  EXPECT_EQ(parse_identity_file("# only a comment\n\n").error(),
            "it holds no age secret key (a line AGE-SECRET-KEY-1...)");
  EXPECT_EQ(parse_identity_file("# key\n" + key + "\nhello\n").error(),
            "line 3 is neither a '#' comment nor an age secret key (AGE-SECRET-KEY-1...)");
  EXPECT_EQ(parse_identity_file(" " + key + "\n").error(),
            "line 1 is neither a '#' comment nor an age secret key (AGE-SECRET-KEY-1...)");
  EXPECT_EQ(parse_identity_file("-----BEGIN OPENSSH PRIVATE KEY-----\n").error(),
            "line 1 starts a PEM block (an SSH or TLS key?); an identity file holds age secret "
            "keys (AGE-SECRET-KEY-1...)");
  EXPECT_EQ(parse_identity_file("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n")
                .error(),
            "line 1: it is a public key (age1...), not a secret key (AGE-SECRET-KEY-1...)");
  std::string trailing = "# x\n" + key + " \n";
  auto r = parse_identity_file(trailing);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().starts_with("line 2: ")) << r.error();
  EXPECT_EQ(r.error().find(key.substr(16)), std::string::npos) << "never echo a key";
}
