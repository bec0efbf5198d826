#include "storage/s3/sigv4.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <span>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace lifeboat::storage::s3 {

namespace {

using Digest = std::array<unsigned char, 32>;

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view k_chunk_algorithm = "AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view k_terminator = "aws4_request";
// Headers the signer sets itself; a caller giving one would send it twice.
constexpr std::array<std::string_view, 5> k_reserved_headers = {
    "host", "authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"};
constexpr std::array<std::string_view, 7> k_reserved_query = {
    "x-amz-algorithm",     "x-amz-credential", "x-amz-date",          "x-amz-expires",
    "x-amz-signedheaders", "x-amz-signature",  "x-amz-security-token"};
// The payload hashes S3 accepts besides a SHA-256 in hex.
constexpr std::array<std::string_view, 4> k_payload_keywords = {
    "UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"};

std::span<const unsigned char> bytes_of(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// HMAC-SHA-256 over OpenSSL. A local helper: storage/ may not include crypto/.
Digest hmac(std::span<const unsigned char> key, std::string_view data) {
  Digest out{};
  std::size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                bytes_of(data).data(), data.size(), out.data(), out.size(), &len) == nullptr ||
      len != out.size()) {
    throw Error(ErrorKind::permanent, "openssl failed to compute an HMAC-SHA-256");
  }
  return out;
}

std::string hex(const Digest& d) {
  return to_hex(std::span<const unsigned char>(d));
}

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service), "aws4_request").
// Every intermediate key is wiped: each one signs for the whole day.
Digest signing_key(const Secret& secret, std::string_view date, const SigningOptions& options) {
  std::string seed = "AWS4" + secret.reveal();
  Digest key = hmac(bytes_of(seed), date);
  secure_wipe(seed.data(), seed.size());
  for (std::string_view part :
       {std::string_view(options.region), std::string_view(options.service), k_terminator}) {
    Digest next = hmac(key, part);
    secure_wipe(key.data(), key.size());
    key = next;
    secure_wipe(next.data(), next.size());
  }
  return key;
}

// "20150830/us-east-1/s3/aws4_request"
std::string scope_of(std::string_view date, const SigningOptions& options) {
  return fmt::format("{}/{}/{}/{}", date, options.region, options.service, k_terminator);
}

std::string sign_with(const Credentials& credentials, const SigningOptions& options,
                      std::string_view date, std::string_view text) {
  Digest key = signing_key(credentials.secret_key, date, options);
  Digest signature = hmac(key, text);
  secure_wipe(key.data(), key.size());
  return hex(signature);
}

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool is_upper_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

bool is_lower_hex_sha256(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// RFC 9110 tchar: what a method or a header name is made of.
bool is_token(std::string_view s) {
  constexpr std::string_view k_specials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return is_unreserved(static_cast<unsigned char>(c)) ||
           k_specials.find(c) != std::string_view::npos;
  });
}

// Free of '/', white space and control characters: what a scope part can carry.
bool is_scope_safe(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return !is_control(u) && c != ' ' && c != '/';
  });
}

// A value for an error message: control and non-ASCII bytes shown as '?'.
std::string printable(std::string_view s) {
  std::string out(s);
  std::replace_if(
      out.begin(), out.end(),
      [](char c) {
        return is_control(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
      },
      '?');
  return out;
}

void check_scope(const Credentials& credentials, const SigningOptions& options) {
  if (!is_scope_safe(credentials.access_key)) {
    throw Error(ErrorKind::config,
                credentials.access_key.empty()
                    ? "aws access key is empty"
                    : "aws access key contains '/', white space or a control character");
  }
  if (credentials.secret_key.empty()) {
    throw Error(ErrorKind::config, "aws secret key is empty");
  }
  if (std::any_of(credentials.session_token.begin(), credentials.session_token.end(),
                  [](char c) { return is_control(static_cast<unsigned char>(c)) || c == ' '; })) {
    throw Error(ErrorKind::config, "aws session token contains white space or a control character");
  }
  for (const auto& [what, value] :
       {std::pair{"region", &options.region}, std::pair{"service", &options.service}}) {
    if (!is_scope_safe(*value)) {
      throw Error(ErrorKind::config, value->empty()
                                         ? fmt::format("aws {} is empty", what)
                                         : fmt::format("aws {} '{}' contains '/', white space or a "
                                                       "control character",
                                                       what, printable(*value)));
    }
  }
}

// A header value may hold obs-fold line breaks (CRLF or LF then a space or tab: one
// logical line), never a bare line break that would start a header of its own.
bool is_header_value_safe(std::string_view v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c == '\r' && i + 1 < v.size() && v[i + 1] == '\n') {
      ++i;
      c = '\n';
    }
    if (c == '\n') {
      if (i + 1 >= v.size() || (v[i + 1] != ' ' && v[i + 1] != '\t')) {
        return false;
      }
    } else if (is_control(c) && c != '\t') {
      return false;
    }
  }
  return true;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Trimmed, every run of white space (line folds included) one space.
