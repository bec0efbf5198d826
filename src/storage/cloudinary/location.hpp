// storage/cloudinary/location: the storage URL (DESIGN.md, Storage URLs)
//
//   cloudinary://API_KEY:API_SECRET@CLOUD_NAME/PREFIX?OPTION=VALUE&...
//
// which is the CLOUDINARY_URL the SDKs read, with a key prefix as its path. Parsed with
// libcurl's CURLU; the key and secret may be percent-encoded. Missing parts come from
// the environment: credentials from CLOUDINARY_URL (when it names the same cloud, or
// when the storage URL names none: "cloudinary://" or "cloudinary:///PREFIX"), else from
// CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET.
//
// Options (query):
//   type=private|authenticated|upload   delivery type of the raw resources (private)
//   signature_algorithm=sha1|sha256     as the account is set up (sha1)
//   chunk_size=BYTES                    chunked upload above this size (20 MB)
//   min_chunk_size=BYTES                the smallest non-final chunk the service takes
//                                       (5 MiB; lower it only against the test fake)
//   max_results=N                       Admin API page size, 1..500 (500)
//   raw_max_size=BYTES                  the plan's largest raw file, instead of /usage
//   api_host=URL (alias upload_prefix)  the API server, for tests and proxies
//                                       (https://api.cloudinary.com)
// Options the SDKs accept in CLOUDINARY_URL and that do not concern raw uploads
// (secure, cname, private_cdn, secure_distribution, cdn_subdomain, ...) are ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "storage/cloudinary/signature.hpp"
#include "util/secret.hpp"

namespace lifeboat::storage::cloudinary {

struct Location {
  std::string cloud;
  std::string api_key;
  Secret api_secret;
  std::string prefix; // no leading or trailing '/'
  std::string type = "private";
  Algorithm algorithm = Algorithm::sha1;
  std::uint64_t chunk_size = 20'000'000;
  std::uint64_t min_chunk_size = 5 * 1024 * 1024;
  int max_results = 500;
  std::optional<std::uint64_t> raw_max_size;
  std::string api_host = "https://api.cloudinary.com"; // no trailing '/'
  bool custom_host = false;

  // cloudinary://KEY:***@CLOUD/PREFIX?options-that-differ-from-defaults
  std::string display_url() const;
};

using Env = std::function<std::optional<std::string>(const char*)>;

// Throws Error{config} naming the URL with its secret redacted.
Location parse_location(std::string_view url, const Env& env);

} // namespace lifeboat::storage::cloudinary
