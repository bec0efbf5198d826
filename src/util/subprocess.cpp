#include "util/subprocess.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/secret.hpp"

extern char** environ;

namespace lifeboat {

namespace {

bool in_path(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    return ::access(program.c_str(), X_OK) == 0;
  }
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) {
      return true;
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return false;
}

} // namespace

Subprocess::Subprocess(const ProcessOptions& options, const std::string& package_hint)
    : m_program(options.argv.at(0)) {
  if (!in_path(m_program)) {
    throw Error(ErrorKind::not_found, fmt::format("program '{}' is not installed", m_program),
                package_hint.empty()
                    ? std::string("Install it, or put it on PATH.")
                    : fmt::format("Install the Debian package {} (scripts/install-deps.sh does).",
                                  package_hint));
  }
  // Standard error goes to an unlinked temporary file: unbounded children cannot
  // block on a full pipe, and we read the tail after they exit.
  char tmpl[] = "/tmp/lifeboat-stderr-XXXXXX";
  int err_fd = ::mkostemp(tmpl, O_CLOEXEC);
  if (err_fd < 0) {
    throw Error(ErrorKind::permanent, fmt::format("unable to create a temporary file: {}",
                                                  errno_text(errno)));
  }
  ::unlink(tmpl);
  m_stderr_file = Fd(err_fd);

  int in_pipe[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  if (options.pipe_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorKind::permanent, "unable to create a pipe");
  }
  if (options.pipe_stdout && ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorKind::permanent, "unable to create a pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.pipe_stdin) {
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (options.pipe_stdout) {
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_adddup2(&actions, err_fd, STDOUT_FILENO);
  }
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  Fd fd3;
  if (!options.fd3_content.empty()) {
    LIFEBOAT_ASSERT(options.fd3_content.size() <= 4096); // fits the pipe: never blocks
    int fd3_pipe[2] = {-1, -1};
    if (::pipe2(fd3_pipe, O_CLOEXEC) != 0) {
      throw Error(ErrorKind::permanent, "unable to create a pipe");
    }
    // Kept above 3 so that the dup2 onto 3 below always clears O_CLOEXEC.
    fd3 = Fd(::fcntl(fd3_pipe[0], F_DUPFD_CLOEXEC, 10));
    ::close(fd3_pipe[0]);
    Fd writer(fd3_pipe[1]);
    if (!fd3) {
      throw Error(ErrorKind::permanent, "unable to create a pipe");
    }
    write_all(writer.get(),
              std::as_bytes(std::span(options.fd3_content.data(), options.fd3_content.size())),
              "pipe to the child (fd 3)");
    posix_spawn_file_actions_adddup2(&actions, fd3.get(), 3); // dup2 clears O_CLOEXEC
  }
  // The child inherits nothing else: descriptors our parent leaked without O_CLOEXEC (a
  // test runner, a shell) must not reach pg_dump, nor be mistaken for the fd 3 secret.
  posix_spawn_file_actions_addclosefrom_np(&actions, fd3 ? 4 : 3);

  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) {
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (const auto& [k, v] : options.env) {
    env[k] = v;
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  int rc = ::posix_spawnp(&m_pid, m_program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  for (auto& s : env_strings) {
    secure_wipe(s.data(), s.size());
  }
  if (options.pipe_stdin) {
    ::close(in_pipe[0]);
    m_stdin = Fd(in_pipe[1]);
  }
  if (options.pipe_stdout) {
    ::close(out_pipe[1]);
    m_stdout = Fd(out_pipe[0]);
  }
  if (rc != 0) {
    m_pid = -1;
    throw Error(ErrorKind::permanent,
                fmt::format("unable to start '{}': {}", m_program, errno_text(rc)));
  }
}

Subprocess::~Subprocess() {
  if (m_pid > 0 && !m_status) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
}

std::size_t Subprocess::read_stdout(std::span<std::byte> buf) {
  return read_some(m_stdout.get(), buf, m_program + " (standard output)");
}

void Subprocess::write_stdin(std::span<const std::byte> data) {
  while (!data.empty()) {
    ssize_t n = ::write(m_stdin.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      throw Error(ErrorKind::permanent,
                  fmt::format("'{}' stopped reading its input: {}", m_program, errno_text(err)));
    }
    data = data.subspan(static_cast<size_t>(n));
  }
}

void Subprocess::close_stdin() { m_stdin.close(); }

int Subprocess::wait() {
  if (m_status) {
    return *m_status;
  }
  m_stdin.close();
  int status = 0;
  while (::waitpid(m_pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw Error(ErrorKind::permanent, fmt::format("unable to wait for '{}'", m_program));
    }
  }
  m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return *m_status;
}

void Subprocess::kill(int sig) {
  if (m_pid > 0 && !m_status) {
    ::kill(m_pid, sig);
  }
}

std::string Subprocess::stderr_text() const {
  off_t size = ::lseek(m_stderr_file.get(), 0, SEEK_END);
  off_t start = size > 65536 ? size - 65536 : 0;
  std::string out(static_cast<size_t>(size - start), '\0');
  ssize_t n = ::pread(m_stderr_file.get(), out.data(), out.size(), start);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

} // namespace lifeboat
