// codec: compression transforms, hash and count observers, and the codec table
// that maps "--compress zstd:5" to a transform, a file suffix and a decoder.
// Every stage here is a small final class honouring pipeline.hpp's contract.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "util/error.hpp"

namespace lifeboat::codec {

struct Codec {
  std::string_view name;      // "zstd", "gzip", "none"
  std::string_view extension; // "zst", "gz", "" (no suffix)
  int min_level;
  int max_level;
  int default_level;
  // Compression threads besides the caller's: 0 = in the calling thread.
  std::unique_ptr<pipeline::Transform> (*make_compressor)(int level, int workers);
  std::unique_ptr<pipeline::Transform> (*make_decompressor)();
};

const std::vector<Codec>& codecs();
const Codec* find_codec(std::string_view name);
const Codec* codec_for_extension(std::string_view extension);

struct CompressSpec {
  const Codec* codec = nullptr;
  int level = 0;
  std::string to_string() const; // "zstd:3", "none"
};

// Parses "zstd", "zstd:5", "gzip:9", "none". Errors name the spec and the valid range.
Result<CompressSpec> parse_compress_spec(std::string_view spec);

// SHA-256 through OpenSSL EVP.
class Sha256 final : public pipeline::Observer {
public:
  Sha256();
  ~Sha256() override;
  void observe(pipeline::Bytes bytes) override;
  void finish() override;
  const std::string& hex() const; // valid after finish()

private:
  void* m_ctx;
  std::string m_hex;
};

class ByteCounter final : public pipeline::Observer {
public:
  void observe(pipeline::Bytes bytes) override { m_count += bytes.size(); }
  std::uint64_t count() const { return m_count; }

private:
  std::uint64_t m_count = 0;
};

// Progress callback observer: calls `on_bytes(total)` at most every `every` bytes.
class ProgressObserver final : public pipeline::Observer {
public:
  explicit ProgressObserver(std::function<void(std::uint64_t)> on_bytes,
                            std::uint64_t every = 4 * 1024 * 1024);
  void observe(pipeline::Bytes bytes) override;
  void finish() override;

private:
  std::function<void(std::uint64_t)> m_on_bytes;
  std::uint64_t m_every;
  std::uint64_t m_total = 0;
  std::uint64_t m_next;
};

// Compares the stream's SHA-256 with an expected hex digest at finish(), throwing
// Error{integrity} naming `object` on mismatch. Put it first on restore/verify so
// nothing downstream is trusted before the checksum has passed.
class Sha256Verifier final : public pipeline::Observer {
public:
  Sha256Verifier(std::string expected_hex, std::string object);
  void observe(pipeline::Bytes bytes) override;
  void finish() override;

private:
  Sha256 m_sha;
  std::string m_expected;
  std::string m_object;
};

} // namespace lifeboat::codec
