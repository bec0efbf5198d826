#include "storage/decorators.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include <fmt/format.h>

#include "util/log.hpp"

namespace lifeboat::storage {
namespace {

// A Storage that forwards every call to `inner` through `around`, and wraps the
// writers, part writers and readers it hands out so that their calls go through it too.
class AroundStorage : public Storage {
public:
  explicit AroundStorage(std::unique_ptr<Storage> inner) : m_inner(std::move(inner)) {}

  // Runs `call` (one call to the inner storage) for operation `op` on `key`.
  virtual void around(std::string_view op, const std::string& key,
                      const std::function<void()>& call) = 0;

  std::string display_url() const override { return m_inner->display_url(); }
  Capabilities capabilities() const override { return m_inner->capabilities(); }

  std::unique_ptr<ObjectWriter> open_write(const std::string& key, const PutOptions& options) override;
  std::unique_ptr<ObjectReader> open_read(const std::string& key) override {
    std::unique_ptr<ObjectReader> r;
    around("open", key, [&] { r = m_inner->open_read(key); });
    return std::make_unique<Reader>(*this, key, std::move(r));
  }
  std::unique_ptr<ObjectReader> open_read_at(const std::string& key, std::uint64_t offset) override {
    std::unique_ptr<ObjectReader> r;
    around(fmt::format("open@{}", offset), key, [&] { r = m_inner->open_read_at(key, offset); });
    return r ? std::make_unique<Reader>(*this, key, std::move(r)) : nullptr;
  }
  void list(const std::string& prefix, const std::function<void(const ObjectInfo&)>& each) override {
    around("list", prefix, [&] { m_inner->list(prefix, each); });
  }
  std::optional<ObjectInfo> stat(const std::string& key) override {
    std::optional<ObjectInfo> out;
    around("stat", key, [&] { out = m_inner->stat(key); });
    return out;
  }
  void remove(const std::string& key) override {
    around("remove", key, [&] { m_inner->remove(key); });
  }
  std::unique_ptr<PartWriter> open_parts(const std::string& key, const PutOptions& options) override {
    auto p = m_inner->open_parts(key, options);
    return p ? std::make_unique<Parts>(*this, key, std::move(p)) : nullptr;
  }
  std::optional<SpaceInfo> space() override {
    std::optional<SpaceInfo> out;
    around("space", "", [&] { out = m_inner->space(); });
    return out;
  }
  std::vector<ObjectInfo> remove_abandoned_writes(TimePoint cutoff, bool dry_run) override {
    std::vector<ObjectInfo> out;
    around("remove_abandoned_writes", "", [&] { out = m_inner->remove_abandoned_writes(cutoff, dry_run); });
    return out;
  }
  std::string signed_url(const std::string& key, Seconds expires) override {
    return m_inner->signed_url(key, expires); // computed locally: no call to the service
  }
  std::optional<std::uint64_t> max_object_size(std::uint64_t size) override {
    std::optional<std::uint64_t> out;
    around("max_object_size", "", [&] { out = m_inner->max_object_size(size); });
    return out;
  }
  bool rename(const std::string& from, const std::string& to) override {
    bool out = false;
    around("rename", from, [&] { out = m_inner->rename(from, to); });
    return out;
  }

private:
  class Reader final : public ObjectReader {
  public:
    Reader(AroundStorage& s, std::string key, std::unique_ptr<ObjectReader> r)
        : m_s(s), m_key(std::move(key)), m_r(std::move(r)) {}
    std::size_t read(std::span<std::byte> buf) override {
      std::size_t n = 0;
      m_s.around("read", m_key, [&] { n = m_r->read(buf); });
      return n;
    }

  private:
    AroundStorage& m_s;
    std::string m_key;
    std::unique_ptr<ObjectReader> m_r;
  };

  class Writer final : public ObjectWriter {
  public:
    Writer(AroundStorage& s, std::string key, std::unique_ptr<ObjectWriter> w)
        : m_s(s), m_key(std::move(key)), m_w(std::move(w)) {}
    void write(pipeline::Bytes bytes) override {
      m_s.around("write", m_key, [&] { m_w->write(bytes); });
    }
    void commit() override {
      m_s.around("commit", m_key, [&] { m_w->commit(); });
    }
    void abort() noexcept override { m_w->abort(); }
    std::uint64_t bytes_written() const override { return m_w->bytes_written(); }

  private:
    AroundStorage& m_s;
    std::string m_key;
    std::unique_ptr<ObjectWriter> m_w;
  };

