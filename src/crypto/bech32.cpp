// Bech32 after BIP 173: polymod checksum over the expanded HRP and the 5-bit data.
// Conversion between 8-bit and 5-bit groups pads on encode and is strict on
// decode (at most 4 padding bits, all zero), so each key has one encoding.
#include "crypto/bech32.hpp"

#include <array>

#include "util/secret.hpp"

namespace lifeboat::crypto {
namespace {

constexpr std::string_view k_charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

// Wipes a vector of (possibly secret) groups when the scope ends.
struct WipeOnExit {
  std::vector<std::uint8_t>& v;
  ~WipeOnExit() { secure_wipe(v.data(), v.size()); }
};

std::uint32_t polymod(std::string_view hrp, std::span<const std::uint8_t> groups) {
  constexpr std::array<std::uint32_t, 5> k_gen = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                                  0x2a1462b3};
  std::uint32_t chk = 1;
  auto step = [&](std::uint8_t v) {
    std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (std::size_t i = 0; i < k_gen.size(); ++i) {
      if ((top >> i) & 1) {
        chk ^= k_gen[i];
      }
    }
  };
  for (char c : hrp) {
    step(static_cast<std::uint8_t>(static_cast<unsigned char>(c) >> 5));
  }
  step(0);
  for (char c : hrp) {
    step(static_cast<std::uint8_t>(static_cast<unsigned char>(c) & 31));
  }
  for (std::uint8_t g : groups) {
    step(g);
  }
  return chk;
}

} // namespace

std::string bech32_encode(std::string_view hrp, std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> groups;
  WipeOnExit wipe{groups};
  groups.reserve(data.size() * 8 / 5 + 8);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      groups.push_back(static_cast<std::uint8_t>((acc >> bits) & 31));
    }
  }
  if (bits > 0) {
    groups.push_back(static_cast<std::uint8_t>((acc << (5 - bits)) & 31));
  }
  acc = 0;
  std::size_t data_groups = groups.size();
  groups.resize(data_groups + 6, 0);
  std::uint32_t chk = polymod(hrp, groups) ^ 1;
  for (std::size_t i = 0; i < 6; ++i) {
    groups[data_groups + i] = static_cast<std::uint8_t>((chk >> (5 * (5 - i))) & 31);
  }
  std::string out;
  out.reserve(hrp.size() + 1 + groups.size());
  out.append(hrp);
  out.push_back('1');
  for (std::uint8_t g : groups) {
    out.push_back(k_charset[g]);
  }
  return out;
}

Result<Bech32> bech32_decode(std::string_view text) {
  bool lower = false;
  bool upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) {
      return unexpected(std::string("it contains a character that is not printable ASCII"));
    }
    lower = lower || (c >= 'a' && c <= 'z');
    upper = upper || (c >= 'A' && c <= 'Z');
  }
  if (lower && upper) {
    return unexpected(std::string("it mixes upper and lower case"));
  }
  std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep == 0) {
    return unexpected(std::string("it has no type prefix ending in '1'"));
  }
  if (text.size() - sep - 1 < 6) {
    return unexpected(std::string("it is too short to carry a checksum"));
  }
  Bech32 result;
  result.hrp.reserve(sep);
  for (char c : text.substr(0, sep)) {
    result.hrp.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  std::vector<std::uint8_t> groups;
  WipeOnExit wipe{groups};
  groups.reserve(text.size() - sep - 1);
  for (char c : text.substr(sep + 1)) {
    char l = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    std::size_t v = k_charset.find(l);
    if (v == std::string_view::npos) {
      return unexpected(std::string("it contains a character outside the Bech32 alphabet"));
    }
    groups.push_back(static_cast<std::uint8_t>(v));
  }
  if (polymod(result.hrp, groups) != 1) {
    return unexpected(std::string("its checksum does not match (a typo or a truncated copy?)"));
  }
  std::size_t data_groups = groups.size() - 6;
  std::uint32_t acc = 0;
  int bits = 0;
  result.data.reserve(data_groups * 5 / 8);
  for (std::size_t i = 0; i < data_groups; ++i) {
    acc = (acc << 5) | groups[i];
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      result.data.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  bool bad_padding = bits >= 5 || (acc & ((1u << bits) - 1)) != 0;
  acc = 0;
  if (bad_padding) {
    secure_wipe(result.data.data(), result.data.size());
    return unexpected(std::string("its data has invalid padding bits"));
  }
  return result;
}

} // namespace lifeboat::crypto
