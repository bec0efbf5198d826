#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "codec/codec.hpp"
#include "pipeline/threaded_sink.hpp"

using namespace lifeboat;
using namespace lifeboat::pipeline;

namespace {

class StringSink final : public Sink {
public:
  void write(Bytes b) override { data.append(reinterpret_cast<const char*>(b.data()), b.size()); }
  std::string data;
};

class FailingSink final : public Sink {
public:
  explicit FailingSink(size_t after) : m_after(after) {}
  void write(Bytes b) override {
    m_seen += b.size();
    if (m_seen > m_after) {
      throw Error(ErrorKind::permanent, "unable to write object 'x': No space left on device");
    }
  }

private:
  size_t m_after;
  size_t m_seen = 0;
};

class SlowSink final : public Sink {
public:
  void write(Bytes b) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    bytes += b.size();
  }
  std::atomic<size_t> bytes{0};
};

} // namespace

TEST(Pipeline, ObserversAtBothEnds) {
  StringSink sink;
  Pipeline p(sink, 4096);
  auto& raw = p.add<codec::ByteCounter>();
  p.add_transform(codec::find_codec("zstd")->make_compressor(3, 0));
  auto& sha = p.add<codec::Sha256>();
  auto& stored = p.add<codec::ByteCounter>();
  std::string text(1000000, 'x');
  for (int i = 0; i < 5; ++i) {
    p.write(as_bytes(text));
  }
  p.finish();
  p.finish(); // idempotent
  EXPECT_EQ(raw.count(), 5000000u);
  EXPECT_EQ(stored.count(), sink.data.size());
  EXPECT_LT(stored.count(), 10000u);

  StringSink check;
  Pipeline q(check);
  auto& sha2 = q.add<codec::Sha256>();
  q.write(as_bytes(sink.data));
  q.finish();
  EXPECT_EQ(sha.hex(), sha2.hex());
}

TEST(ThreadedSink, DeliversEverythingInOrder) {
  StringSink sink;
  std::string expected;
  {
    ThreadedSink t(sink, 1000, 3);
    for (int i = 0; i < 5000; ++i) {
      std::string s = std::to_string(i) + ",";
      expected += s;
      t.write(as_bytes(s));
    }
    t.close();
    EXPECT_LE(t.peak_chunks(), 3u);
  }
  EXPECT_EQ(sink.data, expected);
}

TEST(ThreadedSink, BoundsMemoryWhenTheConsumerIsSlow) {
  SlowSink sink;
  ThreadedSink t(sink, 4096, 2);
  std::string block(4096, 'a');
  for (int i = 0; i < 50; ++i) {
    t.write(as_bytes(block));
  }
  t.close();
  EXPECT_EQ(sink.bytes.load(), 50u * 4096);
  EXPECT_LE(t.peak_chunks(), 2u);
}

TEST(ThreadedSink, ConsumerFailureStopsTheProducer) {
  FailingSink sink(10000);
  ThreadedSink t(sink, 1024, 2);
  std::string block(1024, 'a');
  try {
    for (int i = 0; i < 100000; ++i) {
      t.write(as_bytes(block));
    }
    t.close();
    FAIL() << "the producer never saw the consumer's error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::permanent);
    EXPECT_EQ(std::string(e.what()), "unable to write object 'x': No space left on device");
  }
}

TEST(ThreadedSink, DestructorWithoutCloseDoesNotHang) {
  SlowSink sink;
  {
    ThreadedSink t(sink, 1024, 2);
    std::string block(1024, 'a');
    for (int i = 0; i < 10; ++i) {
      t.write(as_bytes(block));
    }
  }
  SUCCEED();
}
