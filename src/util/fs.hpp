// util/fs: RAII file descriptors and the few POSIX operations lifeboat relies on.
//
// Every failure throws Error with the path quoted and the errno text; ENOSPC and
// EACCES are permanent, ENOENT not_found (util/error errno_kind).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace lifeboat {

class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : m_fd(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  ~Fd();

  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }
  int release();
  void close();

private:
  int m_fd = -1;
};

// Opens or throws Error naming `path` and what was being done (`what`, e.g. "read").
Fd open_file(const std::filesystem::path& path, int flags, const char* what, int mode = 0644);

// Writes everything or throws (ENOSPC → permanent).
void write_all(int fd, std::span<const std::byte> data, const std::filesystem::path& path);
// Reads up to data.size() bytes; returns 0 at end of file. Retries EINTR.
std::size_t read_some(int fd, std::span<std::byte> data, const std::filesystem::path& path);

void fsync_fd(int fd, const std::filesystem::path& path);
// A small file read whole (a config, an identity): Error{kind} naming `what` and the
// path when it cannot be read or is larger than `limit`, before more than `limit` is read.
std::string read_small_file(const std::filesystem::path& path, std::size_t limit,
                            std::string_view what, ErrorKind kind);
void fsync_dir(const std::filesystem::path& dir);

// Creates the directory and its parents, throwing a clear error on failure.
void create_directories(const std::filesystem::path& dir);

// Random lowercase alphanumeric string for temporary names.
std::string random_suffix(std::size_t length = 8);

bool stdin_is_terminal();
bool stderr_is_terminal();

} // namespace lifeboat
