#include "storage/cloudinary/cloudinary_storage.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>
#include <random>

#include <curl/curl.h>
#include <fmt/format.h>

#include "storage/cloudinary/answers.hpp"
#include "storage/http/http.hpp"
#include "storage/parted_writer.hpp"
#include "storage/retry.hpp"
#include "storage/window_reader.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::storage::cloudinary {

namespace {

using http::HttpCall;
using http::HttpClient;
using http::HttpReply;

constexpr std::size_t k_read_range = 8 * 1024 * 1024; // bytes per ranged download
// The smallest raw file limit of any plan (the free plan's 10 MB): below it, no upload
// needs the plan's own limit, so /usage (an Admin API call) is asked only above it.
constexpr std::uint64_t k_smallest_raw_limit = 10 * 1024 * 1024;
// A rate limit that resets sooner than this is waited for; a later one fails the run.
constexpr std::chrono::seconds k_wait_for_reset{60};

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string escape(std::string_view s) {
  char* e = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
  std::string out = e != nullptr ? e : "";
  curl_free(e);
  return out;
}

// A public_id in a URL path: each '/'-separated segment escaped.
std::string escape_path(std::string_view s) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    auto slash = s.find('/', start);
    out += escape(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) {
      return out;
    }
    out += '/';
    start = slash + 1;
  }
}

std::string form_encode(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    out += (out.empty() ? "" : "&") + escape(k) + "=" + escape(v);
  }
  return out;
}

std::string random_hex(std::size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += k_hex[rng() & 15];
  }
  return out;
}

enum class Api { upload, admin, download };

class CloudinaryStorage;

class CloudinaryReader final : public WindowReader {
public:
  CloudinaryReader(CloudinaryStorage& s, std::string key, std::uint64_t offset)
      : m_storage(s), m_key(std::move(key)), m_offset(offset) {}
  void fetch() override; // the next window into m_buffer; the first also learns the size

private:
  CloudinaryStorage& m_storage;
  std::string m_key;
  std::uint64_t m_offset; // of the next byte not yet fetched
  std::optional<std::uint64_t> m_size;
};

class CloudinaryStorage final : public Storage {
public:
  explicit CloudinaryStorage(Location l) : m_loc(std::move(l)) {}

  std::string display_url() const override { return m_loc.display_url(); }
  Capabilities capabilities() const override {
    return {.atomic_put = true, .space_info = true, .signed_url = true, .max_connections = 4,
            .list_is_consistent = true, .remote = true, .object_size_limit = true};
  }
  std::unique_ptr<ObjectWriter> open_write(const std::string& key, const PutOptions& options) override {
    return std::make_unique<PartedWriter>(open_parts(key, options));
  }
  std::unique_ptr<PartWriter> open_parts(const std::string& key, const PutOptions& options) override;
  std::unique_ptr<ObjectReader> open_read(const std::string& key) override { return open_at(key, 0); }
  std::unique_ptr<ObjectReader> open_read_at(const std::string& key, std::uint64_t offset) override {
    return open_at(key, offset);
  }
  void list(const std::string& prefix, const std::function<void(const ObjectInfo&)>& each) override;
  std::optional<ObjectInfo> stat(const std::string& key) override;
  void remove(const std::string& key) override;
  std::optional<SpaceInfo> space() override;
  // The plan's largest raw file: the raw_max_size option, else /usage's media_limits.
  std::optional<std::uint64_t> raw_max_size();
  std::optional<std::uint64_t> max_object_size(std::uint64_t size) override {
    if (!m_loc.raw_max_size && size <= k_smallest_raw_limit) {
      return std::nullopt; // every plan takes it: no need to ask
    }
    auto limit = raw_max_size();
    return limit && size > *limit ? limit : std::nullopt;
  }
  // The Upload API's signed rename (overwrite=false: never over an existing resource).
  bool rename(const std::string& from, const std::string& to) override;
  std::string signed_url(const std::string& key, Seconds expires) override {
    std::int64_t now = now_seconds();
    return private_download_url(m_loc, public_id(key), now, now + expires.count());
  }