std::string fold_value(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    out += c;
  }
  return out;
}

void check_request(const HttpRequest& request) {
  if (!is_token(request.method)) {
    throw Error(ErrorKind::usage,
                fmt::format("http method '{}' is not an HTTP token", printable(request.method)));
  }
  if (request.host.empty() || std::any_of(request.host.begin(), request.host.end(), [](char c) {
        return is_control(static_cast<unsigned char>(c)) || c == ' ' || c == '/' || c == '?' ||
               c == '#' || c == '@';
      })) {
    throw Error(ErrorKind::usage, fmt::format("host '{}' is not a host name with an optional port",
                                              printable(request.host)));
  }
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name)) {
      throw Error(ErrorKind::usage,
                  fmt::format("header name '{}' is not an HTTP token", printable(name)));
    }
    std::string lower = to_lower(name);
    if (std::find(k_reserved_headers.begin(), k_reserved_headers.end(), lower) !=
        k_reserved_headers.end()) {
      throw Error(ErrorKind::usage, fmt::format("header '{}' is set by the signer", lower),
                  "Pass the host in HttpRequest::host and the payload hash in "
                  "HttpRequest::payload_sha256.");
    }
    if (!is_header_value_safe(value)) {
      throw Error(
          ErrorKind::usage,
          fmt::format("header '{}' has a control character or a line break in its value", lower));
    }
  }
  const std::string& p = request.payload_sha256;
  if (!is_lower_hex_sha256(p) && std::find(k_payload_keywords.begin(), k_payload_keywords.end(),
                                           p) == k_payload_keywords.end()) {
    throw Error(ErrorKind::usage,
                fmt::format("payload hash '{}' is neither 64 lowercase hex digits nor "
                            "UNSIGNED-PAYLOAD or a STREAMING- keyword",
                            printable(p)));
  }
}

// "." and ".." resolved and empty segments dropped (RFC 3986 5.2.4 plus AWS's rule
// that "//" is one "/"); a trailing '/' survives.
std::string normalize(std::string_view path) {
  std::vector<std::string_view> kept;
  bool trailing_slash = false;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    std::string_view segment = path.substr(start, end - start);
    bool last = end == path.size();
    if (segment == "..") {
      if (!kept.empty()) {
        kept.pop_back();
      }
      trailing_slash = last;
    } else if (segment == "." || segment.empty()) {
      trailing_slash = last;
    } else {
      kept.push_back(segment);
      trailing_slash = false;
    }
    start = end + 1;
  }
  std::string out;
  for (std::string_view segment : kept) {
    out += '/';
    out += segment;
  }
  if (out.empty() || trailing_slash) {
    out += '/';
  }
  return out;
}

struct CanonicalHeaders {
  std::string lines; // "name:value\n" each
  std::string names; // "host;x-amz-date"
};

// `headers` with lowercase names; values of one name joined in request order.
CanonicalHeaders canonicalize(HeaderList headers) {
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (std::size_t i = 0; i < headers.size();) {
    const std::string& name = headers[i].first;
    out.lines += name + ':';
    out.names += (out.names.empty() ? "" : ";") + name;
    std::size_t j = i;
    for (; j < headers.size() && headers[j].first == name; ++j) {
      out.lines += (j > i ? "," : "") + fold_value(headers[j].second);
    }
    out.lines += '\n';
    i = j;
  }
  return out;
}

