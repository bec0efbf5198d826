#include "util/tty.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "util/fs.hpp"

namespace lifeboat {

std::optional<Secret> read_secret_from_tty(std::string_view prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  Fd tty(fd);
  termios saved{};
  bool restore = ::tcgetattr(fd, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') {
    line.push_back(c);
  }
  if (restore) {
    ::tcsetattr(fd, TCSAFLUSH, &saved);
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  Secret s(line);
  secure_wipe(line.data(), line.size());
  return s;
}

} // namespace lifeboat
