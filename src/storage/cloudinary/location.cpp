#include "storage/cloudinary/location.hpp"

#include <charconv>
#include <memory>
#include <set>
#include <vector>

#include <curl/curl.h>
#include <fmt/format.h>

#include "storage/storage.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace lifeboat::storage::cloudinary {

namespace {

const char* k_hint = "Write it as cloudinary://API_KEY:API_SECRET@CLOUD_NAME/PREFIX (the "
                     "CLOUDINARY_URL format), or set CLOUDINARY_URL, or CLOUDINARY_CLOUD_NAME, "
                     "CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET.";

struct Parsed {
  std::string host, user, password, path;
  std::vector<std::pair<std::string, std::string>> query;
};

// Parses with CURLU; every part percent-decoded. nullopt when it is no URL.
std::optional<Parsed> parse_url(const std::string& text) {
  std::unique_ptr<CURLU, void (*)(CURLU*)> u(curl_url(), curl_url_cleanup);
  if (curl_url_set(u.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return std::nullopt;
  }
  auto part = [&](CURLUPart p, unsigned flags) -> std::string {
    char* v = nullptr;
    if (curl_url_get(u.get(), p, &v, flags) != CURLUE_OK || v == nullptr) {
      return {};
    }
    std::string s = v;
    curl_free(v);
    return s;
  };
  Parsed p;
  p.host = part(CURLUPART_HOST, CURLU_URLDECODE);
  p.user = part(CURLUPART_USER, CURLU_URLDECODE);
  p.password = part(CURLUPART_PASSWORD, CURLU_URLDECODE);
  p.path = part(CURLUPART_PATH, CURLU_URLDECODE);
  // The query stays encoded so that '&' and '=' inside a value survive; each part is
  // decoded on its own through CURLU (a one-part URL).
  std::string query = part(CURLUPART_QUERY, 0);
  auto decode = [](const std::string& s) {
    std::string plus = s;
    for (char& c : plus) {
      c = c == '+' ? ' ' : c;
    }
    int n = 0;
    char* d = curl_easy_unescape(nullptr, plus.c_str(), static_cast<int>(plus.size()), &n);
    std::string out = d != nullptr ? std::string(d, static_cast<std::size_t>(n)) : plus;
    curl_free(d);
    return out;
  };
  for (const auto& kv : split(query, '&')) {
    if (kv.empty()) {
      continue;
    }
    auto eq = kv.find('=');
    p.query.emplace_back(decode(kv.substr(0, eq)),
                         eq == std::string::npos ? "" : decode(kv.substr(eq + 1)));
  }
  return p;
}

std::optional<std::uint64_t> parse_size(const std::string& v) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return std::nullopt;
  }
  return n;
}

} // namespace

std::string Location::display_url() const {
  std::string out = "cloudinary://" + api_key + (api_key.empty() ? "" : ":***@") + cloud;
  if (!prefix.empty()) {
    out += "/" + prefix;
  }
  std::vector<std::string> q;
  if (type != "private") {
    q.push_back("type=" + type);
  }
  if (algorithm == Algorithm::sha256) {
    q.emplace_back("signature_algorithm=sha256");
  }
  if (custom_host) {
    q.push_back("api_host=" + api_host);
  }
  return q.empty() ? out : out + "?" + join(q, "&");
}