  // ---- used by the reader and the parts writer ----
  std::string public_id(const std::string& key) const {
    return m_loc.prefix.empty() ? key : m_loc.prefix + "/" + key;
  }
  std::string object(const std::string& key) const {
    return fmt::format("cloudinary://{}/{}", m_loc.cloud, public_id(key));
  }
  const Location& location() const { return m_loc; }
  std::string endpoint(std::string_view path) const {
    return fmt::format("{}/v1_1/{}/{}", m_loc.api_host, m_loc.cloud, path);
  }
  // Adds timestamp, api_key and signature to signed params.
  Params sign(Params p) const {
    p["timestamp"] = std::to_string(now_seconds());
    p["signature"] = api_signature(p, m_loc.api_secret.reveal(), m_loc.algorithm);
    p["api_key"] = m_loc.api_key;
    return p;
  }
  // Performs the call; a status outside 2xx (and not in `accept`) is classified and thrown.
  HttpReply call(HttpCall c, Api api, const std::string& what, std::initializer_list<long> accept = {});
  // POST .../raw/upload with the fields and the bytes as the form's file.
  UploadAnswer upload(const Params& fields, pipeline::Bytes data,
                      std::vector<std::pair<std::string, std::string>> headers, bool final_chunk,
                      const std::string& what);
  void destroy(const std::string& public_id, const std::string& what);

private:
  [[noreturn]] void fail(const HttpReply& r, Api api, const std::string& what) const;
  const Usage& usage(); // GET /usage once per process; m_usage_mutex held
  std::unique_ptr<ObjectReader> open_at(const std::string& key, std::uint64_t offset);

  Location m_loc;
  HttpClient m_http;
  std::mutex m_usage_mutex;
  std::optional<Usage> m_usage; // GET /usage, once per process
};

HttpReply CloudinaryStorage::call(HttpCall c, Api api, const std::string& what,
                                  std::initializer_list<long> accept) {
  if (api == Api::admin) {
    c.headers.emplace_back("Authorization",
                           "Basic " + base64(m_loc.api_key + ":" + m_loc.api_secret.reveal()));
  }
  c.follow_redirects = api == Api::download;
  HttpReply r = m_http.perform(c, what);
  if (api == Api::admin) {
    auto h = [&](const char* n) {
      auto it = r.headers.find(n);
      return it == r.headers.end() ? std::string() : it->second;
    };
    if (!h("x-featureratelimit-remaining").empty()) {
      log::debug("Cloudinary Admin API: {} of {} calls left this hour (resets {})",
                 h("x-featureratelimit-remaining"), h("x-featureratelimit-limit"),
                 h("x-featureratelimit-reset"));
    }
  }
  if ((r.status >= 200 && r.status < 300) ||
      std::find(accept.begin(), accept.end(), r.status) != accept.end()) {
    return r;
  }
  fail(r, api, what);
}

