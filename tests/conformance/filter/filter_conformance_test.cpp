// The filter conformance suite (STYLE.md L10): every transform, through its own
// process()/finish() contract, with no engine in between.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "codec/codec.hpp"
#include "crypto/age.hpp"

using namespace lifeboat;
using namespace lifeboat::pipeline;

namespace {

struct Filter {
  std::string name;
  std::function<std::unique_ptr<Transform>()> encoder;
  std::function<std::unique_ptr<Transform>()> decoder;
  bool deterministic; // same compressed bytes for any input chunking
};

void PrintTo(const Filter& f, std::ostream* os) { *os << f.name; }

std::string mixed(size_t n, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::string s;
  s.reserve(n);
  while (s.size() < n) {
    if (rng() % 3 == 0) {
      for (int i = 0; i < 64; ++i) {
        s.push_back(static_cast<char>(rng()));
      }
    } else {
      s += "INSERT INTO t VALUES (" + std::to_string(rng() % 100000) + ", 'text');\n";
    }
  }
  s.resize(n);
  return s;
}

// Drives a transform by hand: input in chunks from `chunker`, output buffer of
// `out_size`, checking the contract on every call. Returns the output.
std::string drive(Transform& t, const std::string& in, const std::function<size_t()>& chunker,
                  size_t out_size = 64 * 1024, size_t* max_per_call = nullptr) {
  std::string result;
  Buffer out(out_size);
  size_t pos = 0;
  while (pos < in.size()) {
    size_t n = std::min(chunker(), in.size() - pos);
    Bytes chunk = as_bytes(std::string_view(in).substr(pos, n));
    while (!chunk.empty()) {
      size_t space = out.space();
      size_t before = out.size();
      size_t used = t.process(chunk, out);
      size_t produced = out.size() - before;
      EXPECT_LE(produced, space);
      if (used == 0 && produced == 0 && out.space() > 0) {
        ADD_FAILURE() << t.name() << ": process() made no progress";
        return result;
      }
      if (max_per_call != nullptr) {
        *max_per_call = std::max(*max_per_call, produced);
      }
      chunk = chunk.subspan(used);
      if (out.space() == 0 || used == 0) {
        result.append(reinterpret_cast<const char*>(out.data().data()), out.size());
        out.clear();
      }
    }
    pos += n;
  }
  for (int guard = 0; guard < 100000000; ++guard) {
    size_t space = out.space();
    size_t before = out.size();
    bool done = t.finish(out);
    EXPECT_LE(out.size() - before, space);
    result.append(reinterpret_cast<const char*>(out.data().data()), out.size());
    out.clear();
    if (done) {
      return result;
    }
  }
  ADD_FAILURE() << "finish() never reported done";
  return result;
}

std::function<size_t()> fixed(size_t n) {
  return [n] { return n; };
}

class FilterConformance : public testing::TestWithParam<Filter> {};

TEST_P(FilterConformance, RoundTripsEverySize) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536}, size_t{65537},
                   size_t{3 * 1024 * 1024 + 11}}) {
    std::string in = mixed(n);
    auto enc = GetParam().encoder();
    std::string packed = drive(*enc, in, fixed(1 << 20));
    auto dec = GetParam().decoder();
    EXPECT_EQ(drive(*dec, packed, fixed(1 << 20)), in) << "size " << n;
  }
}

TEST_P(FilterConformance, SameOutputForAnyChunking) {
  std::string in = mixed(300 * 1024);
  std::mt19937 rng(1);
  auto random_chunks = [&] { return size_t{1} + rng() % 100000; };
  auto e1 = GetParam().encoder();
  auto e2 = GetParam().encoder();
  auto e3 = GetParam().encoder();
  std::string a = drive(*e1, in, fixed(1));
  std::string b = drive(*e2, in, fixed(1 << 20));
  std::string c = drive(*e3, in, random_chunks);
  if (GetParam().deterministic) {
    EXPECT_EQ(a, b);
    EXPECT_EQ(b, c);
  }
  for (const std::string* packed : {&a, &b, &c}) {
    auto d1 = GetParam().decoder();
    auto d2 = GetParam().decoder();
    EXPECT_EQ(drive(*d1, *packed, fixed(1)), in);
    EXPECT_EQ(drive(*d2, *packed, random_chunks), in);
  }
}