  class Parts final : public PartWriter {
  public:
    Parts(AroundStorage& s, std::string key, std::unique_ptr<PartWriter> p)
        : m_s(s), m_key(std::move(key)), m_p(std::move(p)) {}
    std::size_t part_size(int number) const override { return m_p->part_size(number); }
    int concurrency() const override { return m_p->concurrency(); }
    void put_part(int number, pipeline::Bytes data, bool last) override {
      m_s.around(fmt::format("part {}", number), m_key, [&] { m_p->put_part(number, data, last); });
    }
    void complete() override {
      m_s.around("complete", m_key, [&] { m_p->complete(); });
    }
    void abort() noexcept override { m_p->abort(); }

  private:
    AroundStorage& m_s;
    std::string m_key;
    std::unique_ptr<PartWriter> m_p;
  };

protected:
  std::unique_ptr<Storage> m_inner;
};

std::unique_ptr<ObjectWriter> AroundStorage::open_write(const std::string& key,
                                                        const PutOptions& options) {
  std::unique_ptr<ObjectWriter> w;
  around("open_write", key, [&] { w = m_inner->open_write(key, options); });
  return std::make_unique<Writer>(*this, key, std::move(w));
}

class LoggingStorage final : public AroundStorage {
public:
  using AroundStorage::AroundStorage;
  void around(std::string_view op, const std::string& key, const std::function<void()>& call) override {
    if (!log::enabled(log::Level::debug)) {
      call();
      return;
    }
    auto start = std::chrono::steady_clock::now();
    auto ms = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
          .count();
    };
    try {
      call();
    } catch (const Error& e) {
      log::debug("storage: {} '{}': {} after {} ms: {}", op, key, to_string(e.kind()), ms(), e.what());
      throw;
    }
    if (op != "read" && op != "write") { // one line per buffer would drown the log
      log::debug("storage: {} '{}': ok in {} ms", op, key, ms());
    }
  }
};

class LimitedStorage final : public AroundStorage {
public:
  LimitedStorage(std::unique_ptr<Storage> inner, int max_in_flight)
      : AroundStorage(std::move(inner)), m_max(std::max(1, max_in_flight)) {}
  void around(std::string_view, const std::string&, const std::function<void()>& call) override {
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_free.wait(lock, [&] { return m_in_flight < m_max; });
      ++m_in_flight;
    }
    struct Release {
      LimitedStorage& s;
      ~Release() {
        {
          std::lock_guard<std::mutex> lock(s.m_mutex);
          --s.m_in_flight;
        }
        s.m_free.notify_one();
      }
    } release{*this};
    call();
  }

private:
  int m_max;
  std::mutex m_mutex;
  std::condition_variable m_free;
  int m_in_flight = 0;
};

class FunctionStorage final : public AroundStorage {
public:
  FunctionStorage(std::unique_ptr<Storage> inner, Around f) : AroundStorage(std::move(inner)), m_f(std::move(f)) {}
  void around(std::string_view op, const std::string& key, const std::function<void()>& call) override {
    m_f(op, key, call);
  }

private:
  Around m_f;
};

DecoratorHooks& hooks_slot() {
  static DecoratorHooks hooks;
  return hooks;
}

} // namespace

std::unique_ptr<Storage> make_logging(std::unique_ptr<Storage> inner) {
  return std::make_unique<LoggingStorage>(std::move(inner));
}

std::unique_ptr<Storage> make_around(std::unique_ptr<Storage> inner, Around around) {
  return std::make_unique<FunctionStorage>(std::move(inner), std::move(around));
}

std::unique_ptr<Storage> make_limited(std::unique_ptr<Storage> inner, int max_in_flight) {
  return std::make_unique<LimitedStorage>(std::move(inner), max_in_flight);
}

std::unique_ptr<Storage> decorate(std::unique_ptr<Storage> backend, RetryPolicy policy,
                                  const DecoratorHooks& hooks) {
  if (hooks.inner) {
    backend = hooks.inner(std::move(backend));
  }
  int limit = backend->capabilities().max_connections;
  auto s = make_retrying(make_logging(make_limited(std::move(backend), limit)), std::move(policy));
  if (hooks.outer) {
    s = hooks.outer(std::move(s));
  }
  return s;
}

void set_decorator_hooks(DecoratorHooks hooks) { hooks_slot() = std::move(hooks); }
const DecoratorHooks& decorator_hooks() { return hooks_slot(); }

} // namespace lifeboat::storage
