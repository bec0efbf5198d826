// storage/retry: the one place lifeboat retries storage operations (STYLE.md L4).
//
// Backends only classify failures (ErrorKind::transient for timeouts, 5xx, 429, resets;
// permanent, not_found, usage otherwise). RetryingStorage decorates any backend: it
// retries transient failures with exponential backoff and full jitter under a total
// deadline, at least once more after the deadline, never a permanent one, and not at
// all once a stop was requested. What it can retry:
//   - list, stat, remove: the whole call;
//   - reads: a dropped read resumes at its offset through Storage::open_read_at;
//   - writes: part by part through Storage::open_parts and PartedWriter, each part
//     re-sent from its bounded buffer. A backend without the parts seam is written as
//     one stream and a failure there is final (the file backend: a local disk).
// The final error lists the attempts: "failed after 5 attempts over 41 s: 503 slow
// down (x4), connection reset (x1)".
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "storage/storage.hpp"
#include "util/error.hpp"

namespace lifeboat::storage {

// A transient failure that says when to come back (HTTP 429/503 Retry-After) and how to
// name it briefly in the attempts summary ("503 slow down").
class TransientError : public Error {
public:
  TransientError(std::string message, std::string reason,
                 std::optional<std::chrono::milliseconds> retry_after = std::nullopt)
      : Error(ErrorKind::transient, std::move(message)), m_reason(std::move(reason)),
        m_retry_after(retry_after) {}
  const std::string& reason() const { return m_reason; }
  std::optional<std::chrono::milliseconds> retry_after() const { return m_retry_after; }

private:
  std::string m_reason;
  std::optional<std::chrono::milliseconds> m_retry_after;
};

struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::milliseconds first_delay{200};
  std::chrono::milliseconds max_delay{20'000};
  std::chrono::milliseconds deadline{120'000}; // after it, one more attempt, then stop
  // How to wait; tests replace it to run without sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Runs `op`, retrying transient failures as described above; `what` names the
// operation and object in the final message ("upload of part 3 of 'app/x.db.zst'").
void retry(const RetryPolicy& policy, const std::string& what, const std::function<void()>& op);

// The retry decorator over any backend.
std::unique_ptr<Storage> make_retrying(std::unique_ptr<Storage> inner, RetryPolicy policy = {});

} // namespace lifeboat::storage
