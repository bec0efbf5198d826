// The C2SP CCTV age test vectors (shared/testdata/age-testkit): every applicable
// vector file, found at run time, decrypted in random chunk sizes and, for the
// small ones, one byte at a time. The outcome class and the SHA-256 of all
// released plaintext must match the vector's `expect:` and `payload:` lines.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "age_test_util.hpp"
#include "codec/codec.hpp"
#include "harness/harness.hpp"

using namespace lifeboat;
using namespace lifeboat::crypto;
using namespace lifeboat::test;

namespace {

// Vectors we do not run, and why. Everything else in the folder must pass.
struct Exclusion {
  std::string_view pattern; // substring of the vector's file name
  std::string_view reason;
};
constexpr Exclusion k_excluded[] = {
    {"hybrid", "ML-KEM-768 + X25519 (post-quantum) recipients and AGE-SECRET-KEY-PQ identities "
               "are not implemented"},
    {"mlkem", "ML-KEM (post-quantum) recipients are not implemented"},
    {"p256tag", "p256tag / mlkem768p256tag hardware-key recipients are not implemented"},
    {"plugin", "age plugins are not supported"},
};

std::optional<std::string_view> exclusion_reason(const std::string& name) {
  for (const auto& e : k_excluded) {
    if (name.find(e.pattern) != std::string::npos) {
      return e.reason;
    }
  }
  return std::nullopt;
}

struct Vector {
  std::string name;
  std::multimap<std::string, std::string> fields;
  std::string body; // the age file, decompressed
};

std::filesystem::path vector_dir() {
  return shared_testdata("age-testkit/testdata");
}

std::vector<std::string> all_vector_names() {
  std::vector<std::string> names;
  auto dir = vector_dir();
  if (!dir.empty()) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) {
        names.push_back(entry.path().filename().string());
      }
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The vectors to run, or one placeholder that skips when the folder is absent.
// Excluded vectors are not instantiated at all (a skip would be a failure in CI);
// TestkitCoverage lists them.
std::vector<std::string> vector_names() {
  if (vector_dir().empty()) {
    return {"testdata_missing"};
  }
  std::vector<std::string> names;
  for (auto& name : all_vector_names()) {
    if (!exclusion_reason(name)) {
      names.push_back(std::move(name));
    }
  }
  return names;
}

std::string zlib_decompress(const std::string& data) {
  auto dec = codec::find_codec("gzip")->make_decompressor(); // zlib or gzip, detected
  pipeline::Buffer out(1 << 20);
  std::string result;
  pipeline::Bytes in = pipeline::as_bytes(data);
  while (!in.empty()) {
    in = in.subspan(dec->process(in, out));
    result.append(reinterpret_cast<const char*>(out.data().data()), out.size());
    out.clear();
  }
  while (true) {
    bool done = dec->finish(out);
    result.append(reinterpret_cast<const char*>(out.data().data()), out.size());
    out.clear();
    if (done) {
      return result;
    }
  }
}

Vector load(const std::string& name) {
  Vector v;
  v.name = name;
  std::string raw = read_file(vector_dir() / name);
  std::size_t end = raw.find("\n\n");
  if (end == std::string::npos) {
    ADD_FAILURE() << name << ": no blank line after the vector header";
    return v;
  }
  std::string_view head(raw.data(), end);
  while (!head.empty()) {
    std::size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
    std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos) {
      ADD_FAILURE() << name << ": bad header line '" << line << "'";
      continue;
    }
    v.fields.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
  }
  v.body = raw.substr(end + 2);
  auto compressed = v.fields.find("compressed");
  if (compressed != v.fields.end()) {
    EXPECT_EQ(compressed->second, "zlib");
    v.body = zlib_decompress(v.body);
  }
  return v;
}

std::string_view expected_outcome(AgeFailure failure) {
  switch (failure) {
  case AgeFailure::armor:
    return "armor failure";
  case AgeFailure::header:
    return "header failure";
  case AgeFailure::no_match:
  case AgeFailure::wrong_passphrase:
    return "no match";
  case AgeFailure::header_mac:
    return "HMAC failure";
  case AgeFailure::payload:
  case AgeFailure::truncated:
  case AgeFailure::trailing_data:
    return "payload failure";
  }
  return "?";
}

