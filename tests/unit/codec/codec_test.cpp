#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "codec/codec.hpp"
#include "harness/harness.hpp"

using namespace lifeboat;
using namespace lifeboat::codec;

namespace {

class StringSink final : public pipeline::Sink {
public:
  void write(pipeline::Bytes b) override { data.append(reinterpret_cast<const char*>(b.data()), b.size()); }
  std::string data;
};

std::string run(std::unique_ptr<pipeline::Transform> t, const std::string& in) {
  StringSink sink;
  pipeline::Pipeline p(sink);
  p.add_transform(std::move(t));
  p.write(pipeline::as_bytes(in));
  p.finish();
  return sink.data;
}

std::string sha256(const std::string& in) {
  StringSink sink;
  pipeline::Pipeline p(sink);
  auto& sha = p.add<Sha256>();
  p.write(pipeline::as_bytes(in));
  p.finish();
  return sha.hex();
}

std::string sample(size_t n) {
  std::mt19937 rng(42);
  std::string s;
  while (s.size() < n) {
    s += "row " + std::to_string(rng() % 1000) + " text ";
    s.push_back(static_cast<char>(rng()));
  }
  s.resize(n);
  return s;
}

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

} // namespace

// FIPS 180-2 / NIST CAVP known answers.
TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
                   "nopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(sha256(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(CompressSpec, Parses) {
  EXPECT_EQ(parse_compress_spec("zstd")->to_string(), "zstd:3");
  EXPECT_EQ(parse_compress_spec("zstd:19")->to_string(), "zstd:19");
  EXPECT_EQ(parse_compress_spec("gzip")->to_string(), "gzip:6");
  EXPECT_EQ(parse_compress_spec("gzip:9")->to_string(), "gzip:9");
  EXPECT_EQ(parse_compress_spec("none")->to_string(), "none");
  EXPECT_EQ(parse_compress_spec("zstd:30").error(), "invalid compression 'zstd:30': level must be 1-19");
  EXPECT_EQ(parse_compress_spec("gzip:0").error(), "invalid compression 'gzip:0': level must be 1-9");
  EXPECT_EQ(parse_compress_spec("zstd:").error(), "invalid compression 'zstd:': level must be 1-19");
  EXPECT_EQ(parse_compress_spec("none:3").error(), "invalid compression 'none:3': 'none' takes no level");
  EXPECT_EQ(parse_compress_spec("lz4").error(),
            "invalid compression 'lz4': use zstd[:1-19], gzip[:1-9] or none");
  EXPECT_EQ(codec_for_extension("zst")->name, "zstd");
  EXPECT_EQ(codec_for_extension("gz")->name, "gzip");
}

TEST(Interop, OurOutputDecodesWithTheStandardTools) {
  test::TempDir dir;
  std::string data = sample(3 * 1024 * 1024 + 7);
  test::write_file(dir / "in", data);
  test::write_file(dir / "in.zst", run(find_codec("zstd")->make_compressor(3, 2), data));
  test::write_file(dir / "in.gz", run(find_codec("gzip")->make_compressor(6, 0), data));
  ASSERT_EQ(sh("zstd -q -d -f " + (dir / "in.zst").string() + " -o " + (dir / "out1").string()), 0);
  ASSERT_EQ(sh("gzip -d -c " + (dir / "in.gz").string() + " > " + (dir / "out2").string()), 0);
  EXPECT_EQ(test::read_file(dir / "out1"), data);
  EXPECT_EQ(test::read_file(dir / "out2"), data);
}

TEST(Interop, StandardToolsOutputDecodesWithUs) {
  test::TempDir dir;
  std::string data = sample(2 * 1024 * 1024 + 3);
  test::write_file(dir / "in", data);
  ASSERT_EQ(sh("zstd -q -3 -f " + (dir / "in").string() + " -o " + (dir / "in.zst").string()), 0);
  ASSERT_EQ(sh("gzip -c " + (dir / "in").string() + " > " + (dir / "in.gz").string()), 0);
  // Two gzip members concatenated, as `cat a.gz b.gz` makes.
  ASSERT_EQ(sh("cat " + (dir / "in.gz").string() + " " + (dir / "in.gz").string() + " > " +
               (dir / "twice.gz").string()),
            0);
  EXPECT_EQ(run(find_codec("zstd")->make_decompressor(), test::read_file(dir / "in.zst")), data);
  EXPECT_EQ(run(find_codec("gzip")->make_decompressor(), test::read_file(dir / "in.gz")), data);
  EXPECT_EQ(run(find_codec("gzip")->make_decompressor(), test::read_file(dir / "twice.gz")),
            data + data);
}

TEST(Decoders, DamagedInputIsAnIntegrityError) {
  std::string data = sample(500000);
  for (const char* name : {"zstd", "gzip"}) {
    const Codec* c = find_codec(name);
    std::string packed = run(c->make_compressor(c->default_level, 0), data);
    std::string truncated = packed.substr(0, packed.size() / 2);
    try {
      run(c->make_decompressor(), truncated);
      ADD_FAILURE() << name << ": truncated input accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::integrity);
      EXPECT_EQ(std::string(e.what()), std::string(name) + ": compressed stream is truncated");
    }
    std::string garbage = packed;
    for (size_t i = 20; i < 60; ++i) {
      garbage[i] = static_cast<char>(garbage[i] ^ 0x5a);
    }
    try {
      run(c->make_decompressor(), garbage);
      ADD_FAILURE() << name << ": damaged input accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::integrity) << e.what();
    }
    EXPECT_THROW(run(c->make_decompressor(), ""), Error) << name;
  }
}

TEST(Sha256Verifier, RejectsAMismatchAtFinish) {
  StringSink sink;
  pipeline::Pipeline p(sink);
  p.add<Sha256Verifier>(std::string(64, '0'), "store/app.db.zst");
  p.write(pipeline::as_bytes("abc"));
  try {
    p.finish();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::integrity);
    EXPECT_EQ(std::string(e.what()),
              "checksum mismatch for 'store/app.db.zst': expected " + std::string(64, '0') +
                  ", got ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}