void CloudinaryStorage::fail(const HttpReply& r, Api api, const std::string& what) const {
  std::string message = parse_error_message(r.body);
  std::string detail = message.empty() ? fmt::format("HTTP {}", r.status)
                                       : fmt::format("{} {}", r.status, message);
  auto header = [&](const char* n) {
    auto it = r.headers.find(n);
    return it == r.headers.end() ? std::string() : it->second;
  };
  if (r.status == 420 || r.status == 429) {
    std::string limit = header("x-featureratelimit-limit");
    std::string reset_text = header("x-featureratelimit-reset");
    std::time_t reset = reset_text.empty() ? -1 : curl_getdate(reset_text.c_str(), nullptr);
    std::string api_name = api == Api::admin ? "Admin API" : "API";
    if (reset < 0) {
      throw TransientError(fmt::format("{}: Cloudinary's {} rate limit is reached ({})", what,
                                       api_name, detail),
                           fmt::format("{} rate limited", r.status));
    }
    auto wait = std::chrono::seconds(std::max<std::int64_t>(0, reset - now_seconds()));
    std::string when = format_iso8601(std::chrono::system_clock::from_time_t(reset));
    if (wait <= k_wait_for_reset) {
      throw TransientError(fmt::format("{}: Cloudinary's {} rate limit is reached; it resets at {}",
                                       what, api_name, when),
                           fmt::format("{} rate limited", r.status),
                           std::chrono::duration_cast<std::chrono::milliseconds>(wait) +
                               std::chrono::milliseconds(500));
    }
    throw Error(ErrorKind::permanent,
                fmt::format("{}: Cloudinary's {} rate limit{} is reached; it resets at {} "
                            "(in {} min)",
                            what, api_name, limit.empty() ? "" : " of " + limit + " calls an hour",
                            when, (wait.count() + 59) / 60),
                "Run again after the reset, or ask Cloudinary for a higher limit. lifeboat "
                "makes a few Admin API calls a run; something else is using these credentials.");
  }
  if (r.status == 408 || r.status >= 500) {
    throw TransientError(fmt::format("{}: {}", what, detail), std::to_string(r.status));
  }
  if (message.find("Stale request") != std::string::npos) {
    throw Error(ErrorKind::permanent, fmt::format("{}: this machine's clock is off ({})", what, detail),
                "Synchronise the clock (NTP) and run again.");
  }
  if (r.status == 401 && message.find("Invalid Signature") != std::string::npos) {
    throw Error(ErrorKind::permanent,
                fmt::format("{}: Cloudinary refused the request's signature: check "
                            "CLOUDINARY_API_SECRET ({})",
                            what, detail),
                "The API secret does not belong to the API key; copy both from the Cloudinary "
                "console (CLOUDINARY_URL), and set signature_algorithm=sha256 in the storage URL "
                "if the account signs with SHA-256.");
  }
  if (r.status == 401 && to_lower(message).find("api key") != std::string::npos) {
    throw Error(ErrorKind::permanent,
                fmt::format("{}: Cloudinary does not know the API key: check CLOUDINARY_API_KEY ({})",
                            what, detail),
                "Copy the API key and secret from the Cloudinary console (CLOUDINARY_URL).");
  }
  if (r.status == 401) {
    throw Error(ErrorKind::permanent,
                fmt::format("{}: Cloudinary refused the credentials: check CLOUDINARY_API_SECRET "
                            "(and CLOUDINARY_API_KEY) ({})",
                            what, detail),
                "Copy the API key and secret from the Cloudinary console (CLOUDINARY_URL).");
  }
  if (message.find("File size too large") != std::string::npos) {
    throw Error(ErrorKind::permanent, fmt::format("{}: {}", what, detail),
                "The object is larger than the plan's largest raw file: upgrade the plan, or "
                "store backups this large elsewhere.");
  }
  if (r.status == 404) {
    throw Error(ErrorKind::not_found, fmt::format("{}: no such object ({})", what, detail));
  }
  if (r.status == 403) {
    throw Error(ErrorKind::permanent, fmt::format("{}: access denied ({})", what, detail),
                "Check that these credentials may upload, list and delete raw resources.");
  }
  throw Error(ErrorKind::permanent, fmt::format("{}: {}", what, detail));
}

UploadAnswer CloudinaryStorage::upload(const Params& fields, pipeline::Bytes data,
                                       std::vector<std::pair<std::string, std::string>> headers,
                                       bool final_chunk, const std::string& what) {
  std::string boundary = "lifeboat-" + random_hex(24);
  std::string head;
  for (const auto& [k, v] : sign(fields)) {
    head += fmt::format("--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n", boundary, k, v);
  }
  head += fmt::format("--{}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n",
                      boundary);
  std::string tail = fmt::format("\r\n--{}--\r\n", boundary);
  HttpCall c;
  c.method = "POST";
  c.url = endpoint("raw/upload");
  c.headers = std::move(headers);
  c.headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
  c.body_parts = {pipeline::as_bytes(head), data, pipeline::as_bytes(tail)};
  HttpReply r = call(std::move(c), Api::upload, what);
  if (!final_chunk) {
    return UploadAnswer{.done = false};
  }
  auto a = parse_upload_answer(r.body);
  if (!a) {
    throw TransientError(fmt::format("{}: {}", what, a.error()), "unreadable answer");
  }
  return *a;
}

void CloudinaryStorage::destroy(const std::string& id, const std::string& what) {
  HttpCall c;
  c.method = "POST";
  c.url = endpoint("raw/destroy");
  std::string body = form_encode(sign({{"public_id", id}, {"type", m_loc.type}, {"invalidate", "true"}}));
  c.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  c.body = pipeline::as_bytes(body);
  HttpReply r = call(std::move(c), Api::upload, what);
  auto a = parse_destroy_answer(r.body);
  if (!a) {
    throw TransientError(fmt::format("{}: {}", what, a.error()), "unreadable answer");
  }
  if (*a != "ok" && *a != "not found") {
    throw Error(ErrorKind::permanent, fmt::format("{}: Cloudinary answered '{}'", what, *a));
  }
}

