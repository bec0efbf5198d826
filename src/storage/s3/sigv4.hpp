// storage/s3/sigv4: AWS Signature Version 4 over OpenSSL, for the S3 backend.
//
// Signs one HTTP request either with headers (x-amz-date, Authorization, ...) or as
// a presigned URL query (X-Amz-Algorithm ... X-Amz-Signature), and signs the chunks
// of an aws-chunked body. It does no IO, reads no clock and no environment: the
// caller passes the time, the credentials and the request as it will be sent. It
// never puts the secret key in a returned string or an error message; only
// signatures derived from it leave this module.
//
// What is signed (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
//
//   canonical-request = method LF canonical-uri LF canonical-query LF
//                       *(lowercase-name ":" folded-value LF) LF
//                       signed-header-names LF payload-hash
//   canonical-uri     = path, dot segments and empty segments removed when
//                       normalize_path, then percent-encoded once more when
//                       double_encode_path ('/' kept)
//   canonical-query   = uri_encode(name) "=" uri_encode(value), sorted by encoded
//                       name then value, joined by "&" ("name=" when valueless)
//   folded-value      = the values of one header name in request order, each
//                       trimmed, runs of white space and line folds made one space,
//                       joined by ","
//   string-to-sign    = "AWS4-HMAC-SHA256" LF amz-date LF scope LF hex(sha256(canonical-request))
//   scope             = yyyymmdd "/" region "/" service "/aws4_request"
//   signature         = hex(hmac(hmac(hmac(hmac(hmac("AWS4" secret, yyyymmdd), region),
//                                                service), "aws4_request"), string-to-sign))
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/secret.hpp"
#include "util/time.hpp"

namespace lifeboat::storage::s3 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryList = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
  std::string access_key;    // MUST NOT be empty nor hold '/', white space or controls
  Secret secret_key;         // MUST NOT be empty
  std::string session_token; // empty: none
};

struct SigningOptions {
  std::string region; // "us-east-1"; MUST NOT be empty nor hold '/' or white space
  std::string service = "s3";
  // Remove "." and ".." segments and empty segments from the path before signing.
  // S3: false (a key may hold "//" or "/./", and S3 signs the path as sent).
  bool normalize_path = false;
  // Percent-encode the path again for the canonical URI. S3: false, and then the
  // path MUST already be in canonical form (uri_encode(key, false)); every other
  // service (and the generic AWS suite): true.
  bool double_encode_path = false;
  // Header signing sends and signs x-amz-content-sha256 with the payload hash.
  // S3 requires it; other services accept it.
  bool content_sha256_header = true;
  // false: the session token is sent but not signed (added after signing), as a few
  // services (IoT) want. S3: true.
  bool sign_session_token = true;
};

struct HttpRequest {
  std::string method; // "GET", "PUT", ...
  std::string host;   // value of the Host header, with :port when not default
  // The path as it will be sent, starting with '/'. For S3 already percent-encoded
  // per S3 rules: "/" + uri_encode(key, false).
  std::string path;
  // DECODED name/value pairs; a valueless parameter like "?uploads" is {"uploads", ""}.
  QueryList query;
  // Headers to send and sign besides host and the ones the signer adds (x-amz-date,
  // x-amz-content-sha256, x-amz-security-token, authorization: giving one of these
  // is an Error{usage}); names in any case, a name may repeat.
  HeaderList headers;
  // Lowercase hex SHA-256 of the body (sha256_hex), UNSIGNED-PAYLOAD, or a
  // STREAMING-... value for aws-chunked bodies.
  std::string payload_sha256 = "UNSIGNED-PAYLOAD";
};

// What a signature covers. Holds no secret: for tests, and to compare with the
// canonical request and string to sign that S3 returns in a SignatureDoesNotMatch body.
struct SigningTrace {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature; // lowercase hex
};

struct SignedHeaders {
  // To add to the request: x-amz-date, x-amz-content-sha256 (content_sha256_header),
  // x-amz-security-token (when the credentials hold a token), authorization.
  HeaderList headers;
  // The canonical, encoded query to put after '?' in the URL; empty when none.
  std::string query;
  SigningTrace trace;
};

struct PresignedQuery {
  // Everything after '?': the request's own parameters and X-Amz-Algorithm ...
  // X-Amz-Signature, encoded, the signature last.
  std::string query;
  SigningTrace trace;
};

inline constexpr std::int64_t k_max_presign_seconds = 7 * 24 * 3600; // what AWS accepts

// Signs `request` with headers at `now`. Throws Error{config} for unusable
// credentials, region or service, Error{usage} for a malformed request (a header
// name that is no HTTP token, a value with a control character or a bare line
// break, a reserved header, a path not in canonical form, a bad payload hash).
SignedHeaders sign_headers(const HttpRequest& request, const Credentials& credentials,
                           const SigningOptions& options, TimePoint now);

// Presigns `request` at `now` for `expires` (1 s to 7 days, else Error{usage}).
// The headers of `request` are signed too, so the URL works only with them. Throws
// as sign_headers does, and Error{usage} when the query already holds an X-Amz-*
// parameter the presigner sets.
PresignedQuery presign(const HttpRequest& request, const Credentials& credentials,
                       const SigningOptions& options, TimePoint now, Seconds expires);

// presign(...).query: ready to append after '?'.
std::string presign_query(const HttpRequest& request, const Credentials& credentials,
                          const SigningOptions& options, TimePoint now, Seconds expires);

// Signs the chunks of an aws-chunked body (payload hash
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD) after sign_headers signed its request: each
// chunk signature chains on the one before, the first on the request's signature.
// Holds the derived signing key, wiped at destruction.
class ChunkSigner {
public:
  // `seed_signature`: SignedHeaders::trace.signature of the request, signed with the
  // same credentials, options and time.
  ChunkSigner(const Credentials& credentials, const SigningOptions& options, TimePoint now,
              std::string seed_signature);
  ~ChunkSigner();
  ChunkSigner(const ChunkSigner&) = delete;
  ChunkSigner& operator=(const ChunkSigner&) = delete;

  // The signature of the next chunk from the lowercase hex SHA-256 of its data;
  // the final chunk is the empty one.
  std::string sign(std::string_view chunk_sha256);

private:
  std::string m_amz_date;
  std::string m_scope;
  std::array<unsigned char, 32> m_key{};
  std::string m_previous;
};

// RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) kept, every other byte %XX
// with uppercase hex; '/' kept when `encode_slash` is false.
std::string uri_encode(std::string_view text, bool encode_slash);

// The canonical query of decoded pairs (grammar above). Throws Error{usage} for an
// empty name.
std::string canonical_query(const QueryList& query);

// The canonical URI of `path` under `options` (grammar above). Throws Error{usage}
// for a path without a leading '/' or, without double_encode_path, one that is not
// in canonical form.
std::string canonical_uri(std::string_view path, const SigningOptions& options);

// "20150830T123600Z"
std::string format_amz_date(TimePoint t);

// The string to sign of a canonical request (grammar above).
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

// Lowercase hex SHA-256 of `data`: the payload hash of a body held in memory.
std::string sha256_hex(std::string_view data);

} // namespace lifeboat::storage::s3
