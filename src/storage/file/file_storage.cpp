#include "storage/file/file_storage.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/fs.hpp"
#include "util/log.hpp"

namespace lifeboat::storage::file {
namespace fs = std::filesystem;

namespace {

std::string space_hint(int err) {
  if (err == ENOSPC || err == EDQUOT) {
    return "Free some space on that file system or choose another destination with --to.";
  }
  if (err == EACCES || err == EPERM || err == EROFS) {
    return "Choose a destination lifeboat can write to, or fix its permissions.";
  }
  return {};
}

[[noreturn]] void fail(int err, const std::string& message) {
  throw Error(errno_kind(err), fmt::format("{}: {}", message, errno_text(err)), space_hint(err));
}

TimePoint mtime_of(const struct stat& st) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
}

// Creates `dir` and missing parents, fsyncing each parent whose entry changed.
void make_dirs(const fs::path& dir, const std::string& url) {
  if (dir.empty() || fs::is_directory(dir)) {
    return;
  }
  make_dirs(dir.parent_path(), url);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    int err = errno;
    fail(err, fmt::format("unable to create directory '{}' in storage '{}'", dir.string(), url));
  }
  if (!fs::is_directory(dir)) {
    fail(ENOTDIR, fmt::format("unable to create directory '{}' in storage '{}'", dir.string(), url));
  }
  fsync_dir(dir.parent_path().empty() ? fs::path(".") : dir.parent_path());
}

class FileWriter final : public ObjectWriter {
public:
  FileWriter(fs::path final_path, std::string key, std::string url, bool overwrite,
             FileStorage::DirectorySync dir_sync)
      : m_final(std::move(final_path)), m_key(std::move(key)), m_url(std::move(url)),
        m_overwrite(overwrite), m_dir_sync(std::move(dir_sync)) {
    m_temp = m_final.parent_path() /
             fmt::format(".{}.tmp-{}", m_final.filename().string(), random_suffix());
    int fd = ::open(m_temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      int err = errno;
      fail(err, fmt::format("unable to create object '{}' in storage '{}'", m_key, m_url));
    }
    m_fd = Fd(fd);
  }

  ~FileWriter() override {
    if (!m_committed) {
      abort();
    }
  }

  void write(pipeline::Bytes bytes) override {
    LIFEBOAT_ASSERT(m_fd && !m_committed);
    while (!bytes.empty()) {
      ssize_t n = ::write(m_fd.get(), bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        int err = errno;
        abort();
        fail(err, fmt::format("unable to write object '{}' in storage '{}'", m_key, m_url));
      }
      bytes = bytes.subspan(static_cast<size_t>(n));
      m_written += static_cast<std::uint64_t>(n);
    }
    // Start writeback of every full 8 MiB as we go, so the fsync in commit() waits
    // for the last few megabytes instead of the whole object.
    constexpr std::uint64_t k_writeback = 8 * 1024 * 1024;
    if (m_written - m_flushed >= k_writeback) {
      ::sync_file_range(m_fd.get(), static_cast<off_t>(m_flushed),
                        static_cast<off_t>(m_written - m_flushed), SYNC_FILE_RANGE_WRITE);
      m_flushed = m_written;
    }
  }

  void commit() override {
    LIFEBOAT_ASSERT(m_fd && !m_committed);
    std::string what = fmt::format("unable to store object '{}' in storage '{}'", m_key, m_url);
    if (::fsync(m_fd.get()) != 0) {
      int err = errno;
      abort();
      fail(err, what);
    }
    if (::close(m_fd.release()) != 0) {
      int err = errno;
      abort();
      fail(err, what);
    }
    if (m_overwrite) {
      if (::rename(m_temp.c_str(), m_final.c_str()) != 0) {
        int err = errno;
        abort();
        fail(err, what);
      }
    } else if (::renameat2(AT_FDCWD, m_temp.c_str(), AT_FDCWD, m_final.c_str(),
                           RENAME_NOREPLACE) != 0) {
      int err = errno;
      abort();
      if (err == EEXIST) {
        throw Error(ErrorKind::permanent,
                    fmt::format("object '{}' already exists in storage '{}'", m_key, m_url));
      }
      fail(err, what);
    }
    // The object is in place but not yet durable: until the directory is synced it is
    // not committed, and a failing sync takes it away again (the caller is told the
    // write failed, so it must not stay visible as if it had succeeded).
    try {
      if (m_dir_sync) {
        m_dir_sync(m_final.parent_path());
      } else {
        fsync_dir(m_final.parent_path());
      }
    } catch (const Error& e) {
      ::unlink(m_final.c_str());
      m_aborted = true;
      throw Error(e.kind(), fmt::format("{}: {}", what, e.what()), e.hint());
    }
    m_committed = true;
  }

  void abort() noexcept override {
    m_fd.close();
    if (!m_committed && !m_aborted) {
      ::unlink(m_temp.c_str());
      m_aborted = true;
    }
  }

