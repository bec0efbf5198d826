#include "storage/retry.hpp"

#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "storage/parted_writer.hpp"
#include "util/cancel.hpp"
#include "util/log.hpp"
#include "util/time.hpp"

namespace lifeboat::storage {

namespace {

std::string short_reason(const Error& e) {
  if (const auto* t = dynamic_cast<const TransientError*>(&e)) {
    return t->reason();
  }
  // "listing 'x' in 'URL': Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't
  // connect to server": the cause is the last part; the operation is named already.
  std::string m = e.what();
  if (auto colon = m.rfind(": "); colon != std::string::npos && colon + 2 < m.size()) {
    m = m.substr(colon + 2);
  }
  return m.size() > 60 ? m.substr(0, 57) + "..." : m;
}

} // namespace

void retry(const RetryPolicy& policy, const std::string& what, const std::function<void()>& op) {
  auto start = std::chrono::steady_clock::now();
  std::map<std::string, int> reasons; // for the summary, in first-seen order below
  std::vector<std::string> order;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  for (int attempt = 1;; ++attempt) {
    throw_if_cancelled();
    try {
      op();
      return;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::transient) {
        throw;
      }
      std::string r = short_reason(e);
      if (reasons[r]++ == 0) {
        order.push_back(r);
      }
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      bool past_deadline = elapsed >= policy.deadline;
      // At least one retry, even after the deadline (pgBackRest, restic).
      if (attempt >= policy.max_attempts || (past_deadline && attempt >= 2)) {
        std::string summary;
        for (const auto& o : order) {
          summary += fmt::format("{}{} (x{})", summary.empty() ? "" : ", ", o, reasons[o]);
        }
        throw Error(ErrorKind::transient,
                    fmt::format("{} failed after {} attempts over {:.0f} s: {}", what, attempt,
                                elapsed.count() / 1000.0, summary),
                    e.hint().empty() ? "The storage may be overloaded or unreachable; run again later."
                                     : e.hint());
      }
      std::chrono::milliseconds cap = std::min<std::chrono::milliseconds>(
          policy.max_delay, policy.first_delay * (1LL << std::min(attempt - 1, 20)));
      std::uniform_int_distribution<long long> jitter(0, cap.count()); // full jitter
      std::chrono::milliseconds wait{jitter(rng)};
      if (const auto* t = dynamic_cast<const TransientError*>(&e); t && t->retry_after()) {
        wait = std::max(wait, std::min(*t->retry_after(), policy.max_delay));
      }
      log::debug("{} failed ({}); attempt {} in {} ms", what, r, attempt + 1, wait.count());
      if (policy.sleep) {
        policy.sleep(wait);
      } else {
        std::this_thread::sleep_for(wait);
      }
    }
  }
}

namespace {

// A reader that resumes at its offset when a read fails transiently.
class RetryingReader final : public ObjectReader {
public:
  RetryingReader(Storage& inner, const RetryPolicy& policy, std::string key,
                 std::unique_ptr<ObjectReader> first)
      : m_inner(inner), m_policy(policy), m_key(std::move(key)), m_reader(std::move(first)) {}

  std::size_t read(std::span<std::byte> buf) override {
    std::size_t n = 0;
    retry(m_policy, fmt::format("download of '{}' at byte {}", m_key, m_offset), [&] {
      if (!m_reader) {
        m_reader = m_inner.open_read_at(m_key, m_offset);
        if (!m_reader) {
          throw Error(ErrorKind::permanent,
                      fmt::format("the read of '{}' broke at byte {} and this storage cannot "
                                  "resume it",
                                  m_key, m_offset));
        }
      }
      try {
        n = m_reader->read(buf);
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::transient) {
          m_reader.reset(); // reopened at m_offset on the next attempt
        }
        throw;
      }
    });
    m_offset += n;
    return n;
  }

private:
  Storage& m_inner;
  const RetryPolicy& m_policy;
  std::string m_key;
  std::unique_ptr<ObjectReader> m_reader;
  std::uint64_t m_offset = 0;
};

