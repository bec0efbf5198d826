// Helpers shared by the crypto tests: driving a transform by hand in chosen
// chunk sizes (checking the Transform contract on every call), SHA-256, sample
// data and the age-keygen identity the CCTV testkit uses.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "codec/codec.hpp"
#include "crypto/age.hpp"

namespace lifeboat::test {

// The identity of most CCTV age vectors (public test data).
inline constexpr std::string_view k_testkit_identity =
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";

struct Outcome {
  std::string out;                       // everything released, also before an error
  std::optional<crypto::AgeError> error; // what was thrown, if anything
};

using Chunker = std::function<std::size_t()>;

inline Chunker fixed_chunks(std::size_t n) {
  return [n] { return n; };
}

inline Chunker random_chunks(unsigned seed, std::size_t max = 100000) {
  auto rng = std::make_shared<std::mt19937>(seed);
  return [rng, max] { return std::size_t{1} + (*rng)() % max; };
}

// Feeds `in` to `t` in pieces from `chunker`, with an output buffer of
// `out_size`, then finishes. Checks the contract: progress on every call with
// room, never more output than room, and no output in a call that throws.
inline Outcome drive(pipeline::Transform& t, std::string_view in, const Chunker& chunker,
                     std::size_t out_size = 64 * 1024) {
  Outcome run;
  pipeline::Buffer out(out_size);
  auto flush = [&] {
    run.out.append(reinterpret_cast<const char*>(out.data().data()), out.size());
    out.clear();
  };
  try {
    std::size_t pos = 0;
    while (pos < in.size()) {
      std::size_t n = std::min(chunker(), in.size() - pos);
      pipeline::Bytes chunk = pipeline::as_bytes(in.substr(pos, n));
      while (!chunk.empty()) {
        std::size_t used = t.process(chunk, out);
        if (used == 0 && out.empty()) {
          ADD_FAILURE() << t.name() << ": process() made no progress";
          return run;
        }
        chunk = chunk.subspan(used);
        flush();
      }
      pos += n;
    }
    for (int guard = 0;; ++guard) {
      bool done = t.finish(out);
      flush();
      if (done) {
        break;
      }
      if (guard > 100000000) {
        ADD_FAILURE() << t.name() << ": finish() never reported done";
        return run;
      }
    }
  } catch (const crypto::AgeError& e) {
    EXPECT_TRUE(out.empty()) << "a call that throws must not produce output";
    run.error = e;
  }
  return run;
}

inline std::string sha256_hex(std::string_view data) {
  codec::Sha256 sha;
  sha.observe(pipeline::as_bytes(data));
  sha.finish();
  return sha.hex();
}

// Mixed, mostly incompressible sample data of `n` bytes.
inline std::string sample(std::size_t n, unsigned seed = 11) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) {
    c = static_cast<char>(rng());
  }
  return s;
}

inline crypto::X25519Identity testkit_identity() {
  return *crypto::X25519Identity::parse(k_testkit_identity);
}

inline std::string encrypt(const crypto::AgeEncryptOptions& options, std::string_view plain,
                           const Chunker& chunker = fixed_chunks(1 << 20)) {
  crypto::AgeEncryptor enc(options);
  Outcome r = drive(enc, plain, chunker);
  EXPECT_FALSE(r.error.has_value());
  return r.out;
}

inline Outcome decrypt(crypto::AgeDecryptOptions options, std::string_view sealed,
                       const Chunker& chunker = fixed_chunks(1 << 20),
                       std::size_t out_size = 64 * 1024) {
  crypto::AgeDecryptor dec(std::move(options));
  return drive(dec, sealed, chunker, out_size);
}

} // namespace lifeboat::test