// What header and query signing share: the checked request at one instant.
struct Prepared {
  std::string amz_date; // 20150830T123600Z
  std::string date;     // 20150830
  std::string scope;    // 20150830/us-east-1/s3/aws4_request
  std::string uri;      // canonical URI
  HeaderList to_sign;   // host and the request's headers, names lowercase
};

Prepared prepare(const HttpRequest& request, const Credentials& credentials,
                 const SigningOptions& options, TimePoint now) {
  check_scope(credentials, options);
  check_request(request);
  Prepared p;
  p.amz_date = format_amz_date(now);
  p.date = p.amz_date.substr(0, 8);
  p.scope = scope_of(p.date, options);
  p.uri = canonical_uri(request.path, options);
  p.to_sign.emplace_back("host", request.host);
  for (const auto& [name, value] : request.headers) {
    p.to_sign.emplace_back(to_lower(name), value);
  }
  return p;
}

SigningTrace sign(const HttpRequest& request, const Credentials& credentials,
                  const SigningOptions& options, const Prepared& p, std::string_view query,
                  const CanonicalHeaders& headers) {
  SigningTrace trace;
  trace.canonical_request = request.method + '\n' + p.uri + '\n' + std::string(query) + '\n' +
                            headers.lines + '\n' + headers.names + '\n' + request.payload_sha256;
  trace.string_to_sign = string_to_sign(p.amz_date, p.scope, trace.canonical_request);
  trace.signature = sign_with(credentials, options, p.date, trace.string_to_sign);
  return trace;
}

} // namespace

std::string uri_encode(std::string_view text, bool encode_slash) {
  constexpr std::string_view k_digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (is_unreserved(u) || (c == '/' && !encode_slash)) {
      out += c;
    } else {
      out += '%';
      out += k_digits[u >> 4];
      out += k_digits[u & 0xf];
    }
  }
  return out;
}

std::string canonical_query(const QueryList& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    if (name.empty()) {
      throw Error(ErrorKind::usage, "query parameter with an empty name");
    }
    encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    out += (out.empty() ? "" : "&") + name + '=' + value;
  }
  return out;
}

std::string canonical_uri(std::string_view path, const SigningOptions& options) {
  if (path.empty() || path.front() != '/') {
    throw Error(ErrorKind::usage,
                fmt::format("request path '{}' does not start with '/'", printable(path)));
  }
  if (std::any_of(path.begin(), path.end(),
                  [](char c) { return is_control(static_cast<unsigned char>(c)); })) {
    throw Error(ErrorKind::usage,
                fmt::format("request path '{}' contains a control character", printable(path)));
  }
  if (!options.double_encode_path) {
    // The path is signed as sent, so it must be what S3 itself derives from the key.
    for (std::size_t i = 0; i < path.size(); ++i) {
      auto c = static_cast<unsigned char>(path[i]);
      bool escape =
          c == '%' && i + 2 < path.size() && is_upper_hex(path[i + 1]) && is_upper_hex(path[i + 2]);
      if (escape) {
        i += 2;
      } else if (!is_unreserved(c) && c != '/') {
        throw Error(ErrorKind::usage,
                    fmt::format("request path '{}' is not percent-encoded", printable(path)),
                    "Build it as \"/\" + uri_encode(key, false).");
      }
    }
  }
  std::string uri = options.normalize_path ? normalize(path) : std::string(path);
  return options.double_encode_path ? uri_encode(uri, false) : uri;
}

std::string format_amz_date(TimePoint t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  LIFEBOAT_ASSERT(n == 16);
  return {buf, n};
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}\n{}", k_algorithm, amz_date, scope, sha256_hex(canonical_request));
}

std::string sha256_hex(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    throw Error(ErrorKind::permanent, "openssl failed to compute a SHA-256");
  }
  return hex(out);
}

