#include "util/log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "util/strings.hpp"

namespace lifeboat::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::atomic<Format> g_format{Format::text};
std::mutex g_mutex;

const char* name(Level l) {
  switch (l) {
  case Level::error:
    return "error";
  case Level::warning:
    return "warning";
  case Level::info:
    return "info";
  case Level::debug:
    return "debug";
  }
  return "?";
}
} // namespace

void set_level(Level l) { g_level = l; }
void set_format(Format f) { g_format = f; }
Level level() { return g_level; }
bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(g_level.load()); }

void write(Level l, std::string_view message) {
  std::lock_guard lock(g_mutex);
  if (g_format == Format::json) {
    std::time_t now = std::time(nullptr);
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    std::string line = fmt::format("{{\"time\":\"{}\",\"level\":\"{}\",\"message\":{}}}\n", ts,
                                   name(l), json_quote(message));
    std::fputs(line.c_str(), stderr);
  } else if (l == Level::info) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  } else {
    std::fprintf(stderr, "%s: %.*s\n", name(l), static_cast<int>(message.size()), message.data());
  }
}

} // namespace lifeboat::log
