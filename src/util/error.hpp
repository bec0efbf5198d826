// util/error: the one error type operations throw, and the Result type parsers return.
//
// Operations throw lifeboat::Error carrying an ErrorKind; parsers and validators
// return Result<T> (tl::expected) because failure is an ordinary outcome there.
// Only app/main.cpp maps an ErrorKind to an exit code (docs/scripting.md).
// This module never prints anything.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <tl/expected.hpp>

namespace lifeboat {

enum class ErrorKind {
  usage,      // bad command line: exit 2
  config,     // bad configuration file or value: exit 2
  not_found,  // a named object (backup, file, key) does not exist: exit 1
  permanent,  // failed and retrying will not help (EACCES, ENOSPC, 403): exit 1
  transient,  // failed, a retry may help (timeout, 5xx, reset): exit 1
  integrity,  // data does not match its checksum / manifest / checks: exit 1
  cancelled,  // stopped by a signal or by the user declining: exit 1
};

std::string_view to_string(ErrorKind kind);

class Error : public std::runtime_error {
public:
  // message: lowercase, no final period, names and quotes the object.
  // hint: optional full sentence telling the user what to do.
  Error(ErrorKind kind, std::string message, std::string hint = {});

  ErrorKind kind() const { return m_kind; }
  const std::string& hint() const { return m_hint; }

private:
  ErrorKind m_kind;
  std::string m_hint;
};

// Some jobs of a command failed and the command went on with the others: each failure
// was already reported (as a job event) and the command printed its own report, so
// main() adds only this summary line and the exit code of `kind`, no second report.
class PartialFailure : public Error {
public:
  using Error::Error;
};

// Result of parsers: the value or a message (lowercase, no final period).
template <typename T> using Result = tl::expected<T, std::string>;
using tl::unexpected;

// Unwraps a Result or throws Error{kind, prefix + message}.
template <typename T>
T value_or_throw(Result<T> r, ErrorKind kind, std::string_view prefix = {}) {
  if (!r) {
    throw Error(kind, std::string(prefix) + r.error());
  }
  if constexpr (!std::is_void_v<T>) {
    return std::move(*r);
  }
}

// Message for errno values: "No space left on device".
std::string errno_text(int err);

// Errors caused by the system: ENOSPC, EACCES, EROFS and friends are permanent,
// EINTR/EAGAIN/EIO transient, ENOENT not_found.
ErrorKind errno_kind(int err);

[[noreturn]] void assertion_failed(const char* expr, const char* file, int line);

} // namespace lifeboat

// Always on: an invariant of ours, never a user error.
#define LIFEBOAT_ASSERT(expr)                                                  \
  do {                                                                         \
    if (!(expr)) {                                                             \
      ::lifeboat::assertion_failed(#expr, __FILE__, __LINE__);                 \
    }                                                                          \
  } while (false)
