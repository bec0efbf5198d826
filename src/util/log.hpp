// util/log: leveled logging to standard error, text or JSON lines.
//
// Messages are formatted only when their level is enabled. Never pass secrets:
// use Secret (which formats as ***) or redacted URLs.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace lifeboat::log {

enum class Level { error = 0, warning = 1, info = 2, debug = 3 };
enum class Format { text, json };

void set_level(Level level);
void set_format(Format format);
Level level();
bool enabled(Level level);
void write(Level level, std::string_view message);

template <typename... Args> void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::error)) {
    write(Level::error, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args> void warning(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::warning)) {
    write(Level::warning, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args> void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::info)) {
    write(Level::info, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args> void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::debug)) {
    write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
  }
}

} // namespace lifeboat::log
