#include "util/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lifeboat {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage:
    return "usage";
  case ErrorKind::config:
    return "config";
  case ErrorKind::not_found:
    return "not_found";
  case ErrorKind::permanent:
    return "permanent";
  case ErrorKind::transient:
    return "transient";
  case ErrorKind::integrity:
    return "integrity";
  case ErrorKind::cancelled:
    return "cancelled";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, std::string message, std::string hint)
    : std::runtime_error(std::move(message)), m_kind(kind), m_hint(std::move(hint)) {}

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be buf.
  const char* text = strerror_r(err, buf, sizeof(buf));
  return text;
}

ErrorKind errno_kind(int err) {
  switch (err) {
  case ENOENT:
  case ENOTDIR:
    return ErrorKind::not_found;
  case EINTR:
  case EAGAIN:
  case EIO:
  case ETIMEDOUT:
  case ECONNRESET:
    return ErrorKind::transient;
  default:
    return ErrorKind::permanent;
  }
}

void assertion_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "lifeboat: internal error: assertion '%s' failed at %s:%d\n"
                       "HINT: This is a bug in lifeboat; please report it.\n",
               expr, file, line);
  std::abort();
}

} // namespace lifeboat
