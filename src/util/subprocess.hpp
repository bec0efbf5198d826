// util/subprocess: child processes (pg_dump, psql) with pipes, an extended
// environment and captured standard error.
//
// Arguments never carry secrets: a password reaches the child through `env`
// (PGPASSWORD), which other users cannot read in the process list.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "util/fs.hpp"

namespace lifeboat {

struct ProcessOptions {
  std::vector<std::string> argv;          // argv[0] is looked up in PATH
  std::map<std::string, std::string> env; // added to (or replacing in) the parent's environment
  bool pipe_stdin = false;                // write to the child through write_stdin()
  bool pipe_stdout = false;               // read the child through read_stdout()
  // Bytes the child reads once from file descriptor 3, a pipe filled and closed before it
  // starts (at most 4 KiB): a secret that must be neither in argv, nor in the
  // environment of a long-lived process, nor in a file (libpq's PGSERVICEFILE=/dev/fd/3).
  std::string fd3_content;
};

class Subprocess {
public:
  // Starts the child. Throws Error{not_found} naming the program when it is not
  // installed, with a hint naming the Debian package when one is given.
  explicit Subprocess(const ProcessOptions& options, const std::string& package_hint = {});
  ~Subprocess(); // kills (SIGKILL) and reaps a child still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Returns 0 at the end of the child's output.
  std::size_t read_stdout(std::span<std::byte> buf);
  // Throws Error{permanent} when the child has gone away (EPIPE).
  void write_stdin(std::span<const std::byte> data);
  void close_stdin();

  // Waits for the child; returns its exit status (128 + signal when killed).
  int wait();
  void kill(int sig);
  int pid() const { return m_pid; }
  // The child's standard error (the last 64 KiB), after wait().
  std::string stderr_text() const;

private:
  int m_pid = -1;
  Fd m_stdin;
  Fd m_stdout;
  Fd m_stderr_file;
  std::string m_program;
  std::optional<int> m_status;
};

} // namespace lifeboat