Location parse_location(std::string_view url, const Env& env) {
  std::string shown = redact_url(url);
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::config, fmt::format("invalid storage URL '{}': {}", shown, why), k_hint);
  };
  if (!url.starts_with("cloudinary://")) {
    throw bad("it does not start with cloudinary://");
  }
  std::string text(url);
  // No cloud name: "cloudinary://" or "cloudinary:///PREFIX" takes everything from the
  // environment (CURLU wants a host: a placeholder stands in, then is dropped).
  bool from_env = text.size() == 13 || text[13] == '/' || text[13] == '?';
  if (from_env) {
    text.insert(13, "from-env");
  }
  auto p = parse_url(text);
  if (!p) {
    throw bad("not a URL");
  }
  Location l;
  if (!from_env) {
    l.cloud = p->host;
    l.api_key = p->user;
    l.api_secret = Secret(p->password);
  }
  // Environment defaults: CLOUDINARY_URL first, then the three variables.
  if (l.api_key.empty() || l.api_secret.empty()) {
    std::string ecloud, ekey, esecret;
    if (auto cu = env("CLOUDINARY_URL"); cu && !cu->empty()) {
      auto e = parse_url(*cu);
      if (!e || !cu->starts_with("cloudinary://") || e->host.empty()) {
        throw Error(ErrorKind::config,
                    fmt::format("invalid CLOUDINARY_URL '{}'", redact_url(*cu)), k_hint);
      }
      ecloud = e->host;
      ekey = e->user;
      esecret = e->password;
    } else {
      ecloud = env("CLOUDINARY_CLOUD_NAME").value_or("");
      ekey = env("CLOUDINARY_API_KEY").value_or("");
      esecret = env("CLOUDINARY_API_SECRET").value_or("");
    }
    if (l.cloud.empty()) {
      l.cloud = ecloud;
    }
    if (l.cloud == ecloud) {
      if (l.api_key.empty()) {
        l.api_key = ekey;
      }
      if (l.api_secret.empty()) {
        l.api_secret = Secret(esecret);
      }
    }
  }
  if (l.cloud.empty()) {
    throw bad("no cloud name (set CLOUDINARY_CLOUD_NAME or write it after '@')");
  }
  if (l.api_key.empty() || l.api_secret.empty()) {
    throw Error(ErrorKind::config,
                fmt::format("storage '{}' needs credentials: no API key and secret in the URL, "
                            "CLOUDINARY_URL, or CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET",
                            shown),
                k_hint);
  }
  std::string path = p->path;
  while (!path.empty() && path.front() == '/') {
    path.erase(0, 1);
  }
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  if (!path.empty() && !check_key(path)) {
    throw bad(fmt::format("prefix '{}' is not a valid key prefix", path));
  }
  l.prefix = path;
  static const std::set<std::string> k_sdk_options = {
      "secure", "cname", "private_cdn", "secure_distribution", "cdn_subdomain",
      "secure_cdn_subdomain", "analytics", "api_proxy", "shorten", "sign_url", "long_url_signature"};
  for (const auto& [k, v] : p->query) {
    auto size = [&]() {
      auto n = parse_size(v);
      if (!n || *n == 0) {
        throw bad(fmt::format("{} must be a positive number of bytes", k));
      }
      return *n;
    };
    if (k == "type") {
      if (v != "private" && v != "authenticated" && v != "upload") {
        throw bad("type must be private, authenticated or upload");
      }
      l.type = v;
    } else if (k == "signature_algorithm") {
      if (v != "sha1" && v != "sha256") {
        throw bad("signature_algorithm must be sha1 or sha256");
      }
      l.algorithm = v == "sha256" ? Algorithm::sha256 : Algorithm::sha1;
    } else if (k == "chunk_size") {
      l.chunk_size = size();
    } else if (k == "min_chunk_size") {
      l.min_chunk_size = size();
    } else if (k == "raw_max_size") {
      l.raw_max_size = size();
    } else if (k == "max_results") {
      auto n = size();
      if (n > 500) {
        throw bad("max_results must be from 1 to 500");
      }
      l.max_results = static_cast<int>(n);
    } else if (k == "api_host" || k == "upload_prefix") {
      if (!v.starts_with("http://") && !v.starts_with("https://")) {
        throw bad(fmt::format("{} must be an http:// or https:// URL", k));
      }
      l.api_host = v;
      while (l.api_host.ends_with("/")) {
        l.api_host.pop_back();
      }
      l.custom_host = true;
    } else if (k_sdk_options.count(k) == 0) {
      throw bad(fmt::format("unknown option '{}' (known: type, signature_algorithm, chunk_size, "
                            "min_chunk_size, max_results, raw_max_size, api_host)",
                            k));
    }
  }
  if (l.chunk_size < l.min_chunk_size) {
    throw bad(fmt::format("chunk_size {} is below the service's smallest chunk ({} bytes)",
                          l.chunk_size, l.min_chunk_size));
  }
  return l;
}

} // namespace lifeboat::storage::cloudinary
