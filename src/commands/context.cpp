#include "commands/context.hpp"

#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

#include "util/strings.hpp"

namespace lifeboat::commands {

Progress::Progress(bool enabled, std::string label, std::optional<std::uint64_t> total)
    : m_enabled(enabled), m_label(std::move(label)), m_total(total) {}

Progress::~Progress() { done(); }

void Progress::update(std::uint64_t bytes) {
  if (!m_enabled) {
    return;
  }
  double t = m_watch.seconds();
  if (m_last_draw >= 0 && t - m_last_draw < 0.2) {
    return;
  }
  m_last_draw = t;
  double rate = t > 0 ? static_cast<double>(bytes) / t : 0;
  std::string line = fmt::format("{} {}", m_label, format_bytes(bytes));
  if (m_total && *m_total > 0) {
    line += fmt::format(" / {}", format_bytes(*m_total));
  }
  line += fmt::format("  {}/s", format_bytes(static_cast<std::uint64_t>(rate)));
  if (m_total && rate > 0 && bytes < *m_total) {
    line += fmt::format("  ETA {}", format_seconds(static_cast<double>(*m_total - bytes) / rate));
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  m_drawn = true;
}

void Progress::done() {
  if (m_drawn) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    m_drawn = false;
  }
}

std::string tool_version() { return LIFEBOAT_VERSION; }

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) {
    return "unknown";
  }
  return buf;
}

} // namespace lifeboat::commands