class RetryingStorage final : public Storage {
public:
  RetryingStorage(std::unique_ptr<Storage> inner, RetryPolicy policy)
      : m_inner(std::move(inner)), m_policy(std::move(policy)) {}

  std::string display_url() const override { return m_inner->display_url(); }
  Capabilities capabilities() const override { return m_inner->capabilities(); }

  std::unique_ptr<ObjectWriter> open_write(const std::string& key,
                                           const PutOptions& options) override {
    auto parts = m_inner->open_parts(key, options);
    if (!parts) {
      return m_inner->open_write(key, options); // a stream: not retryable
    }
    auto send = [this, key](PartWriter& p, int number, pipeline::Bytes data, bool last) {
      retry(m_policy, fmt::format("upload of part {} of '{}'", number, key),
            [&] { p.put_part(number, data, last); });
    };
    auto complete = [this, key](PartWriter& p) {
      retry(m_policy, fmt::format("completion of the upload of '{}'", key), [&] { p.complete(); });
    };
    return std::make_unique<PartedWriter>(std::move(parts), send, complete);
  }
  std::unique_ptr<ObjectReader> open_read(const std::string& key) override {
    std::unique_ptr<ObjectReader> first;
    retry(m_policy, fmt::format("download of '{}'", key), [&] { first = m_inner->open_read(key); });
    return std::make_unique<RetryingReader>(*m_inner, m_policy, key, std::move(first));
  }
  void list(const std::string& prefix, const std::function<void(const ObjectInfo&)>& each) override {
    // A listing is collected whole before `each` sees it, so a retried page never
    // reports an object twice.
    std::vector<ObjectInfo> all;
    retry(m_policy, prefix.empty() ? fmt::format("listing of '{}'", m_inner->display_url())
                                : fmt::format("listing of '{}' in '{}'", prefix, m_inner->display_url()), [&] {
      all.clear();
      m_inner->list(prefix, [&](const ObjectInfo& o) { all.push_back(o); });
    });
    for (const auto& o : all) {
      each(o);
    }
  }
  std::optional<ObjectInfo> stat(const std::string& key) override {
    std::optional<ObjectInfo> out;
    retry(m_policy, fmt::format("stat of '{}'", key), [&] { out = m_inner->stat(key); });
    return out;
  }
  void remove(const std::string& key) override {
    retry(m_policy, fmt::format("removal of '{}'", key), [&] { m_inner->remove(key); });
  }
  std::optional<SpaceInfo> space() override { return m_inner->space(); }
  std::optional<std::uint64_t> max_object_size(std::uint64_t size) override {
    std::optional<std::uint64_t> out;
    retry(m_policy, "the storage's object size limit", [&] { out = m_inner->max_object_size(size); });
    return out;
  }
  // Not retried: a rename that took effect but whose answer was lost would fail again.
  bool rename(const std::string& from, const std::string& to) override {
    return m_inner->rename(from, to);
  }
  std::vector<ObjectInfo> remove_abandoned_writes(TimePoint cutoff, bool dry_run) override {
    std::vector<ObjectInfo> out;
    retry(m_policy, "removal of abandoned uploads",
          [&] { out = m_inner->remove_abandoned_writes(cutoff, dry_run); });
    return out;
  }
  std::string signed_url(const std::string& key, Seconds expires) override {
    return m_inner->signed_url(key, expires);
  }
  std::unique_ptr<PartWriter> open_parts(const std::string& key, const PutOptions& options) override {
    return m_inner->open_parts(key, options);
  }
  std::unique_ptr<ObjectReader> open_read_at(const std::string& key, std::uint64_t offset) override {
    return m_inner->open_read_at(key, offset);
  }

private:
  std::unique_ptr<Storage> m_inner;
  RetryPolicy m_policy;
};

} // namespace

std::unique_ptr<Storage> make_retrying(std::unique_ptr<Storage> inner, RetryPolicy policy) {
  return std::make_unique<RetryingStorage>(std::move(inner), std::move(policy));
}

} // namespace lifeboat::storage
