// storage: where backup objects live. One small required interface, declared
// capabilities, optional operations that say "unsupported" by default (STYLE.md L2).
//
// Keys are relative, '/'-separated ("droplink/droplink-20261124-030000.db.zst"),
// never empty, never starting with '/', never containing "." or ".." segments.
// A backend MUST make a written object appear whole or not at all: nothing is
// visible under its key until ObjectWriter::commit() returns, and an aborted or
// destroyed-without-commit writer leaves nothing visible (STYLE.md L5).
// Backends never include core/ and know nothing of backups or manifests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "util/time.hpp"

namespace lifeboat::storage {

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  TimePoint mtime{};
  std::string etag; // as the service lists it (S3: "\"md5\"" for one-request uploads); may be empty
};

struct PutOptions {
  // false: commit fails with ErrorKind::permanent if the key already exists.
  // A backend that cannot check atomically MAY check with stat() before committing.
  bool overwrite = true;
  // Expected size when known; backends MAY use it to pick single PUT vs multipart.
  std::optional<std::uint64_t> size_hint;
  // MIME type; backends without metadata ignore it.
  std::string content_type = "application/octet-stream";
};

struct Capabilities {
  bool atomic_put = true;         // writes appear whole or not at all (all backends MUST)
  bool space_info = false;        // space() answers
  bool signed_url = false;        // signed_url() answers
  int max_connections = 1;        // parallel operations the backend tolerates
  bool list_is_consistent = true; // list() sees every committed object at once
  // Every request is a round trip to a service (S3): the catalog keeps an index object
  // per database so that a listing does not read every manifest (core/catalog).
  bool remote = false;
  // The service caps the size of one object (Cloudinary: the plan's largest raw file):
  // max_object_size() answers, and a larger stream is stored as parts (SplitWriter).
  bool object_size_limit = false;
};

struct SpaceInfo {
  std::uint64_t total = 0;
  std::uint64_t available = 0;
};

// A write in progress. Bytes arrive through Sink::write; nothing is visible until
// commit(). Destroying an uncommitted writer aborts it (derived classes MUST call
// abort() from their destructor when not committed).
class ObjectWriter : public pipeline::Sink {
public:
  // Makes the object visible under its key, durably. Throws on failure, after
  // which nothing is visible.
  virtual void commit() = 0;
  // Discards everything written; never throws.
  virtual void abort() noexcept = 0;
  virtual std::uint64_t bytes_written() const = 0;
};

class ObjectReader : public pipeline::Source {};

// A write sent as numbered parts, each of which may be sent again with the same bytes
// after a failure: the seam through which one retry layer serves every backend whose
// service takes parts (S3 multipart, Cloudinary chunks, restartable SFTP writes). See
// PartedWriter (storage/parted_writer.hpp) and RetryingStorage (storage/retry.hpp).
class PartWriter {
public:
  virtual ~PartWriter() = default;
  // The size of part `number` (from 1) the backend wants; only the last part is shorter.
  virtual std::size_t part_size(int number) const = 0;
  // Sends part `number`; `last` when no part follows (a backend MAY then store a
  // one-part object in a single request). Idempotent for the same number and bytes.
  virtual void put_part(int number, pipeline::Bytes data, bool last) = 0;
  // How many parts may be in flight at once. 1 (the default): one after the other, in
  // order (Cloudinary's chunks must be). More: put_part is called from that many threads
  // with different numbers, in any order, and must be safe so.
  virtual int concurrency() const { return 1; }
  // Makes the object visible under its key. Throws on failure, after which nothing is.
  virtual void complete() = 0;
  // Discards every part sent; never throws.
  virtual void abort() noexcept = 0;
};

class Storage {
public:
  virtual ~Storage() = default;

  // The storage URL with secrets removed, for messages and manifests.
  virtual std::string display_url() const = 0;
  virtual Capabilities capabilities() const = 0;

  virtual std::unique_ptr<ObjectWriter> open_write(const std::string& key,
                                                   const PutOptions& options = {}) = 0;
  // Throws Error{not_found} naming the object when the key does not exist.
  virtual std::unique_ptr<ObjectReader> open_read(const std::string& key) = 0;
  // Calls `each` for every committed object whose key starts with `prefix`, in no
  // particular order (callers sort). Paging is hidden inside the backend.
  virtual void list(const std::string& prefix,
                    const std::function<void(const ObjectInfo&)>& each) = 0;
  virtual std::optional<ObjectInfo> stat(const std::string& key) = 0;
  // Removes the object; removing a missing key succeeds (idempotent).
  virtual void remove(const std::string& key) = 0;

  // Optional operations: default implementations report "unsupported".
  // The parts seam above; nullptr when the backend writes only as a stream.
  virtual std::unique_ptr<PartWriter> open_parts(const std::string& key, const PutOptions& options) {
    (void)key;
    (void)options;
    return nullptr;
  }
  // A reader that starts at byte `offset` (a read resumed after a dropped connection);
  // nullptr when the backend cannot start anywhere but at the beginning.
  virtual std::unique_ptr<ObjectReader> open_read_at(const std::string& key, std::uint64_t offset) {
    (void)key;
    (void)offset;
    return nullptr;
  }
  virtual std::optional<SpaceInfo> space() { return std::nullopt; }
  // The service's limit on one object when an object of `size` bytes would exceed it;
  // nullopt when `size` bytes fit. A backend asks its service only when it must
  // (Cloudinary: only above the smallest plan's limit). Default: no limit.
  virtual std::optional<std::uint64_t> max_object_size(std::uint64_t size) {
    (void)size;
    return std::nullopt;
  }
  // Renames a committed object to a key that does not exist; false when the backend
  // cannot rename (a caller that needs it checks object_size_limit backends only).
  virtual bool rename(const std::string& from, const std::string& to) {
    (void)from;
    (void)to;
    return false;
  }
  // Removes the remains of writes that never committed and were started before
  // `cutoff` (a process killed mid-write: the file backend's hidden temporary files,
  // an object store's unfinished multipart uploads). Returns what was removed; with
  // dry_run only reports. Default: nothing to do.
  virtual std::vector<ObjectInfo> remove_abandoned_writes(TimePoint cutoff, bool dry_run) {
    (void)cutoff;
    (void)dry_run;
    return {};
  }
  // Throws Error{usage} when capabilities().signed_url is false.
  virtual std::string signed_url(const std::string& key, Seconds expires);

  // Convenience built on the required interface.
  std::string read_all(const std::string& key, std::size_t limit = 64 * 1024 * 1024);
  // The same, but nullopt (read no further) when the object is larger than `limit`.
  std::optional<std::string> read_at_most(const std::string& key, std::size_t limit);
  void write_all(const std::string& key, std::string_view data, const PutOptions& options = {});
  std::vector<ObjectInfo> list_all(const std::string& prefix);
};

// Validates a key (see module comment); returns an error message or nothing.
Result<void> check_key(std::string_view key);

// Opens the storage for a URL: "file:///abs", "/abs", "./rel", "rel" (a directory),
// and later s3://, cloudinary://, sftp://. Throws Error{config} for an unknown scheme
// or a malformed URL, naming the URL (redacted).
std::unique_ptr<Storage> open_storage(std::string_view url);

// Schemes compiled in, for `lifeboat --version`.
std::vector<std::string> storage_schemes();

} // namespace lifeboat::storage