std::string single(const Vector& v, const std::string& key) {
  auto it = v.fields.find(key);
  return it == v.fields.end() ? std::string() : it->second;
}

AgeDecryptOptions options_for(const Vector& v) {
  AgeDecryptOptions options;
  options.object = v.name;
  auto [begin, end] = v.fields.equal_range("identity");
  for (auto it = begin; it != end; ++it) {
    auto identity = X25519Identity::parse(it->second);
    EXPECT_TRUE(identity.has_value()) << v.name << ": " << identity.error();
    if (identity) {
      options.identities.push_back(*identity);
    }
  }
  // scrypt_double carries two passphrases; its header is refused before either is tried.
  auto passphrase = v.fields.find("passphrase");
  if (passphrase != v.fields.end()) {
    options.passphrase = Secret(passphrase->second);
  }
  return options;
}

void check(const Vector& v, const Outcome& run, const std::string& how) {
  std::string expect = single(v, "expect");
  std::string outcome = run.error ? std::string(expected_outcome(run.error->failure())) : "success";
  EXPECT_EQ(outcome, expect) << v.name << " (" << how << ")"
                             << (run.error ? std::string(": ") + run.error->what() : "");
  std::string payload = single(v, "payload");
  if (!payload.empty()) {
    EXPECT_EQ(sha256_hex(run.out), payload) << v.name << " (" << how << "): released plaintext";
  } else {
    EXPECT_TRUE(run.out.empty()) << v.name << " (" << how << "): released plaintext";
  }
  if (run.error) {
    bool key_problem = run.error->failure() == AgeFailure::no_match ||
                       run.error->failure() == AgeFailure::wrong_passphrase;
    EXPECT_EQ(run.error->kind(), key_problem ? ErrorKind::config : ErrorKind::integrity) << v.name;
    EXPECT_TRUE(std::string(run.error->what()).starts_with("age: ")) << run.error->what();
    EXPECT_NE(std::string(run.error->what()).find(v.name), std::string::npos)
        << "the message names the object: " << run.error->what();
  }
}

class Testkit : public testing::TestWithParam<std::string> {};

TEST_P(Testkit, Vector) {
  const std::string& name = GetParam();
  if (vector_dir().empty()) {
    LIFEBOAT_SKIP("shared/testdata/age-testkit is absent");
  }
  Vector v = load(name);
  ASSERT_FALSE(single(v, "expect").empty()) << name;

  std::size_t seed = std::hash<std::string>{}(name);
  check(v, decrypt(options_for(v), v.body, random_chunks(static_cast<unsigned>(seed), 70000)),
        "random chunks");
  check(v, decrypt(options_for(v), v.body, fixed_chunks(1 << 20)), "1 MiB chunks");
  if (v.body.size() <= 300 * 1024) {
    check(v, decrypt(options_for(v), v.body, fixed_chunks(1)), "1-byte chunks");
    check(v, decrypt(options_for(v), v.body, random_chunks(7, 300), 7), "tiny output buffer");
  }
}

INSTANTIATE_TEST_SUITE_P(Cctv, Testkit, testing::ValuesIn(vector_names()),
                         [](const testing::TestParamInfo<std::string>& p) { return p.param; });

// The folder holds what we expect: the exclusions above are the only gaps.
TEST(TestkitCoverage, CountsVectors) {
  if (vector_dir().empty()) {
    LIFEBOAT_SKIP("shared/testdata/age-testkit is absent");
  }
  std::size_t run = 0;
  std::size_t excluded = 0;
  for (const auto& name : all_vector_names()) {
    if (auto reason = exclusion_reason(name)) {
      std::cout << "excluded: " << name << " (" << *reason << ")\n";
      ++excluded;
    } else {
      ++run;
    }
  }
  std::cout << "age testkit: " << run << " vectors run, " << excluded << " excluded\n";
  EXPECT_GE(run, 120u);
}

} // namespace
