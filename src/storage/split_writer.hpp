// storage/split_writer: an object larger than the service takes in one piece (Cloudinary's
// largest raw file per plan), stored as numbered parts KEY.part0001, KEY.part0002, ...,
// each written, committed and checked (size, SHA-256) on its own; `cat KEY.part* > KEY`
// puts it back together. The stream goes to KEY as usual until it would pass the
// service's limit (max_object_size, asked as the object grows); only then is KEY renamed
// KEY.part0001 and the rest written as further parts, each at most the limit. An object
// that fits stays one object under KEY, and parts() is empty. Any failure removes every
// part written (STYLE.md L5).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/storage.hpp"

namespace lifeboat::storage {

struct StoredPart {
  std::string key;
  std::uint64_t size = 0;
  std::string sha256; // lowercase hex
};

// "KEY.part0001" for number 1.
std::string part_key(const std::string& key, int number);

class SplitWriter final : public ObjectWriter {
public:
  SplitWriter(Storage& storage, std::string key, PutOptions options);
  ~SplitWriter() override;

  void write(pipeline::Bytes bytes) override;
  void commit() override;
  void abort() noexcept override;
  std::uint64_t bytes_written() const override { return m_written; }
  // After commit: the parts in order, or empty when the object stayed whole under KEY.
  const std::vector<StoredPart>& parts() const { return m_parts; }

private:
  void open_part();
  void close_part(); // commits the part being written and records it

  Storage& m_storage;
  std::string m_key;
  PutOptions m_options;
  std::unique_ptr<ObjectWriter> m_current;
  void* m_hash = nullptr; // EVP_MD_CTX* of the part being written
  std::uint64_t m_part_bytes = 0;
  std::uint64_t m_written = 0;
  std::uint64_t m_fits = 0; // objects of this many bytes fit (asked already)
  std::optional<std::uint64_t> m_limit;
  std::vector<StoredPart> m_parts; // committed, in order (the first still under KEY)
  bool m_done = false;
};

// Reads parts one after the other as one stream, checking each part's size.
std::unique_ptr<ObjectReader> open_parts_reader(Storage& storage, std::vector<StoredPart> parts);

} // namespace lifeboat::storage
