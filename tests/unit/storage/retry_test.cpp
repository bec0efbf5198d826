// The retry decorator (STYLE.md L4) over an in-memory backend that fails on cue: whole
// calls, parts re-sent from their buffer, reads resumed at their offset, permanent
// failures never retried, and a summary of the attempts in the final error.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "storage/decorators.hpp"
#include "storage/parted_writer.hpp"
#include "storage/retry.hpp"

using namespace lifeboat;
using namespace lifeboat::storage;

namespace {

RetryPolicy fast(std::vector<std::chrono::milliseconds>* waits = nullptr) {
  RetryPolicy p;
  p.sleep = [waits](std::chrono::milliseconds d) {
    if (waits != nullptr) {
      waits->push_back(d);
    }
  };
  return p;
}

// Objects in memory, written through the parts seam; failures are queued per operation.
class FlakyStorage final : public Storage {
public:
  std::map<std::string, std::string> objects;
  std::vector<std::string> log; // "part 2", "complete", "abort", "read@123"
  std::map<std::string, std::vector<ErrorKind>> failures; // op -> kinds to throw, in order
  std::size_t part = 4; // bytes per part
  std::size_t cut_read_after = 0; // a reader from offset 0 breaks after this many bytes (0: never)

  void maybe_fail(const std::string& op) {
    auto& q = failures[op];
    if (!q.empty()) {
      ErrorKind k = q.front();
      q.erase(q.begin());
      if (k == ErrorKind::transient) {
        throw TransientError(op + " failed", "503 slow down", std::chrono::milliseconds(700));
      }
      throw Error(k, op + " failed for good");
    }
  }

  class Parts final : public PartWriter {
  public:
    Parts(FlakyStorage& s, std::string k) : m_s(s), m_key(std::move(k)) {}
    std::size_t part_size(int) const override { return m_s.part; }
    void put_part(int n, pipeline::Bytes d, bool) override {
      m_s.log.push_back("part " + std::to_string(n));
      m_s.maybe_fail("part " + std::to_string(n));
      m_parts[n] = std::string(reinterpret_cast<const char*>(d.data()), d.size());
    }
    void complete() override {
      m_s.log.push_back("complete");
      m_s.maybe_fail("complete");
      std::string all;
      for (auto& [n, p] : m_parts) {
        all += p;
      }
      m_s.objects[m_key] = all;
    }
    void abort() noexcept override { m_s.log.push_back("abort"); }

  private:
    FlakyStorage& m_s;
    std::string m_key;
    std::map<int, std::string> m_parts;
  };

  class Reader final : public ObjectReader {
  public:
    Reader(FlakyStorage& s, std::string data, std::uint64_t off, std::size_t cut)
        : m_s(s), m_data(std::move(data)), m_pos(off), m_cut(cut) {}
    std::size_t read(std::span<std::byte> buf) override {
      if (m_cut != 0 && m_sent >= m_cut) {
        throw TransientError("read failed", "connection reset");
      }
      std::size_t n = std::min({buf.size(), m_data.size() - m_pos, std::size_t(3)});
      std::memcpy(buf.data(), m_data.data() + m_pos, n);
      m_pos += n;
      m_sent += n;
      return n;
    }

  private:
    FlakyStorage& m_s;
    std::string m_data;
    std::size_t m_pos;
    std::size_t m_cut;
    std::size_t m_sent = 0;
  };

  std::string display_url() const override { return "flaky://"; }
  Capabilities capabilities() const override { return {}; }
  std::unique_ptr<ObjectWriter> open_write(const std::string& k, const PutOptions& o) override {
    return std::make_unique<PartedWriter>(open_parts(k, o));
  }
  std::unique_ptr<PartWriter> open_parts(const std::string& k, const PutOptions&) override {
    return std::make_unique<Parts>(*this, k);
  }
  std::unique_ptr<ObjectReader> open_read(const std::string& k) override { return open_read_at(k, 0); }
  std::unique_ptr<ObjectReader> open_read_at(const std::string& k, std::uint64_t off) override {
    log.push_back("read@" + std::to_string(off));
    maybe_fail("open");
    return std::make_unique<Reader>(*this, objects.at(k), off, off == 0 ? cut_read_after : 0);
  }
  void list(const std::string&, const std::function<void(const ObjectInfo&)>& each) override {
    maybe_fail("list");
    for (auto& [k, v] : objects) {
      each({k, v.size(), {}});
    }
  }
  std::optional<ObjectInfo> stat(const std::string& k) override {
    maybe_fail("stat");
    auto it = objects.find(k);
    return it == objects.end() ? std::nullopt : std::optional<ObjectInfo>({k, it->second.size(), {}});
  }
  void remove(const std::string& k) override {
    maybe_fail("remove");
    objects.erase(k);
  }
};

struct Fixture {
  FlakyStorage* flaky = new FlakyStorage;
  std::vector<std::chrono::milliseconds> waits;
  std::unique_ptr<Storage> storage = make_retrying(std::unique_ptr<Storage>(flaky), fast(&waits));
};

} // namespace