SignedHeaders sign_headers(const HttpRequest& request, const Credentials& credentials,
                           const SigningOptions& options, TimePoint now) {
  Prepared p = prepare(request, credentials, options, now);
  SignedHeaders out;
  out.query = canonical_query(request.query);
  out.headers.emplace_back("x-amz-date", p.amz_date);
  if (options.content_sha256_header) {
    out.headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  }
  if (!credentials.session_token.empty()) {
    out.headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  for (const auto& header : out.headers) {
    if (header.first != "x-amz-security-token" || options.sign_session_token) {
      p.to_sign.push_back(header);
    }
  }
  CanonicalHeaders headers = canonicalize(p.to_sign);
  out.trace = sign(request, credentials, options, p, out.query, headers);
  out.headers.emplace_back("authorization",
                           fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}",
                                       k_algorithm, credentials.access_key, p.scope, headers.names,
                                       out.trace.signature));
  return out;
}

PresignedQuery presign(const HttpRequest& request, const Credentials& credentials,
                       const SigningOptions& options, TimePoint now, Seconds expires) {
  if (expires.count() < 1 || expires.count() > k_max_presign_seconds) {
    throw Error(ErrorKind::usage,
                fmt::format("presigned url expiry of {} s is not between 1 s and {} s (7 days)",
                            expires.count(), k_max_presign_seconds),
                "AWS accepts presigned URLs that expire within 7 days.");
  }
  Prepared p = prepare(request, credentials, options, now);
  for (const auto& parameter : request.query) {
    std::string lower = to_lower(parameter.first);
    if (std::find(k_reserved_query.begin(), k_reserved_query.end(), lower) !=
        k_reserved_query.end()) {
      throw Error(ErrorKind::usage,
                  fmt::format("query parameter '{}' is set by the presigner", parameter.first));
    }
  }
  CanonicalHeaders headers = canonicalize(p.to_sign);
  QueryList query = request.query;
  query.emplace_back("X-Amz-Algorithm", k_algorithm);
  query.emplace_back("X-Amz-Credential", credentials.access_key + '/' + p.scope);
  query.emplace_back("X-Amz-Date", p.amz_date);
  query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  query.emplace_back("X-Amz-SignedHeaders", headers.names);
  bool token = !credentials.session_token.empty();
  if (token && options.sign_session_token) {
    query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  PresignedQuery out;
  out.query = canonical_query(query);
  out.trace = sign(request, credentials, options, p, out.query, headers);
  if (token && !options.sign_session_token) {
    out.query += "&X-Amz-Security-Token=" + uri_encode(credentials.session_token, true);
  }
  out.query += "&X-Amz-Signature=" + out.trace.signature;
  return out;
}

std::string presign_query(const HttpRequest& request, const Credentials& credentials,
                          const SigningOptions& options, TimePoint now, Seconds expires) {
  return presign(request, credentials, options, now, expires).query;
}

ChunkSigner::ChunkSigner(const Credentials& credentials, const SigningOptions& options,
                         TimePoint now, std::string seed_signature)
    : m_amz_date(format_amz_date(now)), m_previous(std::move(seed_signature)) {
  check_scope(credentials, options);
  LIFEBOAT_ASSERT(is_lower_hex_sha256(m_previous));
  std::string date = m_amz_date.substr(0, 8);
  m_scope = scope_of(date, options);
  m_key = signing_key(credentials.secret_key, date, options);
}

ChunkSigner::~ChunkSigner() {
  secure_wipe(m_key.data(), m_key.size());
}

std::string ChunkSigner::sign(std::string_view chunk_sha256) {
  if (!is_lower_hex_sha256(chunk_sha256)) {
    throw Error(ErrorKind::usage, fmt::format("chunk hash '{}' is not 64 lowercase hex digits",
                                              printable(chunk_sha256)));
  }
  std::string text = fmt::format("{}\n{}\n{}\n{}\n{}\n{}", k_chunk_algorithm, m_amz_date, m_scope,
                                 m_previous, sha256_hex(""), chunk_sha256);
  m_previous = hex(hmac(m_key, text));
  return m_previous;
}

} // namespace lifeboat::storage::s3