  std::uint64_t bytes_written() const override { return m_written; }

private:
  fs::path m_final;
  fs::path m_temp;
  std::string m_key;
  std::string m_url;
  bool m_overwrite;
  FileStorage::DirectorySync m_dir_sync;
  Fd m_fd;
  std::uint64_t m_written = 0;
  std::uint64_t m_flushed = 0; // bytes handed to writeback
  bool m_committed = false;
  bool m_aborted = false;
};

class FileReader final : public ObjectReader {
public:
  FileReader(Fd fd, fs::path path) : m_fd(std::move(fd)), m_path(std::move(path)) {}
  std::size_t read(std::span<std::byte> buf) override {
    return read_some(m_fd.get(), buf, m_path);
  }

private:
  Fd m_fd;
  fs::path m_path;
};

} // namespace

FileStorage::FileStorage(fs::path root) : m_root(std::move(root)) {}

Capabilities FileStorage::capabilities() const {
  return {.atomic_put = true, .space_info = true, .signed_url = false, .max_connections = 4};
}

fs::path FileStorage::path_of(const std::string& key) const {
  value_or_throw(check_key(key), ErrorKind::usage);
  return m_root / key;
}

std::unique_ptr<ObjectWriter> FileStorage::open_write(const std::string& key,
                                                      const PutOptions& options) {
  fs::path p = path_of(key);
  if (fs::exists(m_root) && !fs::is_directory(m_root)) {
    throw Error(ErrorKind::permanent,
                fmt::format("storage '{}' is not a directory", display_url()),
                "Point --to at a directory (it is created when missing).");
  }
  make_dirs(p.parent_path(), display_url());
  return std::make_unique<FileWriter>(p, key, display_url(), options.overwrite, m_dir_sync);
}

std::unique_ptr<ObjectReader> FileStorage::open_read(const std::string& key) {
  fs::path p = path_of(key);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      throw Error(ErrorKind::not_found, fmt::format("unable to open missing object '{}' in '{}' "
                                                    "for read",
                                                    key, display_url()));
    }
    fail(err, fmt::format("unable to open object '{}' in '{}' for read", key, display_url()));
  }
  return std::make_unique<FileReader>(Fd(fd), p);
}

void FileStorage::list(const std::string& prefix,
                       const std::function<void(const ObjectInfo&)>& each) {
  // Walk only the directory that can hold the prefix.
  fs::path start = m_root;
  if (auto slash = prefix.rfind('/'); slash != std::string::npos) {
    start = m_root / prefix.substr(0, slash);
  }
  std::error_code ec;
  if (!fs::is_directory(start, ec)) {
    return;
  }
  fs::recursive_directory_iterator it(start, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    fail(ec.value(), fmt::format("unable to list '{}'", start.string()));
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      fail(ec.value(), fmt::format("unable to list '{}'", start.string()));
    }
    const auto& entry = *it;
    std::string name = entry.path().filename().string();
    if (name.starts_with(".")) {
      if (entry.is_directory()) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!entry.is_regular_file()) {
      continue;
    }
    std::string key = entry.path().lexically_relative(m_root).generic_string();
    if (!key.starts_with(prefix)) {
      continue;
    }
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0) {
      continue; // removed while listing
    }
    each({key, static_cast<std::uint64_t>(st.st_size), mtime_of(st)});
  }
}

std::vector<ObjectInfo> FileStorage::remove_abandoned_writes(TimePoint cutoff, bool dry_run) {
  // Temporary files are ".BASENAME.tmp-XXXXXXXX" next to where the object would be.
  std::vector<ObjectInfo> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(m_root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    auto tmp = name.rfind(".tmp-");
    if (!name.starts_with(".") || tmp == std::string::npos || tmp == 0 ||
        !it->is_regular_file()) {
      continue;
    }
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0 || mtime_of(st) >= cutoff) {
      continue; // gone, or a write that may still be running
    }
    out.push_back({it->path().lexically_relative(m_root).generic_string(),
                   static_cast<std::uint64_t>(st.st_size), mtime_of(st)});
    if (!dry_run && ::unlink(it->path().c_str()) != 0 && errno != ENOENT) {
      fail(errno, fmt::format("unable to remove abandoned temporary file '{}'",
                              it->path().string()));
    }
  }
  return out;
}

std::optional<ObjectInfo> FileStorage::stat(const std::string& key) {
  fs::path p = path_of(key);
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return std::nullopt;
    }
    fail(err, fmt::format("unable to stat object '{}' in '{}'", key, display_url()));
  }
  if (!S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  return ObjectInfo{key, static_cast<std::uint64_t>(st.st_size), mtime_of(st)};
}

void FileStorage::remove(const std::string& key) {
  fs::path p = path_of(key);
  if (::unlink(p.c_str()) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return;
    }
    fail(err, fmt::format("unable to remove object '{}' from '{}'", key, display_url()));
  }
  fsync_dir(p.parent_path());
  log::debug("removed '{}' from '{}'", key, display_url());
}

std::optional<SpaceInfo> FileStorage::space() {
  fs::path p = m_root;
  while (!p.empty() && !fs::exists(p)) {
    p = p.parent_path();
  }
  struct statvfs st {};
  if (::statvfs(p.empty() ? "." : p.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return SpaceInfo{static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize,
                   static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize};
}

} // namespace lifeboat::storage::file
