#include "util/fs.hpp"

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <random>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/secret.hpp"

namespace lifeboat {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    close();
    m_fd = o.release();
  }
  return *this;
}

Fd::~Fd() { close(); }

int Fd::release() {
  int fd = m_fd;
  m_fd = -1;
  return fd;
}

void Fd::close() {
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

Fd open_file(const std::filesystem::path& path, int flags, const char* what, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) {
    int err = errno;
    throw Error(errno_kind(err),
                fmt::format("unable to open '{}' for {}: {}", path.string(), what, errno_text(err)));
  }
  return Fd(fd);
}

void write_all(int fd, std::span<const std::byte> data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      std::string hint;
      if (err == ENOSPC || err == EDQUOT) {
        hint = "Free some space on that file system or choose another destination.";
      }
      throw Error(errno_kind(err),
                  fmt::format("unable to write '{}': {}", path.string(), errno_text(err)), hint);
    }
    data = data.subspan(static_cast<size_t>(n));
  }
}

std::size_t read_some(int fd, std::span<std::byte> data, const std::filesystem::path& path) {
  while (true) {
    ssize_t n = ::read(fd, data.data(), data.size());
    if (n >= 0) {
      return static_cast<size_t>(n);
    }
    if (errno != EINTR) {
      int err = errno;
      throw Error(errno_kind(err),
                  fmt::format("unable to read '{}': {}", path.string(), errno_text(err)));
    }
  }
}

std::string read_small_file(const std::filesystem::path& path, std::size_t limit,
                            std::string_view what, ErrorKind kind) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    throw Error(kind,
                fmt::format("unable to read {} '{}': {}", what, path.string(), errno_text(err)));
  }
  Fd owner(fd);
  std::string text;
  text.reserve(limit); // never reallocated: no stray copy of a secret in freed memory
  std::array<std::byte, 16 * 1024> buf{};
  while (std::size_t n = read_some(fd, buf, path)) {
    if (text.size() + n > limit) {
      secure_wipe(text.data(), text.size());
      throw Error(kind, fmt::format("{} '{}' is larger than {} KiB, the most lifeboat reads: "
                                    "is it the right file?",
                                    what, path.string(), limit / 1024));
    }
    text.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  return text;
}

void fsync_fd(int fd, const std::filesystem::path& path) {
  if (::fsync(fd) != 0) {
    int err = errno;
    throw Error(errno_kind(err),
                fmt::format("unable to sync '{}': {}", path.string(), errno_text(err)));
  }
}

void fsync_dir(const std::filesystem::path& dir) {
  Fd fd = open_file(dir, O_RDONLY | O_DIRECTORY, "sync");
  fsync_fd(fd.get(), dir);
}

void create_directories(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw Error(errno_kind(ec.value()), fmt::format("unable to create directory '{}': {}",
                                                    dir.string(), ec.message()));
  }
}

std::string random_suffix(std::size_t length) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<int> dist(0, 35);
  std::string out;
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(alphabet[dist(rng)]);
  }
  return out;
}

bool stdin_is_terminal() { return ::isatty(STDIN_FILENO) == 1; }
bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

} // namespace lifeboat
