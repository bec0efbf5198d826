// ASCII armor: strict decoding, the same bytes and verdict at any split.
#include "crypto/armor.hpp"
#include "fuzz.hpp"

namespace {

struct Outcome {
  bool ok = true;
  std::vector<std::uint8_t> out;
};

Outcome decode(const std::vector<std::string_view>& pieces) {
  lifeboat::crypto::ArmorDecoder d;
  Outcome o;
  for (auto piece : pieces) {
    std::span<const std::uint8_t> in(reinterpret_cast<const std::uint8_t*>(piece.data()),
                                     piece.size());
    while (!in.empty()) {
      auto r = d.feed(in, o.out, std::size_t(-1));
      if (!r) {
        o.ok = false;
        return o;
      }
      FUZZ_CHECK(*r > 0 && *r <= in.size());
      in = in.subspan(*r);
    }
  }
  o.ok = d.finish().has_value();
  return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat;
  if (size == 0) {
    return 0;
  }
  std::string_view all = fuzz::text(data + 1, size - 1);
  Outcome whole = decode({all});
  Outcome split = decode(fuzz::chunks(all, data[0]));
  FUZZ_CHECK(whole.ok == split.ok);
  if (whole.ok) {
    FUZZ_CHECK(whole.out == split.out);
    FUZZ_CHECK(whole.out.size() <= all.size());
  }
  return 0;
}
