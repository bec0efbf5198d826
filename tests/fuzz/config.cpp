// The config file: a Config or a lifeboat::Error (toml++'s own errors included), never
// another exception; ${VAR} expansion sees a fixed environment.
#include "config/config.hpp"
#include "fuzz.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat;
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "DATABASE_URL") {
      return "postgres://app:pw@db:5432/shop";
    }
    if (name == "KEY") {
      return "AGE-SECRET-KEY-1QQQ";
    }
    return std::nullopt;
  };
  try {
    config::load_text(fuzz::text(data, size), "fuzz.toml", env);
  } catch (const Error& e) {
    FUZZ_CHECK(std::string_view(e.what()).size() > 0);
  }
  return 0;
}