TEST_P(FilterConformance, BoundedOutputPerCallOnZeros) {
  // A decompression bomb: 256 MiB of zeros, fed to the decoder in one call.
  const size_t total = 256u * 1024 * 1024;
  std::string zeros(4 * 1024 * 1024, '\0');
  auto enc = GetParam().encoder();
  std::string packed;
  {
    Buffer out(64 * 1024);
    for (size_t fed = 0; fed < total; fed += zeros.size()) {
      Bytes chunk = as_bytes(zeros);
      while (!chunk.empty()) {
        chunk = chunk.subspan(enc->process(chunk, out));
        packed.append(reinterpret_cast<const char*>(out.data().data()), out.size());
        out.clear();
      }
    }
    while (true) {
      bool done = enc->finish(out);
      packed.append(reinterpret_cast<const char*>(out.data().data()), out.size());
      out.clear();
      if (done) {
        break;
      }
    }
  }
  auto dec = GetParam().decoder();
  Buffer out(64 * 1024);
  Bytes in = as_bytes(packed);
  size_t produced = 0;
  size_t max_call = 0;
  while (!in.empty()) {
    size_t used = dec->process(in, out);
    max_call = std::max(max_call, out.size());
    ASSERT_LE(out.size(), out.capacity());
    produced += out.size();
    for (std::byte b : out.data()) {
      ASSERT_EQ(b, std::byte{0});
    }
    out.clear();
    in = in.subspan(used);
  }
  while (!dec->finish(out)) {
    produced += out.size();
    out.clear();
  }
  produced += out.size();
  EXPECT_EQ(produced, total);
  EXPECT_LE(max_call, size_t{64 * 1024});
}

TEST_P(FilterConformance, FinishWorksWithATinyBuffer) {
  std::string in = mixed(200 * 1024);
  auto enc = GetParam().encoder();
  std::string packed = drive(*enc, in, fixed(4096), 1);
  auto dec = GetParam().decoder();
  EXPECT_EQ(drive(*dec, packed, fixed(4096), 1), in);
}

const codec::Codec& c(const char* name) { return *codec::find_codec(name); }

// age needs keys: a fixed test identity (the CCTV testkit's, public test data).
const crypto::X25519Identity& age_identity() {
  static const crypto::X25519Identity id =
      *crypto::X25519Identity::parse("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMG"
                                     "R48UAWX40Q2P2LM0");
  return id;
}

std::unique_ptr<Transform> age_encryptor() {
  return std::make_unique<crypto::AgeEncryptor>(
      crypto::AgeEncryptOptions{.recipients = {age_identity().recipient()}});
}

std::unique_ptr<Transform> age_decryptor() {
  crypto::AgeDecryptOptions options;
  options.identities.push_back(age_identity());
  return std::make_unique<crypto::AgeDecryptor>(std::move(options));
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, FilterConformance,
    testing::Values(
        Filter{"zstd1", [] { return c("zstd").make_compressor(1, 0); },
               [] { return c("zstd").make_decompressor(); }, true},
        Filter{"zstd3", [] { return c("zstd").make_compressor(3, 0); },
               [] { return c("zstd").make_decompressor(); }, true},
        Filter{"zstd3_workers2", [] { return c("zstd").make_compressor(3, 2); },
               [] { return c("zstd").make_decompressor(); }, true},
        Filter{"gzip6", [] { return c("gzip").make_compressor(6, 0); },
               [] { return c("gzip").make_decompressor(); }, true},
        Filter{"none", [] { return c("none").make_compressor(0, 0); },
               [] { return c("none").make_decompressor(); }, true}),
    [](const testing::TestParamInfo<Filter>& p) { return p.param.name; });

// The age encrypt/decrypt pair of crypto/. A fresh file key and nonce every time:
// the same plaintext never gives the same ciphertext, so only decryption is
// compared across chunkings. (Lowercase so that `ctest -R crypto` selects it.)
INSTANTIATE_TEST_SUITE_P(crypto, FilterConformance,
                         testing::Values(Filter{"age_x25519", age_encryptor, age_decryptor,
                                                false}),
                         [](const testing::TestParamInfo<Filter>& p) { return p.param.name; });

} // namespace
