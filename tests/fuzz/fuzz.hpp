// tests/fuzz: what every target shares. A target is one LLVMFuzzerTestOneInput; it is
// linked with libFuzzer in the clang build (LIFEBOAT_FUZZ=ON, `make fuzz`) and with
// replay_main.cpp everywhere else, where CTest replays the checked-in corpus and every
// crash input found so far (tests/fuzz/README.md).
//
// A target states the parser's contract: a value or a typed error (lifeboat::Error or
// an unexpected Result), never another exception, a crash, a hang or unbounded memory
// (libFuzzer's -rss_limit_mb and -timeout catch those two). FUZZ_CHECK states the
// properties beyond that, such as parse(print(x)) == x; a broken one aborts, so both
// libFuzzer and the replay report it with the input that broke it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: fuzz property broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)

namespace lifeboat::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits `all` into chunks whose sizes come from `seed` (1..16 bytes each, cycling), so
// one input also tests the streaming parser at many split points.
inline std::vector<std::string_view> chunks(std::string_view all, std::uint8_t seed) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  unsigned s = seed | 1u;
  while (pos < all.size()) {
    s = s * 1103515245u + 12345u;
    std::size_t n = std::min<std::size_t>(all.size() - pos, 1 + ((s >> 16) % 16));
    out.push_back(all.substr(pos, n));
    pos += n;
  }
  return out;
}

} // namespace lifeboat::fuzz