TEST(Retry, TransientFailuresOfWholeCallsAreRetriedHonouringRetryAfter) {
  Fixture f;
  f.flaky->failures["stat"] = {ErrorKind::transient, ErrorKind::transient};
  EXPECT_FALSE(f.storage->stat("x"));
  ASSERT_EQ(f.waits.size(), 2u);
  for (auto w : f.waits) {
    EXPECT_GE(w.count(), 700) << "Retry-After is a floor";
  }
}

TEST(Retry, PermanentFailuresAreNeverRetried) {
  Fixture f;
  f.flaky->failures["remove"] = {ErrorKind::permanent, ErrorKind::permanent};
  EXPECT_THROW(f.storage->remove("x"), Error);
  EXPECT_TRUE(f.waits.empty());
  EXPECT_EQ(f.flaky->failures["remove"].size(), 1u);
}

TEST(Retry, TheFinalErrorSummarisesTheAttempts) {
  Fixture f;
  f.flaky->failures["list"] = std::vector<ErrorKind>(10, ErrorKind::transient);
  try {
    f.storage->list("", [](const ObjectInfo&) {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::transient);
    EXPECT_NE(std::string(e.what()).find("listing of 'flaky://' failed after 6 attempts over"),
              std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(": 503 slow down (x6)"), std::string::npos) << e.what();
  }
  // A plain transient Error (a transport failure) is summarised by its cause, not by the
  // start of its message, which names the operation and the URL again.
  RetryPolicy p = fast();
  try {
    retry(p, "listing of ''", [] {
      throw Error(ErrorKind::transient, "listing '' in 'cloudinary://k:***@c/backups?api_host=x': "
                                        "Failed to connect to 127.0.0.1 port 9 after 0 ms: "
                                        "Couldn't connect to server");
    });
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(": Couldn't connect to server (x6)"), std::string::npos)
        << e.what();
  }
}

TEST(Retry, APartIsResentFromItsBufferAndTheObjectIsWhole) {
  Fixture f;
  f.flaky->failures["part 2"] = {ErrorKind::transient, ErrorKind::transient};
  f.flaky->failures["complete"] = {ErrorKind::transient};
  auto w = f.storage->open_write("k", {});
  w->write(pipeline::as_bytes(std::string("abcdefghij")));
  w->commit();
  EXPECT_EQ(f.flaky->objects["k"], "abcdefghij");
  std::vector<std::string> expected = {"part 1", "part 2", "part 2", "part 2", "part 3",
                                       "complete", "complete"};
  EXPECT_EQ(f.flaky->log, expected);
}

TEST(Retry, APermanentPartFailureAbortsAndLeavesNothing) {
  Fixture f;
  f.flaky->failures["part 2"] = {ErrorKind::permanent};
  auto w = f.storage->open_write("k", {});
  EXPECT_THROW(
      {
        w->write(pipeline::as_bytes(std::string("abcdefghijklmnop")));
        w->commit();
      },
      Error);
  EXPECT_FALSE(f.flaky->objects.contains("k"));
  EXPECT_EQ(f.flaky->log.back(), "abort");
}