bool CloudinaryStorage::rename(const std::string& from, const std::string& to) {
  HttpCall c;
  c.method = "POST";
  c.url = endpoint("raw/rename");
  std::string body = form_encode(sign({{"from_public_id", public_id(from)},
                                       {"to_public_id", public_id(to)},
                                       {"type", m_loc.type},
                                       {"overwrite", "false"}}));
  c.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  c.body = pipeline::as_bytes(body);
  call(std::move(c), Api::upload, fmt::format("renaming '{}' to '{}'", object(from), object(to)));
  return true;
}

void CloudinaryStorage::list(const std::string& prefix,
                             const std::function<void(const ObjectInfo&)>& each) {
  std::string full = public_id(prefix);
  std::size_t strip = m_loc.prefix.empty() ? 0 : m_loc.prefix.size() + 1;
  std::string cursor;
  do {
    HttpCall c;
    c.method = "GET";
    c.url = endpoint("resources/raw/" + m_loc.type) + "?max_results=" + std::to_string(m_loc.max_results);
    if (!full.empty()) {
      c.url += "&prefix=" + escape(full);
    }
    if (!cursor.empty()) {
      c.url += "&next_cursor=" + escape(cursor);
    }
    std::string what = fmt::format("listing '{}' in '{}'", prefix, display_url());
    HttpReply r = call(std::move(c), Api::admin, what);
    auto page = parse_list_answer(r.body);
    if (!page) {
      throw TransientError(fmt::format("{}: {}", what, page.error()), "unreadable answer");
    }
    for (const auto& res : page->resources) {
      if (!res.public_id.starts_with(full) || res.public_id.size() < strip) {
        continue; // Cloudinary's prefix is a prefix of the public_id; be sure
      }
      ObjectInfo o{res.public_id.substr(strip), res.bytes, {}, res.etag};
      if (auto t = parse_iso8601(res.created_at)) {
        o.mtime = *t;
      }
      each(o);
    }
    cursor = page->next_cursor;
  } while (!cursor.empty());
}

std::optional<ObjectInfo> CloudinaryStorage::stat(const std::string& key) {
  HttpCall c;
  c.method = "GET";
  c.url = endpoint("resources/raw/" + m_loc.type + "/" + escape_path(public_id(key)));
  std::string what = fmt::format("stat of '{}'", object(key));
  HttpReply r = call(std::move(c), Api::admin, what, {404});
  if (r.status == 404) {
    return std::nullopt;
  }
  auto res = parse_resource(r.body);
  if (!res) {
    throw TransientError(fmt::format("{}: {}", what, res.error()), "unreadable answer");
  }
  ObjectInfo o{key, res->bytes, {}, res->etag};
  if (auto t = parse_iso8601(res->created_at)) {
    o.mtime = *t;
  }
  return o;
}

void CloudinaryStorage::remove(const std::string& key) {
  destroy(public_id(key), fmt::format("removal of '{}'", object(key)));
}

const Usage& CloudinaryStorage::usage() {
  if (!m_usage) {
    HttpCall c;
    c.method = "GET";
    c.url = endpoint("usage");
    std::string what = fmt::format("usage of '{}'", display_url());
    HttpReply r = call(std::move(c), Api::admin, what);
    auto u = parse_usage(r.body);
    if (!u) {
      throw TransientError(fmt::format("{}: {}", what, u.error()), "unreadable answer");
    }
    m_usage = *u;
  }
  return *m_usage;
}

std::optional<std::uint64_t> CloudinaryStorage::raw_max_size() {
  if (m_loc.raw_max_size) {
    return m_loc.raw_max_size;
  }
  std::lock_guard<std::mutex> lock(m_usage_mutex);
  return usage().raw_max_size;
}

