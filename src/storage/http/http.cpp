#include "storage/http/http.hpp"

#include <algorithm>
#include <cstring>
#include <cctype>
#include <mutex>

#include <curl/curl.h>
#include <fmt/format.h>

#include "util/error.hpp"

namespace lifeboat::storage::http {

namespace {

struct Transfer {
  const HttpCall* request = nullptr;
  HttpReply* response = nullptr;
  std::vector<pipeline::Bytes> segments; // the body: `body`, or `body_parts` in order
  std::size_t segment = 0;
  std::size_t sent = 0; // of the current segment
  bool over_limit = false;
  bool headers_told = false;
};

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t room = size * n;
  std::size_t given = 0;
  while (given < room && t->segment < t->segments.size()) {
    pipeline::Bytes seg = t->segments[t->segment];
    std::size_t take = std::min(seg.size() - t->sent, room - given);
    std::memcpy(buf + given, seg.data() + t->sent, take);
    given += take;
    t->sent += take;
    if (t->sent == seg.size()) {
      ++t->segment;
      t->sent = 0;
    }
  }
  return given;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  t->response->body_bytes += len;
  // Only a successful download streams; an error's body is collected to be read.
  long status = 0;
  (void)status;
  if (t->request->on_body && t->response->status >= 200 && t->response->status < 300) {
    if (!t->headers_told && t->request->on_headers) {
      t->request->on_headers(*t->response);
    }
    t->headers_told = true;
    t->request->on_body({reinterpret_cast<const std::byte*>(data), len});
    return len;
  }
  if (t->response->body.size() + len > t->request->body_limit) {
    t->over_limit = true;
    return 0; // aborts the transfer
  }
  t->response->body.append(data, len);
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or 100 Continue): start over.
    t->response->headers.clear();
    auto sp = line.find(' ');
    t->response->status = sp == std::string::npos ? 0 : std::atol(line.c_str() + sp + 1);
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    auto b = value.find_first_not_of(" \t");
    auto e = value.find_last_not_of(" \t\r\n");
    t->response->headers[name] = b == std::string::npos ? "" : value.substr(b, e - b + 1);
  }
  return size * n;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

HttpClient::HttpClient() { global_init(); }

HttpClient::~HttpClient() {
  for (void* h : m_idle) {
    curl_easy_cleanup(static_cast<CURL*>(h));
  }
}

void* HttpClient::take_handle() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_idle.empty()) {
      void* h = m_idle.back();
      m_idle.pop_back();
      return h;
    }
  }
  CURL* h = curl_easy_init();
  if (h == nullptr) {
    throw Error(ErrorKind::permanent, "unable to start libcurl");
  }
  return h;
}

void HttpClient::give_back(void* handle) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_idle.push_back(handle);
}

HttpReply HttpClient::perform(const HttpCall& request, const std::string& what) {
  CURL* h = static_cast<CURL*>(take_handle());
  curl_easy_reset(h);
  HttpReply response;
  Transfer t{&request, &response};
  if (request.body_parts.empty()) {
    t.segments.push_back(request.body);
  } else {
    t.segments = request.body_parts;
  }
  curl_off_t body_size = 0;
  for (auto seg : t.segments) {
    body_size += static_cast<curl_off_t>(seg.size());
  }
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : request.headers) {
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Transfer-Encoding:");
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L); // a stalled transfer: 60 s without a byte
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, request.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, request.verify_tls ? 2L : 0L);
  if (!request.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());
  }
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (request.follow_redirects) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  }
  if (request.timeout_seconds > 0) {
    curl_easy_setopt(h, CURLOPT_TIMEOUT, request.timeout_seconds);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  if (request.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, body_size);
  } else if (request.method == "POST" && !request.body_parts.empty()) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, body_size);
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, reinterpret_cast<const char*>(request.body.data()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(headers);
  if (rc == CURLE_PARTIAL_FILE && request.on_body && response.status != 0) {
    // A download cut short: the caller compares what arrived with what it asked for
    // (and a server that announces a byte it never sends for an empty object, as
    // s3rver does, is no failure then).
    curl_easy_cleanup(h);
    response.cut_short = true;
    return response;
  }
  if (rc != CURLE_OK) {
    curl_easy_cleanup(h); // a broken connection is not reused
    if (t.over_limit) {
      throw Error(ErrorKind::permanent,
                  fmt::format("{}: the answer is larger than {} bytes", what, request.body_limit));
    }
    std::string reason = error[0] != 0 ? error : curl_easy_strerror(rc);
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
      // An untrusted certificate stays untrusted: never retried, never ignored.
      throw Error(ErrorKind::permanent,
                  fmt::format("{}: the server's TLS certificate is not trusted ({})", what, reason),
                  request.ca_file.empty()
                      ? "If the endpoint uses a private certificate authority, give lifeboat its "
                        "certificate file (AWS_CA_BUNDLE for s3://); verification is never turned off."
                      : fmt::format("Check that '{}' holds the certificate authority that signed "
                                    "the server's certificate.", request.ca_file));
    }
    // Every other transport failure may pass: refused, reset, timed out, cut short, DNS.
    throw Error(ErrorKind::transient, fmt::format("{}: {}", what, reason));
  }
  give_back(h);
  return response;
}

} // namespace lifeboat::storage::http
