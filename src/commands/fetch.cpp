#include "commands/fetch.hpp"

#include <fcntl.h>

#include <fmt/format.h>

#include "codec/codec.hpp"
#include "pipeline/pipeline.hpp"
#include "storage/split_writer.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace lifeboat::commands {

namespace {

class FileSink final : public pipeline::Sink {
public:
  explicit FileSink(const std::filesystem::path& path)
      : m_path(path), m_fd(open_file(path, O_WRONLY | O_CREAT | O_TRUNC, "write", 0600)) {}
  void write(pipeline::Bytes bytes) override { write_all(m_fd.get(), bytes, m_path); }
  void close() {
    fsync_fd(m_fd.get(), m_path);
    m_fd.close();
  }

private:
  std::filesystem::path m_path;
  Fd m_fd;
};

class NullSink final : public pipeline::Sink {
public:
  void write(pipeline::Bytes) override {}
};

std::string object_name(Context& ctx, const core::Manifest& m) {
  return fmt::format("{}/{}", ctx.storage.display_url(), m.data.key);
}

void check_size(Context& ctx, const core::Manifest& m, std::uint64_t size) {
  if (size != m.data.size) {
    throw Error(ErrorKind::integrity,
                fmt::format("object '{}' has {} bytes, its manifest says {}", object_name(ctx, m),
                            size, m.data.size),
                "The stored object is damaged or incomplete; restore from another backup.");
  }
}

void check_sidecar(Context& ctx, const core::Manifest& m) {
  std::string line;
  try {
    line = ctx.storage.read_all(m.checksum_key, 4096);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) {
      throw Error(ErrorKind::integrity,
                  fmt::format("checksum file '{}/{}' of backup '{}' is missing",
                              ctx.storage.display_url(), m.checksum_key, m.id));
    }
    throw;
  }
  if (line != core::checksum_line(m.data)) {
    throw Error(ErrorKind::integrity,
                fmt::format("checksum file '{}/{}' does not match the manifest of backup '{}'",
                            ctx.storage.display_url(), m.checksum_key, m.id),
                "One of the two was changed after the backup; do not trust this backup.");
  }
}

} // namespace

// The data object, or its parts one after the other as one stream.
static std::unique_ptr<storage::ObjectReader> open_data(Context& ctx, const core::Manifest& m) {
  if (m.data.parts.empty()) {
    return ctx.storage.open_read(m.data.key);
  }
  std::vector<storage::StoredPart> parts;
  for (const auto& p : m.data.parts) {
    parts.push_back({p.key, p.size, p.sha256});
  }
  return storage::open_parts_reader(ctx.storage, std::move(parts));
}

void verify_checksum(Context& ctx, const core::Manifest& m) {
  check_sidecar(ctx, m);
  auto reader = open_data(ctx, m);
  NullSink null;
  pipeline::Pipeline pipe(null);
  auto& count = pipe.add<codec::ByteCounter>();
  pipe.add<codec::Sha256Verifier>(m.data.sha256, object_name(ctx, m));
  Progress progress(ctx.progress, "verify " + m.id, m.data.size);
  pipe.add<codec::ProgressObserver>([&](std::uint64_t n) { progress.update(n); });
  pipeline::pump(*reader, pipe);
  check_size(ctx, m, count.count());
  pipe.finish();
}

void stream_payload(Context& ctx, const core::Manifest& m, pipeline::Sink& sink) {
  check_sidecar(ctx, m);
  const codec::Codec* c = codec::find_codec(m.data.codec);
  if (c == nullptr) {
    throw Error(ErrorKind::integrity,
                fmt::format("backup '{}' uses unknown compression '{}'", m.id, m.data.codec));
  }
  auto reader = open_data(ctx, m);
  pipeline::Pipeline pipe(sink);
  auto& count = pipe.add<codec::ByteCounter>();
  // The verifier sees the stored bytes first; its verdict comes at finish(), before
  // the caller uses anything written to the sink.
  pipe.add<codec::Sha256Verifier>(m.data.sha256, object_name(ctx, m));
  Progress progress(ctx.progress, "fetch " + m.id, m.data.size);
  pipe.add<codec::ProgressObserver>([&](std::uint64_t n) { progress.update(n); });
  if (m.data.encrypted) {
    pipe.add_transform(make_decryptor(ctx.encryption, m, object_name(ctx, m)));
  }
  pipe.add_transform(c->make_decompressor());
  auto& plain = pipe.add<codec::ByteCounter>();
  try {
    pipeline::pump(*reader, pipe);
    check_size(ctx, m, count.count());
    pipe.finish();
  } catch (const Error& e) {
    // A damaged object usually breaks the decoder before the checksum is known;
    // report the checksum verdict, which names the real problem, when it fails.
    if (e.kind() == ErrorKind::integrity) {
      verify_checksum(ctx, m);
    }
    if (m.data.encrypted) {
      rephrase_decrypt_error(ctx.encryption, m); // a wrong key, in the user's terms
    }
    throw;
  }
  if (plain.count() != m.uncompressed_size) {
    throw Error(ErrorKind::integrity,
                fmt::format("backup '{}' decompresses to {} bytes, its manifest says {}", m.id,
                            plain.count(), m.uncompressed_size));
  }
}

void fetch_payload(Context& ctx, const core::Manifest& m, const std::filesystem::path& dest) {
  FileSink file(dest);
  stream_payload(ctx, m, file);
  file.close();
}

TempPath::TempPath(const std::filesystem::path& near, std::string_view tag) {
  std::filesystem::path dir = near.parent_path().empty() ? "." : near.parent_path();
  m_path = dir / fmt::format(".{}.lifeboat-{}-{}", near.filename().string(), tag, random_suffix());
}

TempPath::~TempPath() {
  std::error_code ec;
  std::filesystem::remove(m_path, ec);
  // SQLite may leave a journal next to a file it opened.
  std::filesystem::remove(m_path.string() + "-journal", ec);
  std::filesystem::remove(m_path.string() + "-wal", ec);
  std::filesystem::remove(m_path.string() + "-shm", ec);
}

} // namespace lifeboat::commands