std::optional<SpaceInfo> CloudinaryStorage::space() {
  std::lock_guard<std::mutex> lock(m_usage_mutex);
  const Usage& u = usage();
  if (!u.storage_limit || !u.storage_used) {
    return std::nullopt; // a plan counted in credits has no storage limit of its own
  }
  std::uint64_t total = *u.storage_limit;
  return SpaceInfo{total, total - std::min(total, *u.storage_used)};
}

std::unique_ptr<ObjectReader> CloudinaryStorage::open_at(const std::string& key, std::uint64_t offset) {
  if (auto ok = check_key(key); !ok) {
    throw Error(ErrorKind::usage, fmt::format("invalid key '{}': {}", key, ok.error()));
  }
  return open_window_reader(std::make_unique<CloudinaryReader>(*this, key, offset), key, display_url());
}

void CloudinaryReader::fetch() {
  m_buffer.clear();
  m_pos = 0;
  if (m_size && m_offset >= *m_size) {
    return;
  }
  std::uint64_t last = m_offset + k_read_range - 1;
  if (m_size) {
    last = std::min(*m_size, m_offset + k_read_range) - 1;
  }
  std::int64_t now = now_seconds();
  HttpCall c;
  c.method = "GET";
  c.url = private_download_url(m_storage.location(), m_storage.public_id(m_key), now, now + 3600);
  c.headers.emplace_back("Range", fmt::format("bytes={}-{}", m_offset, last));
  std::string what = fmt::format("download of '{}'", m_storage.object(m_key));
  // A server that ignores Range sends everything (200): keep only this window of it.
  std::uint64_t position = m_offset; // of the next byte that arrives
  std::uint64_t want_to = last + 1;
  c.on_headers = [&](const HttpReply& head) { position = head.status == 206 ? m_offset : 0; };
  c.on_body = [&](pipeline::Bytes b) {
    std::uint64_t from = std::max(position, m_offset);
    std::uint64_t to = std::min(position + b.size(), want_to);
    if (from < to) {
      m_buffer.insert(m_buffer.end(), b.begin() + static_cast<std::ptrdiff_t>(from - position),
                      b.begin() + static_cast<std::ptrdiff_t>(to - position));
    }
    position += b.size();
  };
  HttpReply r;
  try {
    r = m_storage.call(std::move(c), Api::download, what, {416});
  } catch (...) {
    m_buffer.clear();
    throw;
  }
  if (r.cut_short) {
    m_buffer.clear();
    throw TransientError(fmt::format("{}: the connection was cut short", what), "connection cut short");
  }
  if (r.status == 416) { // the range starts at or after the end
    m_buffer.clear();
    if (!m_size) {
      m_size = m_offset;
    }
    return;
  }
  if (r.status == 200) {
    m_size = r.body_bytes; // Range ignored: the whole object came
  } else if (!m_size) {
    auto it = r.headers.find("content-range"); // "bytes 0-8388607/123456789"
    auto slash = it == r.headers.end() ? std::string::npos : it->second.rfind('/');
    if (slash == std::string::npos) {
      throw TransientError(fmt::format("{}: the answer has no Content-Range", what), "bad answer");
    }
    m_size = std::strtoull(it->second.c_str() + slash + 1, nullptr, 10);
  }
  last = std::min(*m_size, m_offset + k_read_range) - 1;
  std::uint64_t expected = *m_size <= m_offset ? 0 : last - m_offset + 1;
  if (m_buffer.size() != expected) {
    std::size_t got = m_buffer.size();
    m_buffer.clear();
    throw TransientError(fmt::format("{}: {} of {} bytes of a range arrived", what, got, expected),
                         "connection cut short");
  }
  m_offset += expected;
}

class CloudinaryParts final : public PartWriter {
public:
  CloudinaryParts(CloudinaryStorage& s, std::string key, PutOptions options)
      : m_storage(s), m_key(std::move(key)), m_options(std::move(options)),
        m_upload_id(random_hex(32)) {}
  ~CloudinaryParts() override {
    if (!m_completed) {
      abort();
    }
  }
  std::size_t part_size(int number) const override {
    (void)number;
    return static_cast<std::size_t>(m_storage.location().chunk_size);
  }

