// zstd transforms. Compression may run in zstd's own worker threads
// (ZSTD_c_nbWorkers), which keeps it off the thread that reads the database.
#include <fmt/format.h>
#include <zstd.h>

#include "codec/transforms.hpp"
#include "util/error.hpp"

namespace lifeboat::codec {
namespace {

void check(size_t rc, const char* what) {
  if (ZSTD_isError(rc)) {
    throw Error(ErrorKind::integrity, fmt::format("zstd: {}: {}", what, ZSTD_getErrorName(rc)));
  }
}

class ZstdCompressor final : public pipeline::Transform {
public:
  ZstdCompressor(int level, int workers) : m_ctx(ZSTD_createCCtx()) {
    LIFEBOAT_ASSERT(m_ctx != nullptr);
    check(ZSTD_CCtx_setParameter(m_ctx, ZSTD_c_compressionLevel, level), "level");
    check(ZSTD_CCtx_setParameter(m_ctx, ZSTD_c_checksumFlag, 1), "checksum");
    if (workers > 0) {
      // Without multithread support in libzstd this fails; compression then stays
      // in the calling thread, which is still not the reading thread.
      if (!ZSTD_isError(ZSTD_CCtx_setParameter(m_ctx, ZSTD_c_nbWorkers, workers))) {
        // Bounded memory: each worker holds about 2 jobs of this size plus the window.
        ZSTD_CCtx_setParameter(m_ctx, ZSTD_c_jobSize, 2 * 1024 * 1024);
      }
    }
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(m_ctx); }
  std::string_view name() const override { return "zstd"; }

  std::size_t process(pipeline::Bytes in, pipeline::Buffer& out) override {
    auto space = out.free_space();
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    ZSTD_outBuffer output{space.data(), space.size(), 0};
    check(ZSTD_compressStream2(m_ctx, &output, &input, ZSTD_e_continue), "compress");
    out.commit(output.pos);
    return input.pos;
  }

  bool finish(pipeline::Buffer& out) override {
    auto space = out.free_space();
    ZSTD_inBuffer input{nullptr, 0, 0};
    ZSTD_outBuffer output{space.data(), space.size(), 0};
    size_t remaining = ZSTD_compressStream2(m_ctx, &output, &input, ZSTD_e_end);
    check(remaining, "finish");
    out.commit(output.pos);
    return remaining == 0;
  }

private:
  ZSTD_CCtx* m_ctx;
};

class ZstdDecompressor final : public pipeline::Transform {
public:
  ZstdDecompressor() : m_ctx(ZSTD_createDCtx()) {
    LIFEBOAT_ASSERT(m_ctx != nullptr);
    // Refuse frames that would need more than 128 MiB of window (memory bound).
    check(ZSTD_DCtx_setParameter(m_ctx, ZSTD_d_windowLogMax, 27), "window");
  }
  ~ZstdDecompressor() override { ZSTD_freeDCtx(m_ctx); }
  std::string_view name() const override { return "zstd-decode"; }

  std::size_t process(pipeline::Bytes in, pipeline::Buffer& out) override {
    auto space = out.free_space();
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    ZSTD_outBuffer output{space.data(), space.size(), 0};
    size_t rc = ZSTD_decompressStream(m_ctx, &output, &input);
    if (ZSTD_isError(rc)) {
      throw Error(ErrorKind::integrity,
                  fmt::format("zstd: compressed data is corrupt: {}", ZSTD_getErrorName(rc)));
    }
    m_frame_done = rc == 0;
    m_seen_input = m_seen_input || input.pos > 0;
    out.commit(output.pos);
    return input.pos;
  }

  bool finish(pipeline::Buffer& out) override {
    // rc == 0 from the last call: the frame ended and everything was flushed.
    if (m_frame_done) {
      return true;
    }
    if (!m_seen_input) {
      throw Error(ErrorKind::integrity, "zstd: compressed stream is empty");
    }
    // Flush what the decoder still holds for the bytes it has already consumed.
    auto space = out.free_space();
    ZSTD_inBuffer input{nullptr, 0, 0};
    ZSTD_outBuffer output{space.data(), space.size(), 0};
    size_t rc = ZSTD_decompressStream(m_ctx, &output, &input);
    if (ZSTD_isError(rc)) {
      throw Error(ErrorKind::integrity,
                  fmt::format("zstd: compressed data is corrupt: {}", ZSTD_getErrorName(rc)));
    }
    out.commit(output.pos);
    m_frame_done = rc == 0;
    if (m_frame_done) {
      return true;
    }
    if (output.pos == space.size()) {
      return false; // more may be waiting
    }
    throw Error(ErrorKind::integrity, "zstd: compressed stream is truncated");
  }

private:
  ZSTD_DCtx* m_ctx;
  bool m_frame_done = false;
  bool m_seen_input = false;
};

} // namespace

std::unique_ptr<pipeline::Transform> make_zstd_compressor(int level, int workers) {
  return std::make_unique<ZstdCompressor>(level, workers);
}
std::unique_ptr<pipeline::Transform> make_zstd_decompressor() {
  return std::make_unique<ZstdDecompressor>();
}

} // namespace lifeboat::codec