TEST(Retry, AReadResumesAtItsOffset) {
  Fixture f;
  f.flaky->objects["k"] = "0123456789abcdefghij";
  f.flaky->cut_read_after = 7; // 3 + 3 + 1... the reader breaks after its 7th byte
  auto r = f.storage->open_read("k");
  std::string got;
  std::array<std::byte, 5> buf{};
  while (std::size_t n = r->read(buf)) {
    got.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  EXPECT_EQ(got, "0123456789abcdefghij");
  ASSERT_GE(f.flaky->log.size(), 2u);
  EXPECT_EQ(f.flaky->log[0], "read@0");
  EXPECT_EQ(f.flaky->log[1], "read@9"); // 3 reads of 3 bytes went through before the cut
}

TEST(PartedWriter, AnEmptyObjectIsOneEmptyLastPart) {
  FlakyStorage s;
  auto w = s.open_write("e", {});
  w->commit();
  EXPECT_EQ(s.objects["e"], "");
  EXPECT_EQ(s.log, (std::vector<std::string>{"part 1", "complete"}));
}

TEST(PartedWriter, AnExactMultipleOfThePartSizeHasNoEmptyTail) {
  FlakyStorage s;
  auto w = s.open_write("e", {});
  w->write(pipeline::as_bytes(std::string("abcdefgh")));
  w->commit();
  EXPECT_EQ(s.objects["e"], "abcdefgh");
  EXPECT_EQ(s.log, (std::vector<std::string>{"part 1", "part 2", "complete"}));
}

TEST(PartedWriter, ADestroyedWriterAborts) {
  FlakyStorage s;
  {
    auto w = s.open_write("e", {});
    w->write(pipeline::as_bytes(std::string("abcdefghij")));
  }
  EXPECT_FALSE(s.objects.contains("e"));
  EXPECT_EQ(s.log.back(), "abort");
}

namespace {

// Parts sent from several threads: records how many were in flight at once and the
// buffers alive, and fails part `fail_at` for good when set.
class ConcurrentParts final : public PartWriter {
public:
  int in_flight_max = 0;
  int fail_at = 0;
  std::map<int, std::string> parts;
  std::vector<int> last_flags;
  bool completed = false;
  bool aborted = false;
  int completed_with = 0; // parts present when complete() ran

  explicit ConcurrentParts(int n) : m_n(n) {}
  std::size_t part_size(int) const override { return 3; }
  int concurrency() const override { return m_n; }
  void put_part(int n, pipeline::Bytes d, bool last) override {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      in_flight_max = std::max(in_flight_max, ++m_in_flight);
      if (last) {
        last_flags.push_back(n);
      }
    }
    // Later parts finish first: the order of completion is not the order of numbers.
    std::this_thread::sleep_for(std::chrono::milliseconds(n % 3 == 0 ? 6 : 1));
    std::lock_guard<std::mutex> lock(m_mutex);
    --m_in_flight;
    if (n == fail_at) {
      throw Error(ErrorKind::permanent, "part " + std::to_string(n) + " refused");
    }
    parts[n] = std::string(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void complete() override {
    completed = true;
    completed_with = static_cast<int>(parts.size());
  }
  void abort() noexcept override { aborted = true; }

private:
  int m_n;
  std::mutex m_mutex;
  int m_in_flight = 0;
};

std::string joined(const std::map<int, std::string>& parts) {
  std::string all;
  int expect = 1;
  for (const auto& [n, p] : parts) {
    EXPECT_EQ(n, expect++) << "a part is missing";
    all += p;
  }
  return all;
}

} // namespace

TEST(PartedWriter, PartsInFlightAtOnceMakeOneWholeObject) {
  auto owned = std::make_unique<ConcurrentParts>(3);
  auto& parts = *owned;
  PartedWriter w(std::move(owned));
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += static_cast<char>('a' + i % 26);
  }
  for (std::size_t i = 0; i < text.size(); i += 7) { // writes that straddle parts
    w.write(pipeline::as_bytes(std::string_view(text).substr(i, 7)));
  }
  w.commit();
  EXPECT_TRUE(parts.completed);
  EXPECT_FALSE(parts.aborted);
  EXPECT_EQ(parts.completed_with, 67); // every part was confirmed before complete()
  EXPECT_EQ(joined(parts.parts), text);
  EXPECT_EQ(parts.last_flags, std::vector<int>{67}); // only the last part says so
  EXPECT_GE(parts.in_flight_max, 2);
  EXPECT_LE(parts.in_flight_max, 3); // never more than the backend allows
}

TEST(PartedWriter, OneBackendInOrderIsSentInOrder) {
  // concurrency() 1 (Cloudinary's chunks): one part at a time, in number order.
  FlakyStorage s;
  auto w = s.open_write("e", {});
  w->write(pipeline::as_bytes(std::string(41, 'x')));
  w->commit();
  std::vector<std::string> want;
  for (int n = 1; n <= 11; ++n) {
    want.push_back("part " + std::to_string(n));
  }
  want.emplace_back("complete");
  EXPECT_EQ(s.log, want);
}

TEST(PartedWriter, AFailedPartInFlightAbortsAndNothingCompletes) {
  for (int fail_at : {1, 2, 5, 30}) {
    auto owned = std::make_unique<ConcurrentParts>(3);
    auto& parts = *owned;
    parts.fail_at = fail_at;
    PartedWriter w(std::move(owned));
    bool threw = false;
    try {
      for (int i = 0; i < 40; ++i) {
        w.write(pipeline::as_bytes(std::string("abc")));
      }
      w.commit();
    } catch (const Error& e) {
      threw = true;
      EXPECT_NE(std::string(e.what()).find("refused"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(threw) << "part " << fail_at;
    EXPECT_FALSE(parts.completed) << "part " << fail_at;
    EXPECT_TRUE(parts.aborted) << "part " << fail_at;
    // The writer stops soon after: only parts taken while the failed one was in flight
    // (it sleeps at most 6 ms, the others 1 ms, three at a time) go out.
    EXPECT_LE(static_cast<int>(parts.parts.size()), fail_at + 8) << "part " << fail_at;
  }
}

// The decorator stack (storage/decorators.hpp): a fault at the inner hook is retried by
// Retrying and unseen at the outer hook; Limited bounds the calls in flight.
TEST(Decorators, AFaultAtTheInnerHookIsRetriedAndTheOuterHookSeesOneCommit) {
  auto* flaky = new FlakyStorage;
  std::mutex m;
  std::vector<std::string> inner_ops, outer_ops;
  bool failed_once = false;
  DecoratorHooks hooks;
  hooks.inner = [&](std::unique_ptr<Storage> s) {
    return make_around(std::move(s), [&](std::string_view op, const std::string&, const std::function<void()>& call) {
      {
        std::lock_guard<std::mutex> lock(m);
        inner_ops.emplace_back(op);
        if (op == "part 2" && !failed_once) {
          failed_once = true;
          throw TransientError("part 2 failed", "connection reset");
        }
      }
      call();
    });
  };
  hooks.outer = [&](std::unique_ptr<Storage> s) {
    return make_around(std::move(s), [&](std::string_view op, const std::string&, const std::function<void()>& call) {
      if (op != "write") {
        outer_ops.emplace_back(op);
      }
      call();
    });
  };
  auto s = decorate(std::unique_ptr<Storage>(flaky), fast(), hooks);
  auto w = s->open_write("k", {});
  w->write(pipeline::as_bytes(std::string("abcdefghij")));
  w->commit();
  EXPECT_EQ(flaky->objects["k"], "abcdefghij");
  EXPECT_EQ(outer_ops, (std::vector<std::string>{"open_write", "commit"}));
  EXPECT_EQ(inner_ops, (std::vector<std::string>{"part 1", "part 2", "part 2", "part 3", "complete"}));
  // Reads, stats and listings pass through both positions too.
  inner_ops.clear();
  outer_ops.clear();
  EXPECT_EQ(s->read_all("k"), "abcdefghij");
  EXPECT_TRUE(s->stat("k"));
  EXPECT_EQ(s->list_all("").size(), 1u);
  EXPECT_EQ(outer_ops.front(), "open");
  EXPECT_NE(std::find(inner_ops.begin(), inner_ops.end(), "stat"), inner_ops.end());
  EXPECT_NE(std::find(inner_ops.begin(), inner_ops.end(), "list"), inner_ops.end());
}

namespace {
class PartsOnly final : public Storage {
public:
  ConcurrentParts* last = nullptr;
  std::string display_url() const override { return "parts://"; }
  Capabilities capabilities() const override { return {.max_connections = 2}; }
  std::unique_ptr<ObjectWriter> open_write(const std::string&, const PutOptions&) override { return nullptr; }
  std::unique_ptr<PartWriter> open_parts(const std::string&, const PutOptions&) override {
    auto p = std::make_unique<ConcurrentParts>(4); // wants 4, the service tolerates 2
    last = p.get();
    return p;
  }
  std::unique_ptr<ObjectReader> open_read(const std::string& k) override {
    throw Error(ErrorKind::not_found, k);
  }
  void list(const std::string&, const std::function<void(const ObjectInfo&)>&) override {}
  std::optional<ObjectInfo> stat(const std::string&) override { return std::nullopt; }
  void remove(const std::string&) override {}
};
} // namespace

TEST(Decorators, LimitedKeepsPartsInFlightWithinMaxConnections) {
  auto* backend = new PartsOnly;
  auto s = decorate(std::unique_ptr<Storage>(backend), fast());
  auto w = s->open_write("k", {});
  for (int i = 0; i < 30; ++i) {
    w->write(pipeline::as_bytes(std::string("abc")));
  }
  w->commit();
  ASSERT_NE(backend->last, nullptr);
  EXPECT_TRUE(backend->last->completed);
  EXPECT_EQ(backend->last->parts.size(), 30u);
  EXPECT_EQ(backend->last->in_flight_max, 2);
}
