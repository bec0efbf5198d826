// crypto/bech32: BIP 173 Bech32 as age uses it for keys ("age1..." recipients,
// "AGE-SECRET-KEY-1..." identities): no length limit on the data part, all
// lowercase or all uppercase, the checksum always over the lowercase form.
//
// Grammar:  bech32 = hrp "1" 6*data-char   (data = 5-bit groups + 6 checksum groups)
//
// The data may be a secret key: every temporary copy is wiped, and nothing here
// ever puts the input into an error message.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace lifeboat::crypto {

struct Bech32 {
  std::string hrp;                // lowercase
  std::vector<std::uint8_t> data; // 8-bit bytes; the caller wipes it when secret
};

// Lowercase encoding of `data` (8-bit bytes) under `hrp` (given in lowercase).
std::string bech32_encode(std::string_view hrp, std::span<const std::uint8_t> data);

// Decodes either case. Errors are short phrases ("invalid checksum", "mixed
// case") without the input, so a caller may safely say which line failed.
Result<Bech32> bech32_decode(std::string_view text);

} // namespace lifeboat::crypto
