#include "util/cancel.hpp"

#include <atomic>
#include <csignal>

#include <fmt/format.h>

#include "util/error.hpp"

namespace lifeboat {
namespace {
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) { g_signal = sig; }
} // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int cancel_signal() { return g_signal; }

void throw_if_cancelled() {
  if (g_signal != 0) {
    throw Error(ErrorKind::cancelled,
                fmt::format("stopped by signal {} ({})", static_cast<int>(g_signal),
                            g_signal == SIGINT ? "SIGINT" : g_signal == SIGTERM ? "SIGTERM" : "?"),
                "Nothing was committed; run the command again when ready.");
  }
}

} // namespace lifeboat
