// The SigV4 signer against the aws-c-auth suite (shared/testdata/sigv4/aws-c-auth-v4, both
// header and query signing), the S3 API Reference examples
// (shared/testdata/vectors/s3-sigv4-doc-examples.json), and what a hostile or unlucky user
// puts in keys, queries, headers and credentials.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/harness.hpp"
#include "storage/s3/sigv4.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

using namespace lifeboat;
namespace s3 = lifeboat::storage::s3;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_aws_suite = "sigv4/aws-c-auth-v4";
constexpr std::size_t k_aws_suite_size = 38;
// Vectors of the suite that cannot apply to lifeboat, with the reason; every other
// one MUST pass both header and query signing. None today.
const std::map<std::string, std::string> k_not_applicable = {};

template <typename F> void expect_error(F&& f, ErrorKind kind, const std::string& message) {
  try {
    f();
    ADD_FAILURE() << "no error, expected: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_EQ(std::string(e.what()), message);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = static_cast<char>(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// "a=1&b&c=%20" as decoded pairs, sorted (for comparing two query strings).
s3::QueryList parse_query(std::string_view raw) {
  s3::QueryList out;
  if (raw.empty()) {
    return out;
  }
  for (const std::string& part : split(raw, '&')) {
    std::size_t eq = part.find('=');
    std::string_view p(part);
    out.emplace_back(percent_decode(p.substr(0, eq)),
                     eq == std::string::npos ? "" : percent_decode(p.substr(eq + 1)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A request as the suite writes it: "METHOD TARGET HTTP/1.1", "Name:value" lines (a
// line starting with white space continues the one before), a blank line, the body.
struct RawRequest {
  std::string method;
  std::string path;
  std::string query; // as written, not decoded
  s3::HeaderList headers;
  std::string body;
};

RawRequest parse_request(const std::string& text) {
  RawRequest r;
  std::vector<std::string> lines = split(text, '\n');
  std::string_view line(lines.at(0));
  std::size_t first = line.find(' ');
  std::size_t last = line.rfind(' ');
  r.method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, last - first - 1);
  std::size_t q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string_view::npos ? "" : target.substr(q + 1);
  std::size_t i = 1;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    if (lines[i][0] == ' ' || lines[i][0] == '\t') {
      r.headers.back().second += "\n" + lines[i];
      continue;
    }
    std::size_t colon = lines[i].find(':');
    r.headers.emplace_back(lines[i].substr(0, colon), lines[i].substr(colon + 1));
  }
  for (std::size_t j = i + 1; j < lines.size(); ++j) {
    r.body += (j > i + 1 ? "\n" : "") + lines[j];
  }
  return r;
}

// Lowercase names, sorted: two header lists compared as multisets.
s3::HeaderList normalized(s3::HeaderList headers) {
  for (auto& h : headers) {
    h.first = to_lower(h.first);
  }
  std::sort(headers.begin(), headers.end());
  return headers;
}

struct AwsVector {
  fs::path dir;
  RawRequest raw;
  s3::HttpRequest request;
  s3::Credentials credentials;
  s3::SigningOptions options;
  TimePoint now;
  Seconds expires{0};

  std::string file(const std::string& name) const { return test::read_file(dir / name); }
};

AwsVector load_aws_vector(const fs::path& dir) {
  AwsVector v;
  v.dir = dir;
  v.raw = parse_request(test::read_file(dir / "request.txt"));
  auto context = nlohmann::json::parse(test::read_file(dir / "context.json"));
  const auto& creds = context.at("credentials");
  v.credentials.access_key = creds.at("access_key_id").get<std::string>();
  v.credentials.secret_key = Secret(creds.at("secret_access_key").get<std::string>());
  v.credentials.session_token = creds.value("token", "");
  v.options.region = context.at("region").get<std::string>();
  v.options.service = context.at("service").get<std::string>();
  v.options.normalize_path = context.at("normalize").get<bool>();
  // The suite is the generic (non-S3) one: its paths are encoded once more.
  v.options.double_encode_path = true;
  // sign_body: the suite sends and signs x-amz-content-sha256 only then; the payload
  // hash in the canonical request is the body's either way.
  v.options.content_sha256_header = context.at("sign_body").get<bool>();
  v.options.sign_session_token = !context.value("omit_session_token", false);
  v.now = parse_iso8601(context.at("timestamp").get<std::string>()).value();
  v.expires = Seconds(context.at("expiration_in_seconds").get<int>());
  v.request.method = v.raw.method;
  v.request.path = v.raw.path;
  v.request.query = parse_query(v.raw.query);
  for (const auto& [name, value] : v.raw.headers) {
    if (to_lower(name) == "host") {
      v.request.host = value;
    } else {
      v.request.headers.emplace_back(name, value);
    }
  }
  v.request.payload_sha256 = s3::sha256_hex(v.raw.body);
  return v;
}

std::vector<std::string> aws_vector_names() {
  fs::path dir = test::shared_testdata(std::string(k_aws_suite));
  if (dir.empty()) {
    return {"shared_testdata_missing"}; // one case that says so
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory()) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Sigv4AwsSuite : public ::testing::TestWithParam<std::string> {
protected:
  // The vector, or nullopt when the test must stop (skipped or not applicable).
  std::optional<AwsVector> load() {
    fs::path root = test::shared_testdata(std::string(k_aws_suite));
    if (root.empty()) {
      skip_missing();
      return std::nullopt;
    }
    if (auto it = k_not_applicable.find(GetParam()); it != k_not_applicable.end()) {
      RecordProperty("not_applicable", it->second);
      std::cout << "[ NOT APPLICABLE ] " << GetParam() << ": " << it->second << "\n";
      return std::nullopt;
    }
    return load_aws_vector(root / GetParam());
  }

private:
  static void skip_missing() {
    LIFEBOAT_SKIP("no " + std::string(k_aws_suite) + " under shared/testdata");
  }
};

TEST_P(Sigv4AwsSuite, HeaderSigning) {
  auto v = load();
  if (!v) {
    return;
  }
  s3::SignedHeaders signed_request =
      s3::sign_headers(v->request, v->credentials, v->options, v->now);
  EXPECT_EQ(signed_request.trace.canonical_request, v->file("header-canonical-request.txt"));
  EXPECT_EQ(signed_request.trace.string_to_sign, v->file("header-string-to-sign.txt"));
  EXPECT_EQ(signed_request.trace.signature, trim(v->file("header-signature.txt")));

  // The request as sent: its own headers plus the signer's, and the query as the suite
  // sends it (the suite keeps the request's order, ours is canonical: same pairs).
  RawRequest expected = parse_request(v->file("header-signed-request.txt"));
  s3::HeaderList sent = v->raw.headers;
  sent.insert(sent.end(), signed_request.headers.begin(), signed_request.headers.end());
  EXPECT_EQ(normalized(sent), normalized(expected.headers));
  EXPECT_EQ(parse_query(signed_request.query), parse_query(expected.query));
}

TEST_P(Sigv4AwsSuite, QuerySigning) {
  auto v = load();
  if (!v) {
    return;
  }
  s3::PresignedQuery presigned =
      s3::presign(v->request, v->credentials, v->options, v->now, v->expires);
  EXPECT_EQ(presigned.trace.canonical_request, v->file("query-canonical-request.txt"));
  EXPECT_EQ(presigned.trace.string_to_sign, v->file("query-string-to-sign.txt"));
  EXPECT_EQ(presigned.trace.signature, trim(v->file("query-signature.txt")));

  RawRequest expected = parse_request(v->file("query-signed-request.txt"));
  EXPECT_EQ(parse_query(presigned.query), parse_query(expected.query));
  EXPECT_EQ(normalized(v->raw.headers), normalized(expected.headers));
  EXPECT_TRUE(ends_with(presigned.query, "&X-Amz-Signature=" + presigned.trace.signature));
}

INSTANTIATE_TEST_SUITE_P(AwsCAuth, Sigv4AwsSuite, ::testing::ValuesIn(aws_vector_names()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// The suite is complete, and what does not apply is named and counted.
TEST(Sigv4AwsSuiteCoverage, AllVectorsPresentAndNamed) {
  std::vector<std::string> names = aws_vector_names();
  LIFEBOAT_REQUIRE(names != std::vector<std::string>{"shared_testdata_missing"},
                   "no " + std::string(k_aws_suite) + " under shared/testdata");
  EXPECT_EQ(names.size(), k_aws_suite_size);
  for (const auto& [name, reason] : k_not_applicable) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  std::cout << "[ SIGV4 SUITE ] " << names.size() << " vectors, "
            << names.size() - k_not_applicable.size() << " applied (header and query), "
            << k_not_applicable.size() << " not applicable\n";
}

// ---------------------------------------------------------------------------------------
// S3 API Reference examples.

std::optional<nlohmann::json> load_doc_examples() {
  fs::path dir = test::shared_testdata("vectors");
  if (dir.empty() || !fs::exists(dir / "s3-sigv4-doc-examples.json")) {
    return std::nullopt;
  }
  return nlohmann::json::parse(test::read_file(dir / "s3-sigv4-doc-examples.json"));
}

struct DocCommon {
  s3::Credentials credentials;
  s3::SigningOptions options;
  TimePoint now;
  std::string amz_date;
};

DocCommon doc_common(const nlohmann::json& j) {
  const auto& c = j.at("common");
  DocCommon d;
  d.credentials.access_key = c.at("access_key").get<std::string>();
  d.credentials.secret_key = Secret(c.at("secret_key").get<std::string>());
  d.options.region = c.at("region").get<std::string>();
  d.options.service = c.at("service").get<std::string>();
  d.amz_date = c.at("amz_date").get<std::string>();
  d.now = parse_compact(d.amz_date.substr(0, 8) + "-" + d.amz_date.substr(9, 6)).value();
  return d;
}

// The example's request; the x-amz-date and x-amz-content-sha256 it lists are the
// signer's to set, so they become the time and the payload hash.
s3::HttpRequest doc_request(const nlohmann::json& e, const DocCommon& common) {
  s3::HttpRequest r;
  r.method = e.at("method").get<std::string>();
  r.host = e.at("host").get<std::string>();
  r.path = s3::uri_encode(e.at("path").get<std::string>(), false);
  r.query = parse_query(e.value("query", ""));
  nlohmann::json headers = e.value("headers", nlohmann::json::object());
  for (const auto& [name, value] : headers.items()) {
    std::string lower = to_lower(name);
    if (lower == "x-amz-content-sha256") {
      r.payload_sha256 = value.get<std::string>();
    } else if (lower == "x-amz-date") {
      EXPECT_EQ(value.get<std::string>(), common.amz_date);
    } else {
      r.headers.emplace_back(name, value.get<std::string>());
    }
  }
  return r;
}

std::string header_value(const s3::HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) {
      return v;
    }
  }
  return {};
}

class Sigv4S3Docs : public ::testing::Test {
protected:
  void SetUp() override {
    auto j = load_doc_examples();
    LIFEBOAT_REQUIRE(j.has_value(), "no vectors/s3-sigv4-doc-examples.json under shared/testdata");
    m_examples = j->at("examples");
    m_common = doc_common(*j);
  }

  // The one example that has `key`.
  const nlohmann::json& example_with(const std::string& key) const {
    auto e = std::find_if(m_examples.begin(), m_examples.end(),
                          [&](const auto& x) { return x.contains(key); });
    LIFEBOAT_ASSERT(e != m_examples.end());
    return *e;
  }

  nlohmann::json m_examples;
  DocCommon m_common;
};

TEST_F(Sigv4S3Docs, HeaderSignedExamples) {
  const DocCommon& common = m_common;
  int checked = 0;
  for (const auto& e : m_examples) {
    if (!e.contains("signed_headers") || e.contains("chunk_signatures")) {
      continue;
    }
    SCOPED_TRACE(e.at("name").get<std::string>());
    s3::HttpRequest request = doc_request(e, common);
    std::string payload = e.at("payload").get<std::string>();
    EXPECT_EQ(request.payload_sha256, s3::sha256_hex(payload));
    auto signed_request = s3::sign_headers(request, common.credentials, common.options, common.now);
    const std::string& canonical = signed_request.trace.canonical_request;
    if (e.contains("canonical_request")) {
      EXPECT_EQ(canonical, e.at("canonical_request").get<std::string>());
    }
    if (e.contains("canonical_uri")) {
      EXPECT_TRUE(starts_with(canonical, request.method + "\n" +
                                             e.at("canonical_uri").get<std::string>() + "\n"));
    }
    if (e.contains("canonical_query")) {
      EXPECT_EQ(signed_request.query, e.at("canonical_query").get<std::string>());
    }
    EXPECT_EQ(s3::sha256_hex(canonical), e.at("canonical_request_sha256").get<std::string>());
    std::string signature = e.at("signature").get<std::string>();
    EXPECT_EQ(signed_request.trace.signature, signature);
    EXPECT_EQ(header_value(signed_request.headers, "authorization"),
              fmt::format("AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, "
                          "SignedHeaders={}, Signature={}",
                          common.credentials.access_key, common.amz_date.substr(0, 8),
                          common.options.region, common.options.service,
                          e.at("signed_headers").get<std::string>(), signature));
    EXPECT_EQ(header_value(signed_request.headers, "x-amz-date"), common.amz_date);
    EXPECT_EQ(header_value(signed_request.headers, "x-amz-content-sha256"), request.payload_sha256);
    ++checked;
  }
  EXPECT_EQ(checked, 4); // GET range, PUT, GET lifecycle, list objects
}

TEST_F(Sigv4S3Docs, PresignedGet) {
  const DocCommon& common = m_common;
  const nlohmann::json* e = &example_with("url");
  s3::HttpRequest request = doc_request(*e, common);
  ASSERT_EQ(request.payload_sha256, e->at("payload_hash").get<std::string>());
  auto presigned = s3::presign(request, common.credentials, common.options, common.now,
                               Seconds(e->at("expires").get<int>()));
  EXPECT_EQ(s3::sha256_hex(presigned.trace.canonical_request),
            e->at("canonical_request_sha256").get<std::string>());
  EXPECT_EQ(presigned.trace.canonical_request,
            "GET\n/test.txt\n" + e->at("canonical_query").get<std::string>() +
                "\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(presigned.trace.signature, e->at("signature").get<std::string>());
  EXPECT_EQ("https://" + request.host + request.path + "?" + presigned.query,
            e->at("url").get<std::string>());
}

// aws-chunked streaming (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): the seed signature is a
// header signature, then ChunkSigner chains the chunks (65536, 1024 and 0 bytes of 'a').
TEST_F(Sigv4S3Docs, ChunkedUploadSeedAndChunkSignatures) {
  const DocCommon& common = m_common;
  const nlohmann::json* e = &example_with("chunk_signatures");
  s3::HttpRequest request = doc_request(*e, common);
  ASSERT_EQ(request.payload_sha256, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  auto seed = s3::sign_headers(request, common.credentials, common.options, common.now);
  EXPECT_EQ(seed.trace.signature, e->at("seed_signature").get<std::string>());

  s3::ChunkSigner chunks(common.credentials, common.options, common.now, seed.trace.signature);
  std::vector<std::string> expected = e->at("chunk_signatures").get<std::vector<std::string>>();
  std::vector<std::size_t> sizes = {65536, 1024, 0};
  ASSERT_EQ(expected.size(), sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(chunks.sign(s3::sha256_hex(std::string(sizes[i], 'a'))), expected[i]) << i;
  }
}

// ---------------------------------------------------------------------------------------
// What users put in keys, queries, headers and credentials.

constexpr std::string_view k_secret = "Sekr3t/Value+With=Marks~wJalrXUtnFEMI";

s3::Credentials credentials(std::string token = {}) {
  return {.access_key = "AKIDEXAMPLE",
          .secret_key = Secret(std::string(k_secret)),
          .session_token = std::move(token)};
}

s3::SigningOptions s3_options() {
  return {.region = "eu-west-1"};
}

TimePoint at_2025() {
  return parse_iso8601("2025-01-02T03:04:05Z").value();
}

s3::HttpRequest get(std::string path, s3::QueryList query = {}) {
  return {.method = "GET",
          .host = "bucket.s3.eu-west-1.amazonaws.com",
          .path = std::move(path),
          .query = std::move(query)};
}

std::string canonical_line(const std::string& canonical, std::size_t index) {
  return split(canonical, '\n').at(index);
}

TEST(Sigv4Encoding, UriEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(s3::uri_encode("AZaz09-._~", true), "AZaz09-._~");
  EXPECT_EQ(s3::uri_encode("a b+c=d&e%f*g!h'i(j)k$l,m;n:o@p?q#r", true),
            "a%20b%2Bc%3Dd%26e%25f%2Ag%21h%27i%28j%29k%24l%2Cm%3Bn%3Ao%40p%3Fq%23r");
  EXPECT_EQ(s3::uri_encode("dir/sub/file", false), "dir/sub/file");
  EXPECT_EQ(s3::uri_encode("dir/sub/file", true), "dir%2Fsub%2Ffile");
  EXPECT_EQ(s3::uri_encode("é日本", true), "%C3%A9%E6%97%A5%E6%9C%AC");
  EXPECT_EQ(s3::uri_encode(std::string("a\0b\x7f\xff", 5), true), "a%00b%7F%FF");
  EXPECT_EQ(s3::uri_encode("%41", true), "%2541"); // a literal '%' is never taken as an escape
  EXPECT_EQ(s3::uri_encode("", true), "");
}

TEST(Sigv4Keys, HostileKeyIsSignedAsSent) {
  std::string key = "my dir/a+b=c~d%41e é/日本.txt";
  auto request = get("/" + s3::uri_encode(key, false));
  EXPECT_EQ(request.path, "/my%20dir/a%2Bb%3Dc~d%2541e%20%C3%A9/%E6%97%A5%E6%9C%AC.txt");
  auto signed_request = s3::sign_headers(request, credentials(), s3_options(), at_2025());
  // S3: the path is signed exactly as sent, neither decoded nor encoded again.
  EXPECT_EQ(canonical_line(signed_request.trace.canonical_request, 1), request.path);
}

TEST(Sigv4Keys, S3KeepsDotAndEmptySegments) {
  auto signed_request =
      s3::sign_headers(get("//a/./b/../c/"), credentials(), s3_options(), at_2025());
  EXPECT_EQ(canonical_line(signed_request.trace.canonical_request, 1), "//a/./b/../c/");
}

TEST(Sigv4Keys, NormalizedPathResolvesDotsAndEmptySegments) {
  s3::SigningOptions options = {.region = "us-east-1",
                                .service = "service",
                                .normalize_path = true,
                                .double_encode_path = true};
  EXPECT_EQ(s3::canonical_uri("/a/b/..", options), "/a/");
  EXPECT_EQ(s3::canonical_uri("/a/./b/.", options), "/a/b/");
  EXPECT_EQ(s3::canonical_uri("/../..", options), "/");
  EXPECT_EQ(s3::canonical_uri("///a//b", options), "/a/b");
  EXPECT_EQ(s3::canonical_uri("/", options), "/");
  EXPECT_EQ(s3::canonical_uri("/a%20b", options), "/a%2520b"); // encoded once more
}

TEST(Sigv4Keys, UnencodedPathIsRefusedForS3) {
  for (const std::string path : {"/a b", "/a%2f", "/a%2", "/a%", "/a$b", "/é"}) {
    expect_error([&] { s3::sign_headers(get(path), credentials(), s3_options(), at_2025()); },
                 ErrorKind::usage,
                 "request path '" + std::string(path == "/é" ? "/??" : path) +
                     "' is not percent-encoded");
  }
  expect_error([&] { s3::sign_headers(get("key"), credentials(), s3_options(), at_2025()); },
               ErrorKind::usage, "request path 'key' does not start with '/'");
  expect_error([&] { s3::sign_headers(get(""), credentials(), s3_options(), at_2025()); },
               ErrorKind::usage, "request path '' does not start with '/'");
  expect_error([&] { s3::sign_headers(get("/a\r\nb"), credentials(), s3_options(), at_2025()); },
               ErrorKind::usage, "request path '/a??b' contains a control character");
}

TEST(Sigv4Query, ValuesWithAmpersandAndEqualsAreEncoded) {
  auto signed_request = s3::sign_headers(get("/", {{"prefix", "a&b=c d+e/f"}}), credentials(),
                                         s3_options(), at_2025());
  EXPECT_EQ(signed_request.query, "prefix=a%26b%3Dc%20d%2Be%2Ff");
  EXPECT_EQ(canonical_line(signed_request.trace.canonical_request, 2), signed_request.query);
}

TEST(Sigv4Query, ValuelessParameterIsSignedWithEquals) {
  auto signed_request =
      s3::sign_headers(get("/big.db", {{"uploads", ""}}), credentials(), s3_options(), at_2025());
  EXPECT_EQ(signed_request.query, "uploads=");
}

TEST(Sigv4Query, RepeatedNamesSortByValueAndNamesByEncodedForm) {
  EXPECT_EQ(s3::canonical_query({{"a", "2"}, {"b", ""}, {"a", "1"}, {"a", "10"}}),
            "a=1&a=10&a=2&b=");
  // '%' (0x25) < '-' (0x2d) < 'A' < '_' < 'a': the encoded bytes decide.
  EXPECT_EQ(s3::canonical_query({{"a_b", "1"}, {"a b", "1"}, {"a-b", "1"}, {"A", "1"}, {"é", "1"}}),
            "%C3%A9=1&A=1&a%20b=1&a-b=1&a_b=1");
  EXPECT_EQ(s3::canonical_query({}), "");
  expect_error(
      [] {
        s3::canonical_query({{"", "x"}});
      },
      ErrorKind::usage, "query parameter with an empty name");
}

TEST(Sigv4Query, PresignRefusesParametersItSets) {
  for (std::string name : {"X-Amz-Signature", "x-amz-credential", "X-Amz-Expires"}) {
    expect_error(
        [&] {
          s3::presign_query(get("/k", {{name, "x"}}), credentials(), s3_options(), at_2025(),
                            Seconds(60));
        },
        ErrorKind::usage, "query parameter '" + name + "' is set by the presigner");
  }
}

TEST(Sigv4Headers, CanonicalizedLowercaseFoldedJoinedAndSorted) {
  auto request = get("/k");
  request.headers = {{"X-Amz-Meta-B", "  two   words\t here  "},
                     {"Content-Type", "application/zstd"},
                     {"x-amz-meta-b", "second"},
                     {"Range", "bytes=0-9"},
                     {"X-Amz-Meta-Fold", "line one\r\n\tline two"}};
  request.payload_sha256 = s3::sha256_hex("");
  auto signed_request = s3::sign_headers(request, credentials(), s3_options(), at_2025());
  EXPECT_EQ(
      signed_request.trace.canonical_request,
      "GET\n/k\n\n"
      "content-type:application/zstd\n"
      "host:bucket.s3.eu-west-1.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:" +
          s3::sha256_hex("") +
          "\n"
          "x-amz-date:20250102T030405Z\n"
          "x-amz-meta-b:two words here,second\n"
          "x-amz-meta-fold:line one line two\n\n"
          "content-type;host;range;x-amz-content-sha256;x-amz-date;x-amz-meta-b;x-amz-meta-fold\n" +
          s3::sha256_hex(""));
  EXPECT_EQ(signed_request.trace.string_to_sign,
            "AWS4-HMAC-SHA256\n20250102T030405Z\n20250102/eu-west-1/s3/aws4_request\n" +
                s3::sha256_hex(signed_request.trace.canonical_request));
}

TEST(Sigv4Headers, HostWithPortIsSignedAsGiven) {
  auto request = get("/k");
  request.host = "127.0.0.1:9000";
  auto signed_request = s3::sign_headers(request, credentials(), s3_options(), at_2025());
  EXPECT_EQ(canonical_line(signed_request.trace.canonical_request, 3), "host:127.0.0.1:9000");
}

TEST(Sigv4Headers, InjectionAndReservedNamesAreRefused) {
  auto with = [](std::string name, std::string value) {
    auto request = get("/k");
    request.headers = {{std::move(name), std::move(value)}};
    return request;
  };
  auto sign = [](const s3::HttpRequest& r) {
    s3::sign_headers(r, credentials(), s3_options(), at_2025());
  };
  expect_error([&] { sign(with("X-Amz-Meta-A", "x\r\nX-Evil: 1")); }, ErrorKind::usage,
               "header 'x-amz-meta-a' has a control character or a line break in its value");
  expect_error([&] { sign(with("X-Amz-Meta-A", "x\n")); }, ErrorKind::usage,
               "header 'x-amz-meta-a' has a control character or a line break in its value");
  expect_error([&] { sign(with("X-Amz-Meta-A", std::string("a\0b", 3))); }, ErrorKind::usage,
               "header 'x-amz-meta-a' has a control character or a line break in its value");
  expect_error([&] { sign(with("Bad Name", "x")); }, ErrorKind::usage,
               "header name 'Bad Name' is not an HTTP token");
  expect_error([&] { sign(with("", "x")); }, ErrorKind::usage,
               "header name '' is not an HTTP token");
  for (std::string name :
       {"Authorization", "HOST", "x-amz-date", "X-Amz-Content-Sha256", "X-Amz-Security-Token"}) {
    expect_error([&] { sign(with(name, "x")); }, ErrorKind::usage,
                 "header '" + to_lower(name) + "' is set by the signer");
  }
  auto request = get("/k");
  request.payload_sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
  expect_error([&] { sign(request); }, ErrorKind::usage,
               "payload hash '" + request.payload_sha256 +
                   "' is neither 64 lowercase hex digits nor UNSIGNED-PAYLOAD or a STREAMING- "
                   "keyword");
  request = get("/k");
  request.method = "GET /x";
  expect_error([&] { sign(request); }, ErrorKind::usage,
               "http method 'GET /x' is not an HTTP token");
  request = get("/k");
  request.host = "evil.com/x";
  expect_error([&] { sign(request); }, ErrorKind::usage,
               "host 'evil.com/x' is not a host name with an optional port");
}

TEST(Sigv4Credentials, SessionTokenIsSentAndSignedWhenPresent) {
  auto without = s3::sign_headers(get("/k"), credentials(), s3_options(), at_2025());
  EXPECT_EQ(header_value(without.headers, "x-amz-security-token"), "");
  EXPECT_EQ(without.trace.canonical_request.find("x-amz-security-token"), std::string::npos);
  EXPECT_EQ(without.headers.size(), 3u); // x-amz-date, x-amz-content-sha256, authorization

  std::string token = "FwoGZXIvYXdzE/+token==";
  auto with = s3::sign_headers(get("/k"), credentials(token), s3_options(), at_2025());
  EXPECT_EQ(header_value(with.headers, "x-amz-security-token"), token);
  EXPECT_NE(with.trace.canonical_request.find("\nx-amz-security-token:" + token + "\n"),
            std::string::npos);
  EXPECT_NE(header_value(with.headers, "authorization")
                .find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            std::string::npos);
  EXPECT_NE(with.trace.signature, without.trace.signature);

  auto presigned = s3::presign(get("/k"), credentials(token), s3_options(), at_2025(), Seconds(60));
  EXPECT_NE(presigned.trace.canonical_request.find(
                "&X-Amz-Security-Token=" + s3::uri_encode(token, true) + "&"),
            std::string::npos);
  EXPECT_NE(presigned.query.find("X-Amz-Security-Token=FwoGZXIvYXdzE%2F%2Btoken%3D%3D"),
            std::string::npos);
  auto plain = s3::presign_query(get("/k"), credentials(), s3_options(), at_2025(), Seconds(60));
  EXPECT_EQ(plain.find("X-Amz-Security-Token"), std::string::npos);
}

TEST(Sigv4Credentials, SecretNeverLeavesExceptAsSignature) {
  std::string token = "tok";
  auto request = get("/k", {{"list-type", "2"}});
  request.headers = {{"x-amz-meta-note", "n"}};
  auto signed_request = s3::sign_headers(request, credentials(token), s3_options(), at_2025());
  auto presigned = s3::presign(request, credentials(token), s3_options(), at_2025(), Seconds(900));
  std::vector<std::string> out = {signed_request.query,
                                  signed_request.trace.canonical_request,
                                  signed_request.trace.string_to_sign,
                                  signed_request.trace.signature,
                                  presigned.query,
                                  presigned.trace.canonical_request,
                                  presigned.trace.string_to_sign,
                                  presigned.trace.signature};
  for (const auto& [name, value] : signed_request.headers) {
    out.push_back(name + ": " + value);
  }
  for (const std::string& s : out) {
    EXPECT_EQ(s.find(k_secret), std::string::npos) << s;
    EXPECT_EQ(s.find(s3::uri_encode(k_secret, true)), std::string::npos) << s;
    EXPECT_EQ(s.find("Sekr3t"), std::string::npos) << s;
  }
  EXPECT_EQ(fmt::format("{}", credentials().secret_key), "***");

  // Nor in any error, whichever check fails.
  std::vector<std::function<void()>> failing = {
      [&] { s3::presign_query(request, credentials(), s3_options(), at_2025(), Seconds(0)); },
      [&] { s3::sign_headers(get("/a b"), credentials(), s3_options(), at_2025()); },
      [&] {
        auto c = credentials();
        c.access_key = "";
        s3::sign_headers(request, c, s3_options(), at_2025());
      },
      [&] { s3::sign_headers(request, credentials("bad token"), s3_options(), at_2025()); },
      [&] { s3::sign_headers(request, credentials(), {.region = "a/b"}, at_2025()); },
  };
  for (const auto& f : failing) {
    try {
      f();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find("Sekr3t"), std::string::npos) << e.what();
      EXPECT_EQ(e.hint().find("Sekr3t"), std::string::npos) << e.hint();
    }
  }
}

TEST(Sigv4Credentials, UnusableCredentialsAndScopeAreConfigErrors) {
  auto sign = [](const s3::Credentials& c, const s3::SigningOptions& o) {
    s3::sign_headers(get("/k"), c, o, at_2025());
  };
  auto c = credentials();
  c.access_key = "";
  expect_error([&] { sign(c, s3_options()); }, ErrorKind::config, "aws access key is empty");
  c.access_key = "AKID/EXAMPLE";
  expect_error([&] { sign(c, s3_options()); }, ErrorKind::config,
               "aws access key contains '/', white space or a control character");
  c = credentials();
  c.secret_key = Secret();
  expect_error([&] { sign(c, s3_options()); }, ErrorKind::config, "aws secret key is empty");
  expect_error([&] { sign(credentials("a\nb"), s3_options()); }, ErrorKind::config,
               "aws session token contains white space or a control character");
  expect_error([&] { sign(credentials(), {.region = ""}); }, ErrorKind::config,
               "aws region is empty");
  expect_error([&] { sign(credentials(), {.region = "us east\x01"}); }, ErrorKind::config,
               "aws region 'us east?' contains '/', white space or a control character");
  expect_error([&] { sign(credentials(), {.region = "us-east-1", .service = ""}); },
               ErrorKind::config, "aws service is empty");
}

TEST(Sigv4Presign, ExpiryBounds) {
  auto presign = [](std::int64_t seconds) {
    return s3::presign_query(get("/k"), credentials(), s3_options(), at_2025(), Seconds(seconds));
  };
  for (std::int64_t bad :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{604801}, std::int64_t{1} << 40}) {
    expect_error(
        [&] { presign(bad); }, ErrorKind::usage,
        fmt::format("presigned url expiry of {} s is not between 1 s and 604800 s (7 days)", bad));
  }
  EXPECT_NE(presign(1).find("&X-Amz-Expires=1&"), std::string::npos);
  EXPECT_NE(presign(604800).find("&X-Amz-Expires=604800&"), std::string::npos);
}

TEST(Sigv4Presign, QueryHoldsTheRequestParametersAndEndsWithTheSignature) {
  auto presigned = s3::presign(get("/dir/a%20b", {{"versionId", "3/4"}, {"uploads", ""}}),
                               credentials(), s3_options(), at_2025(), Seconds(300));
  EXPECT_EQ(presigned.query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIDEXAMPLE%2F20250102%2Feu-west-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20250102T030405Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
            "&uploads=&versionId=3%2F4&X-Amz-Signature=" +
                presigned.trace.signature);
  EXPECT_TRUE(ends_with(presigned.trace.canonical_request, "\nhost\nUNSIGNED-PAYLOAD"));
}

TEST(Sigv4Time, AmzDateIsUtcSecondsPrecision) {
  EXPECT_EQ(s3::format_amz_date(TimePoint{}), "19700101T000000Z");
  EXPECT_EQ(s3::format_amz_date(at_2025() + std::chrono::milliseconds(999)), "20250102T030405Z");
}

TEST(Sigv4Chunks, ChunkHashMustBeHex) {
  s3::ChunkSigner chunks(credentials(), s3_options(), at_2025(), std::string(64, 'a'));
  expect_error([&] { chunks.sign("nothex"); }, ErrorKind::usage,
               "chunk hash 'nothex' is not 64 lowercase hex digits");
}

} // namespace
