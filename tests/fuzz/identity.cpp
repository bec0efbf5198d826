// Keys: identity files, secret keys, recipients and Bech32. Errors never contain the
// text of a secret key; a parsed key prints back to its canonical form.
#include <cctype>
#include <string>

#include "crypto/age.hpp"
#include "crypto/bech32.hpp"
#include "fuzz.hpp"

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The key material of a text the user may have meant as a secret key: the run of Bech32
// characters after "AGE-SECRET-KEY-" (a real key has 59). An error must never repeat 16
// or more of them. (Checking the whole text instead only finds inputs that copy the
// message's own words, as libFuzzer learns them.)
std::string key_material(std::string_view t) {
  if (t.size() < 15 || lower(t.substr(0, 15)) != "age-secret-key-") {
    return {};
  }
  static constexpr std::string_view charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  std::string run;
  for (char c : t.substr(15)) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (charset.find(l) == std::string_view::npos && l != '1' && l != '-') {
      break;
    }
    run += c;
  }
  auto last = run.rfind('-');
  run = last == std::string::npos ? run : run.substr(last + 1); // after "PQ-" and the like
  if (!run.empty() && run[0] == '1') {
    run = run.substr(1);
  }
  return run.size() >= 16 ? run : std::string();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat;
  std::string_view t = fuzz::text(data, size);

  auto file = crypto::parse_identity_file(t);
  if (file) {
    FUZZ_CHECK(!file->empty());
  } else if (auto k = key_material(t); !k.empty()) {
    FUZZ_CHECK(file.error().find(k) == std::string::npos);
  }

  auto id = crypto::X25519Identity::parse(t);
  if (id) {
    std::string printed(id->to_string().reveal());
    auto again = crypto::X25519Identity::parse(printed);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(std::equal(again->public_key().begin(), again->public_key().end(),
                          id->public_key().begin()));
    FUZZ_CHECK(lower(printed) == lower(t));
  } else if (auto k = key_material(t); !k.empty()) {
    FUZZ_CHECK(id.error().find(k) == std::string::npos);
  }

  auto r = crypto::parse_recipient(t);
  if (r) {
    FUZZ_CHECK(r->to_string() == lower(t));
    FUZZ_CHECK(crypto::parse_recipient(r->to_string()).value() == *r);
  }

  auto b = crypto::bech32_decode(t);
  if (b) {
    FUZZ_CHECK(b->hrp.size() + b->data.size() <= t.size());
    FUZZ_CHECK(crypto::bech32_encode(b->hrp, b->data) == lower(t));
  }
  return 0;
}
