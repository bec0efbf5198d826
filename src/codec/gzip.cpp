// gzip transforms (zlib): real gzip members that `gunzip` reads, for the seed
// document's .sql.gz. Decoding accepts several concatenated members.
#include <fmt/format.h>
#include <zlib.h>

#include "codec/transforms.hpp"
#include "util/error.hpp"

namespace lifeboat::codec {
namespace {

Bytef* in_ptr(pipeline::Bytes in) {
  return reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
}

uInt clamp(std::size_t n) { return static_cast<uInt>(std::min<std::size_t>(n, 1u << 30)); }

class GzipCompressor final : public pipeline::Transform {
public:
  explicit GzipCompressor(int level) {
    // windowBits 15 + 16: gzip wrapper instead of zlib's.
    if (deflateInit2(&m_z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw Error(ErrorKind::permanent, "gzip: unable to initialise the compressor");
    }
  }
  ~GzipCompressor() override { deflateEnd(&m_z); }
  std::string_view name() const override { return "gzip"; }

  std::size_t process(pipeline::Bytes in, pipeline::Buffer& out) override {
    auto space = out.free_space();
    m_z.next_in = in_ptr(in);
    m_z.avail_in = clamp(in.size());
    m_z.next_out = reinterpret_cast<Bytef*>(space.data());
    m_z.avail_out = clamp(space.size());
    uInt before_in = m_z.avail_in;
    uInt before_out = m_z.avail_out;
    int rc = deflate(&m_z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw Error(ErrorKind::permanent, fmt::format("gzip: compression failed ({})", rc));
    }
    out.commit(before_out - m_z.avail_out);
    return before_in - m_z.avail_in;
  }

  bool finish(pipeline::Buffer& out) override {
    auto space = out.free_space();
    m_z.next_in = nullptr;
    m_z.avail_in = 0;
    m_z.next_out = reinterpret_cast<Bytef*>(space.data());
    m_z.avail_out = clamp(space.size());
    uInt before_out = m_z.avail_out;
    int rc = deflate(&m_z, Z_FINISH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      throw Error(ErrorKind::permanent, fmt::format("gzip: compression failed ({})", rc));
    }
    out.commit(before_out - m_z.avail_out);
    return rc == Z_STREAM_END;
  }

private:
  z_stream m_z{};
};

class GzipDecompressor final : public pipeline::Transform {
public:
  GzipDecompressor() {
    // 15 + 32: detect gzip or zlib headers automatically.
    if (inflateInit2(&m_z, 15 + 32) != Z_OK) {
      throw Error(ErrorKind::permanent, "gzip: unable to initialise the decompressor");
    }
  }
  ~GzipDecompressor() override { inflateEnd(&m_z); }
  std::string_view name() const override { return "gzip-decode"; }

  std::size_t process(pipeline::Bytes in, pipeline::Buffer& out) override {
    auto space = out.free_space();
    std::size_t used = 0;
    std::size_t produced = 0;
    while (used < in.size() && produced < space.size()) {
      if (m_member_done) {
        // Another member follows (gzip allows concatenation).
        inflateReset(&m_z);
        m_member_done = false;
      }
      m_z.next_in = in_ptr(in.subspan(used));
      m_z.avail_in = clamp(in.size() - used);
      m_z.next_out = reinterpret_cast<Bytef*>(space.data() + produced);
      m_z.avail_out = clamp(space.size() - produced);
      uInt before_in = m_z.avail_in;
      uInt before_out = m_z.avail_out;
      int rc = inflate(&m_z, Z_NO_FLUSH);
      used += before_in - m_z.avail_in;
      produced += before_out - m_z.avail_out;
      m_seen_input = true;
      if (rc == Z_STREAM_END) {
        m_member_done = true;
        continue;
      }
      if (rc == Z_BUF_ERROR) {
        break;
      }
      if (rc != Z_OK) {
        throw Error(ErrorKind::integrity,
                    fmt::format("gzip: compressed data is corrupt: {}",
                                m_z.msg != nullptr ? m_z.msg : "inflate failed"));
      }
    }
    out.commit(produced);
    return used;
  }

  bool finish(pipeline::Buffer& out) override {
    if (!m_member_done || !m_seen_input) {
      // inflate holds no output beyond what process() returned once input ran out,
      // except when the output buffer was full: drain that first.
      auto space = out.free_space();
      m_z.next_in = nullptr;
      m_z.avail_in = 0;
      m_z.next_out = reinterpret_cast<Bytef*>(space.data());
      m_z.avail_out = clamp(space.size());
      uInt before_out = m_z.avail_out;
      int rc = m_seen_input ? inflate(&m_z, Z_NO_FLUSH) : Z_BUF_ERROR;
      out.commit(before_out - m_z.avail_out);
      if (rc == Z_STREAM_END) {
        m_member_done = true;
        return true;
      }
      if (rc == Z_OK && m_z.avail_out == 0) {
        return false;
      }
      throw Error(ErrorKind::integrity, "gzip: compressed stream is truncated");
    }
    return true;
  }

private:
  z_stream m_z{};
  bool m_member_done = false;
  bool m_seen_input = false;
};

class Identity final : public pipeline::Transform {
public:
  std::string_view name() const override { return "none"; }
  std::size_t process(pipeline::Bytes in, pipeline::Buffer& out) override {
    std::size_t n = std::min(in.size(), out.space());
    out.append(in.first(n));
    return n;
  }
  bool finish(pipeline::Buffer&) override { return true; }
};

} // namespace

std::unique_ptr<pipeline::Transform> make_gzip_compressor(int level, int) {
  return std::make_unique<GzipCompressor>(level);
}
std::unique_ptr<pipeline::Transform> make_gzip_decompressor() {
  return std::make_unique<GzipDecompressor>();
}
std::unique_ptr<pipeline::Transform> make_identity(int, int) { return std::make_unique<Identity>(); }
std::unique_ptr<pipeline::Transform> make_identity_decoder() { return std::make_unique<Identity>(); }

} // namespace lifeboat::codec