  void put_part(int number, pipeline::Bytes data, bool last) override {
    std::uint64_t start = static_cast<std::uint64_t>(number - 1) * m_storage.location().chunk_size;
    Params fields = {{"public_id", m_storage.public_id(m_key)},
                     {"type", m_storage.location().type},
                     {"overwrite", m_options.overwrite ? "true" : "false"}};
    std::vector<std::pair<std::string, std::string>> headers;
    check_plan_limit(start + data.size());
    std::string what;
    if (number == 1 && last) {
      what = fmt::format("upload of '{}'", m_storage.object(m_key));
    } else {
      std::uint64_t end = start + data.size(); // exclusive
      what = fmt::format("upload of chunk {} of '{}'", number, m_storage.object(m_key));
      headers.emplace_back("X-Unique-Upload-Id", m_upload_id);
      headers.emplace_back("Content-Range",
                           fmt::format("bytes {}-{}/{}", start, end == 0 ? 0 : end - 1,
                                       last ? std::to_string(end) : std::string("-1")));
    }
    m_answer = m_storage.upload(fields, data, std::move(headers), last, what);
    m_sent = start + data.size();
    m_final = last;
  }

  void complete() override {
    std::string what = fmt::format("upload of '{}'", m_storage.object(m_key));
    if (!m_final || !m_answer.done) {
      throw Error(ErrorKind::permanent, fmt::format("{}: the last chunk was never sent", what));
    }
    if (m_answer.existing) {
      m_completed = true; // the resource there is not ours: leave it alone
      throw Error(ErrorKind::permanent, fmt::format("{}: '{}' already exists", what, m_key));
    }
    if (m_answer.resource.bytes != m_sent) {
      m_created = true;
      throw Error(ErrorKind::integrity,
                  fmt::format("{}: Cloudinary stored {} bytes of the {} sent", what,
                              m_answer.resource.bytes, m_sent));
    }
    m_completed = true;
  }

  void abort() noexcept override {
    if (m_completed || !m_created) {
      // Unfinished chunked uploads never become resources; Cloudinary drops them.
      return;
    }
    try {
      m_storage.remove(m_key); // a resource that came out wrong
    } catch (const std::exception& e) {
      log::warning("{}", e.what());
    }
    m_created = false;
  }

private:
  // Fails before sending a byte more than the plan takes in one raw file (Cloudinary would
  // take every chunk, then refuse the file at the last one).
  void check_plan_limit(std::uint64_t size) {
    std::optional<std::uint64_t> limit = m_storage.location().raw_max_size;
    if (!limit && size > k_smallest_raw_limit) {
      limit = m_storage.raw_max_size();
    }
    if (limit && size > *limit) {
      throw Error(ErrorKind::permanent,
                  fmt::format("upload of '{}': the object is larger than the Cloudinary plan's "
                              "largest raw file ({} bytes)",
                              m_storage.object(m_key), *limit),
                  "Upgrade the plan, or write through the catalog, which stores larger backups "
                  "as parts.");
    }
  }

  CloudinaryStorage& m_storage;
  std::string m_key;
  PutOptions m_options;
  std::string m_upload_id;
  UploadAnswer m_answer{.done = false};
  std::uint64_t m_sent = 0;
  bool m_final = false;
  bool m_created = false;
  bool m_completed = false;
};

std::unique_ptr<PartWriter> CloudinaryStorage::open_parts(const std::string& key, const PutOptions& options) {
  if (auto ok = check_key(key); !ok) {
    throw Error(ErrorKind::usage, fmt::format("invalid key '{}': {}", key, ok.error()));
  }
  return std::make_unique<CloudinaryParts>(*this, key, options);
}

} // namespace

std::string private_download_url(const Location& l, const std::string& public_id,
                                 std::int64_t timestamp, std::int64_t expires_at) {
  Params p = {{"public_id", public_id},
              {"type", l.type},
              {"timestamp", std::to_string(timestamp)},
              {"expires_at", std::to_string(expires_at)}};
  p["signature"] = api_signature(p, l.api_secret.reveal(), l.algorithm);
  p["api_key"] = l.api_key;
  return fmt::format("{}/v1_1/{}/raw/download?{}", l.api_host, l.cloud, form_encode(p));
}

std::unique_ptr<Storage> open_cloudinary(std::string_view url, const Env& env) {
  return std::make_unique<CloudinaryStorage>(parse_location(url, env));
}

} // namespace lifeboat::storage::cloudinary
