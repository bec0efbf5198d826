// Manifests read back from storage: strict parse, and parse(print(m)) == m.
#include "core/manifest.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat;
  auto m = core::parse_manifest(fuzz::text(data, size));
  if (!m) {
    FUZZ_CHECK(!m.error().empty());
    return 0;
  }
  std::string printed = core::to_json(*m);
  auto again = core::parse_manifest(printed);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(core::to_json(*again) == printed);
  FUZZ_CHECK(again->id == m->id && again->tables.tables() == m->tables.tables());
  return 0;
}
