// storage/http/http: HTTP/1.1 requests over libcurl, transport only (no signing: that is
// sigv4's; no retrying: that is storage/retry's). One pooled easy handle per concurrent
// request keeps connections alive. Bodies are sent with Content-Length, never chunked
// (AWS refuses chunked uploads), and "Expect: 100-continue" is never sent.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/pipeline.hpp"

namespace lifeboat::storage::http {

struct HttpReply;

struct HttpCall {
  std::string method; // GET, PUT, POST, DELETE, HEAD
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  pipeline::Bytes body; // sent with Content-Length (PUT, POST)
  // Instead of `body`: pieces sent one after the other as one body (a multipart form
  // around a chunk, without copying the chunk).
  std::vector<pipeline::Bytes> body_parts;
  // Receives the response body as it arrives when set (a download); otherwise the
  // body is collected into HttpReply::body, up to `body_limit` bytes.
  std::function<void(pipeline::Bytes)> on_body;
  // Called once with the status and headers of a 2xx answer before its first body byte
  // reaches on_body (a reader learns whether a Range was honoured: 206 or 200).
  std::function<void(const HttpReply&)> on_headers;
  std::size_t body_limit = 16 * 1024 * 1024;
  bool verify_tls = true;
  std::string ca_file; // the certificate authorities to trust; empty: the system's
  bool follow_redirects = false; // GET only: a download URL that answers 302
  long timeout_seconds = 0;      // 0: none beyond the stalled-transfer limit
};

struct HttpReply {
  long status = 0;
  std::map<std::string, std::string> headers; // names lowercase
  std::string body;
  std::uint64_t body_bytes = 0; // received, also when streamed to on_body
  bool cut_short = false;       // a streamed body ended before its Content-Length
};

class HttpClient {
public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs the request. Throws Error{transient} for transport failures (refused,
  // reset, timeout, a body cut short), naming `what`; returns any HTTP status.
  HttpReply perform(const HttpCall& request, const std::string& what);

private:
  void* take_handle();
  void give_back(void* handle);
  std::mutex m_mutex;
  std::vector<void*> m_idle; // CURL* easy handles
};

} // namespace lifeboat::storage::http
