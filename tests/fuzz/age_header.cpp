// The age header: fed split at the points the input's first byte chooses, the parser
// stops exactly after the MAC line; a parsed header prints back to the bytes it read.
#include "crypto/header.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat;
  if (size == 0) {
    return 0;
  }
  std::string_view all = fuzz::text(data + 1, size - 1);
  crypto::HeaderParser whole;
  auto w = whole.feed({data + 1, size - 1});

  crypto::HeaderParser split;
  std::size_t used = 0;
  bool failed = false;
  for (auto piece : fuzz::chunks(all, data[0])) {
    auto r = split.feed({reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size()});
    if (!r) {
      failed = true;
      break;
    }
    used += *r;
    FUZZ_CHECK(*r <= piece.size());
    if (split.done()) {
      break;
    }
  }
  // Chunking never changes the verdict.
  FUZZ_CHECK(w.has_value() == !failed);
  FUZZ_CHECK(whole.done() == split.done());
  if (!whole.done()) {
    return 0;
  }
  FUZZ_CHECK(*w == used && *w <= crypto::HeaderParser::k_max_size);
  std::string printed = "age-encryption.org/v1\n";
  for (const auto& s : whole.stanzas()) {
    crypto::format_stanza(s, printed);
  }
  printed += "---";
  FUZZ_CHECK(printed == whole.mac_input());
  FUZZ_CHECK(whole.stanzas().size() == split.stanzas().size());
  return 0;
}
