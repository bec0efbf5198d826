// Cloudinary: the published signature examples (shared/testdata/vectors/
// cloudinary-signatures.json) reproduce exactly, the storage URL and CLOUDINARY_URL
// forms the SDKs accept parse, the secret never shows, and the Admin/Upload API
// answers are read (or refused) as documented.
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/harness.hpp"
#include "storage/cloudinary/answers.hpp"
#include "storage/cloudinary/cloudinary_storage.hpp"
#include "storage/cloudinary/location.hpp"
#include "storage/cloudinary/signature.hpp"
#include "util/error.hpp"

namespace lifeboat::storage::cloudinary {
namespace {

nlohmann::json vectors() {
  auto path = test::shared_testdata("vectors/cloudinary-signatures.json");
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing " << path;
  return in.good() ? nlohmann::json::parse(in) : nlohmann::json::object();
}

Params params_of(const nlohmann::json& j) {
  Params p;
  for (const auto& [k, v] : j.items()) {
    p[k] = v.get<std::string>();
  }
  return p;
}

TEST(CloudinarySignature, EveryPublishedApiSignature) {
  auto v = vectors();
  ASSERT_TRUE(v.contains("api_signatures"));
  int checked = 0;
  for (const auto& c : v["api_signatures"]) {
    Params p = params_of(c["params"]);
    std::string secret = c["api_secret"];
    if (c.contains("string_to_sign")) {
      EXPECT_EQ(string_to_sign(p) + secret, c["string_to_sign"].get<std::string>());
    }
    EXPECT_EQ(api_signature(p, secret), c["sha1"].get<std::string>()) << c.dump();
    ++checked;
    for (const char* k : {"sha256", "sha256_computed_not_published"}) {
      if (c.contains(k)) {
        EXPECT_EQ(api_signature(p, secret, Algorithm::sha256), c[k].get<std::string>()) << c.dump();
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 6); // 4 SHA-1, 2 SHA-256
}

TEST(CloudinarySignature, VersionTwoEscapesAmpersandsInValues) {
  Params p = {{"notification_url", "https://fake.com/callback?a=1&tags=hello,world"},
              {"timestamp", "1568810420"}};
  EXPECT_EQ(string_to_sign(p),
            "notification_url=https://fake.com/callback?a=1%26tags=hello,world&timestamp=1568810420");
}

TEST(CloudinarySignature, EmptyValuesAreNotSigned) {
  EXPECT_EQ(string_to_sign({{"a", ""}, {"b", "1"}}), "b=1");
}

TEST(CloudinarySignature, EveryPublishedDeliverySignature) {
  auto v = vectors();
  ASSERT_TRUE(v.contains("delivery_url_signatures"));
  const auto& d = v["delivery_url_signatures"];
  std::string secret = d["api_secret"];
  int checked = 0;
  for (const auto& c : d["cases"]) {
    std::string algo = c.value("algorithm", "sha1");
    Algorithm a = algo.starts_with("sha256") ? Algorithm::sha256 : Algorithm::sha1;
    bool long_form = algo.find("long") != std::string::npos;
    EXPECT_EQ(delivery_signature(c["to_sign"].get<std::string>(), secret, a, long_form),
              c["component"].get<std::string>())
        << c.dump();
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

using EnvMap = std::map<std::string, std::string>;
Env env_of(EnvMap m) {
  return [m = std::move(m)](const char* n) -> std::optional<std::string> {
    auto it = m.find(n);
    return it == m.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(CloudinaryUrl, TheSdkForm) {
  auto l = parse_location("cloudinary://123456789012345:abcdEFGH_ijk-LMN@demo", env_of({}));
  EXPECT_EQ(l.cloud, "demo");
  EXPECT_EQ(l.api_key, "123456789012345");
  EXPECT_EQ(l.api_secret.reveal(), "abcdEFGH_ijk-LMN");
  EXPECT_EQ(l.prefix, "");
  EXPECT_EQ(l.type, "private");
  EXPECT_EQ(l.algorithm, Algorithm::sha1);
  EXPECT_EQ(l.chunk_size, 20'000'000u);
  EXPECT_EQ(l.min_chunk_size, 5u * 1024 * 1024);
  EXPECT_EQ(l.api_host, "https://api.cloudinary.com");
}

TEST(CloudinaryUrl, PrefixOptionsAndSdkOptions) {
  auto l = parse_location("cloudinary://k:s@demo/backups/prod/?type=authenticated&"
                          "signature_algorithm=sha256&chunk_size=6000000&secure=true&"
                          "cname=media.example.com&max_results=7&raw_max_size=10485760",
                          env_of({}));
  EXPECT_EQ(l.prefix, "backups/prod");
  EXPECT_EQ(l.type, "authenticated");
  EXPECT_EQ(l.algorithm, Algorithm::sha256);
  EXPECT_EQ(l.chunk_size, 6'000'000u);
  EXPECT_EQ(l.max_results, 7);
  EXPECT_EQ(l.raw_max_size, 10485760u);
}

TEST(CloudinaryUrl, PercentEncodedSecret) {
  auto l = parse_location("cloudinary://k:a%2Fb%40c%3Ad@demo", env_of({}));
  EXPECT_EQ(l.api_secret.reveal(), "a/b@c:d");
  EXPECT_EQ(l.display_url().find("a/b"), std::string::npos);
  EXPECT_EQ(l.display_url(), "cloudinary://k:***@demo");
}

TEST(CloudinaryUrl, ApiHostForTestsAndProxies) {
  auto l = parse_location("cloudinary://k:s@demo/p?api_host=http://127.0.0.1:8080/", env_of({}));
  EXPECT_EQ(l.api_host, "http://127.0.0.1:8080");
  EXPECT_EQ(l.display_url(), "cloudinary://k:***@demo/p?api_host=http://127.0.0.1:8080");
  auto u = parse_location("cloudinary://k:s@demo?upload_prefix=https://api-eu.cloudinary.com", env_of({}));
  EXPECT_EQ(u.api_host, "https://api-eu.cloudinary.com");
}

TEST(CloudinaryUrl, CredentialsFromCloudinaryUrl) {
  auto l = parse_location("cloudinary:///backups", env_of({{"CLOUDINARY_URL", "cloudinary://key:sec%21@cloud9"}}));
  EXPECT_EQ(l.cloud, "cloud9");
  EXPECT_EQ(l.api_key, "key");
  EXPECT_EQ(l.api_secret.reveal(), "sec!");
  EXPECT_EQ(l.prefix, "backups");
  auto same = parse_location("cloudinary://cloud9/x", env_of({{"CLOUDINARY_URL", "cloudinary://key:sec@cloud9"}}));
  EXPECT_EQ(same.api_key, "key");
  EXPECT_EQ(same.prefix, "x");
}

TEST(CloudinaryUrl, CredentialsFromTheThreeVariables) {
  auto l = parse_location("cloudinary://", env_of({{"CLOUDINARY_CLOUD_NAME", "c"},
                                                   {"CLOUDINARY_API_KEY", "k"},
                                                   {"CLOUDINARY_API_SECRET", "s"}}));
  EXPECT_EQ(l.cloud, "c");
  EXPECT_EQ(l.api_key, "k");
  EXPECT_EQ(l.api_secret.reveal(), "s");
  // Credentials of another cloud are not used.
  EXPECT_THROW(parse_location("cloudinary://other/p", env_of({{"CLOUDINARY_CLOUD_NAME", "c"},
                                                               {"CLOUDINARY_API_KEY", "k"},
                                                               {"CLOUDINARY_API_SECRET", "s"}})),
               Error);
}

void expect_config_error_without(const std::string& url, const std::string& secret) {
  try {
    parse_location(url, env_of({}));
    ADD_FAILURE() << "accepted " << url;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
    EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
    EXPECT_EQ(e.hint().find(secret), std::string::npos);
  }
}

TEST(CloudinaryUrl, BadUrlsAreConfigErrorsWithoutTheSecret) {
  expect_config_error_without("cloudinary://k:TOPSECRET@demo?type=public", "TOPSECRET");
  expect_config_error_without("cloudinary://k:TOPSECRET@demo?bogus=1", "TOPSECRET");
  expect_config_error_without("cloudinary://k:TOPSECRET@demo?chunk_size=1000", "TOPSECRET");
  expect_config_error_without("cloudinary://k:TOPSECRET@demo?signature_algorithm=md5", "TOPSECRET");
  expect_config_error_without("cloudinary://k:TOPSECRET@demo/a//b", "TOPSECRET");
  expect_config_error_without("cloudinary://k:TOPSECRET@demo?api_host=ftp://x", "TOPSECRET");
  expect_config_error_without("cloudinary://demo", "TOPSECRET"); // no credentials
  expect_config_error_without("cloudinary://", "TOPSECRET");     // nothing at all
}

TEST(CloudinaryUrl, OpenedStorageShowsNoSecret) {
  auto s = open_cloudinary("cloudinary://k:TOPSECRET@demo/p?api_host=http://127.0.0.1:1", env_of({}));
  EXPECT_EQ(s->display_url().find("TOPSECRET"), std::string::npos);
  EXPECT_TRUE(s->capabilities().signed_url);
  EXPECT_TRUE(s->capabilities().remote);
}

TEST(CloudinaryDownloadUrl, IsSignedOverItsSortedParameters) {
  auto l = parse_location("cloudinary://key:secret@demo/p", env_of({}));
  std::string url = private_download_url(l, "p/a b.db", 1700000000, 1700003600);
  std::string sig = api_signature({{"public_id", "p/a b.db"}, {"type", "private"},
                                   {"timestamp", "1700000000"}, {"expires_at", "1700003600"}},
                                  "secret");
  EXPECT_EQ(url, "https://api.cloudinary.com/v1_1/demo/raw/download?api_key=key&expires_at=1700003600"
                 "&public_id=p%2Fa%20b.db&signature=" + sig + "&timestamp=1700000000&type=private");
}

TEST(CloudinaryAnswers, UploadListUsageDestroyError) {
  auto up = parse_upload_answer(R"({"public_id":"a/b.db","bytes":12,"existing":true,"created_at":"2026-01-02T03:04:05Z"})");
  ASSERT_TRUE(up) << up.error();
  EXPECT_EQ(up->resource.bytes, 12u);
  EXPECT_TRUE(up->existing);
  auto list = parse_list_answer(R"({"resources":[{"public_id":"x","bytes":1}],"next_cursor":"c2"})");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->resources.size(), 1u);
  EXPECT_EQ(list->next_cursor, "c2");
  auto u = parse_usage(R"({"storage":{"usage":100,"limit":1000},"media_limits":{"raw_max_size":10485760}})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->raw_max_size, 10485760u);
  EXPECT_EQ(u->storage_limit, 1000u);
  EXPECT_EQ(parse_destroy_answer(R"({"result":"not found"})").value_or(""), "not found");
  EXPECT_EQ(parse_error_message(R"({"error":{"message":"Invalid Signature abc"}})"), "Invalid Signature abc");
  EXPECT_FALSE(parse_upload_answer("[1]"));
  EXPECT_FALSE(parse_upload_answer(R"({"public_id":"x","bytes":-1})"));
  EXPECT_FALSE(parse_upload_answer(R"({"public_id":"x","bytes":1e300})"));
  EXPECT_FALSE(parse_list_answer(R"({"resources":[{"bytes":1}]})"));
  EXPECT_EQ(parse_error_message("<html>"), "");
}

} // namespace
} // namespace lifeboat::storage::cloudinary
