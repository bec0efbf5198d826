#include "storage/split_writer.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::storage {

std::string part_key(const std::string& key, int number) {
  return fmt::format("{}.part{:04d}", key, number);
}

namespace {

EVP_MD_CTX* ctx_of(void* p) { return static_cast<EVP_MD_CTX*>(p); }

} // namespace

SplitWriter::SplitWriter(Storage& storage, std::string key, PutOptions options)
    : m_storage(storage), m_key(std::move(key)), m_options(std::move(options)) {
  open_part();
}

SplitWriter::~SplitWriter() {
  if (!m_done) {
    abort();
  }
  EVP_MD_CTX_free(ctx_of(m_hash));
}

void SplitWriter::open_part() {
  // The first part is written as the object itself, renamed when a second one follows.
  std::string key = m_parts.empty() ? m_key : part_key(m_key, static_cast<int>(m_parts.size()) + 1);
  m_current = m_storage.open_write(key, m_options);
  if (m_hash == nullptr) {
    m_hash = EVP_MD_CTX_new();
  }
  if (m_hash == nullptr || EVP_DigestInit_ex(ctx_of(m_hash), EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorKind::permanent, "unable to start SHA-256 (OpenSSL)");
  }
  m_part_bytes = 0;
}

void SplitWriter::close_part() {
  m_current->commit();
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_of(m_hash), md.data(), &n);
  std::string key = m_parts.empty() ? m_key : part_key(m_key, static_cast<int>(m_parts.size()) + 1);
  m_parts.push_back({key, m_part_bytes, to_hex(std::span<const unsigned char>(md.data(), n))});
  m_current.reset();
}

void SplitWriter::write(pipeline::Bytes bytes) {
  while (!bytes.empty()) {
    if (!m_limit && m_part_bytes + bytes.size() > m_fits) {
      m_limit = m_storage.max_object_size(m_part_bytes + bytes.size());
      if (!m_limit) {
        m_fits = m_part_bytes + bytes.size();
      } else if (*m_limit == 0) {
        throw Error(ErrorKind::permanent,
                    fmt::format("'{}' in '{}': the storage takes no object at all", m_key,
                                m_storage.display_url()));
      }
    }
    std::size_t take = bytes.size();
    if (m_limit) {
      if (m_part_bytes == *m_limit) {
        close_part();
        open_part();
      }
      take = static_cast<std::size_t>(std::min<std::uint64_t>(take, *m_limit - m_part_bytes));
    }
    auto piece = bytes.first(take);
    m_current->write(piece);
    EVP_DigestUpdate(ctx_of(m_hash), piece.data(), piece.size());
    m_part_bytes += take;
    m_written += take;
    bytes = bytes.subspan(take);
  }
}

void SplitWriter::commit() {
  close_part();
  if (m_parts.size() > 1) {
    // The first part went up as the object itself: it becomes part 1.
    std::string first = part_key(m_key, 1);
    if (!m_storage.rename(m_key, first)) {
      throw Error(ErrorKind::permanent,
                  fmt::format("unable to rename '{}' to '{}' in '{}'", m_key, first, m_storage.display_url()));
    }
    m_parts.front().key = first;
  } else {
    m_parts.clear(); // one object under KEY, as always
  }
  m_done = true;
}

void SplitWriter::abort() noexcept {
  if (m_done) {
    return;
  }
  m_done = true;
  if (m_current) {
    m_current->abort();
    m_current.reset();
  }
  for (const auto& p : m_parts) {
    try {
      m_storage.remove(p.key);
    } catch (const std::exception& e) {
      log::warning("{}", e.what()); // a leftover without a manifest: prune removes it
    }
  }
  m_parts.clear();
}

namespace {

class PartsReader final : public ObjectReader {
public:
  PartsReader(Storage& s, std::vector<StoredPart> parts) : m_storage(s), m_parts(std::move(parts)) {}
  std::size_t read(std::span<std::byte> buf) override {
    while (m_index < m_parts.size()) {
      if (!m_reader) {
        m_reader = m_storage.open_read(m_parts[m_index].key);
        m_got = 0;
      }
      std::size_t n = m_reader->read(buf);
      if (n > 0) {
        m_got += n;
        if (m_got > m_parts[m_index].size) {
          break; // reported below
        }
        return n;
      }
      if (m_got != m_parts[m_index].size) {
        break;
      }
      m_reader.reset();
      ++m_index;
    }
    if (m_index < m_parts.size()) {
      throw Error(ErrorKind::integrity,
                  fmt::format("part '{}' in '{}' has {} bytes, the manifest says {}", m_parts[m_index].key,
                              m_storage.display_url(), m_got, m_parts[m_index].size));
    }
    return 0;
  }

private:
  Storage& m_storage;
  std::vector<StoredPart> m_parts;
  std::size_t m_index = 0;
  std::unique_ptr<ObjectReader> m_reader;
  std::uint64_t m_got = 0;
};

} // namespace

std::unique_ptr<ObjectReader> open_parts_reader(Storage& storage, std::vector<StoredPart> parts) {
  return std::make_unique<PartsReader>(storage, std::move(parts));
}

} // namespace lifeboat::storage
