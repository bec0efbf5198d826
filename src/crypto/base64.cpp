// Base64 with a reverse table; canonical form is checked by requiring the bits
// below the last full byte to be zero (RFC 4648 section 3.5).
#include "crypto/base64.hpp"

#include <array>

namespace lifeboat::crypto {
namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t k_invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_reverse() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) {
    v = k_invalid;
  }
  for (std::size_t i = 0; i < k_alphabet.size(); ++i) {
    table[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> k_reverse = make_reverse();

// Decodes `text` (no padding, length already checked) into `out`; false when a
// character is outside the alphabet or the unused bits are not zero.
bool decode_into(std::string_view text, std::uint8_t* out) {
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = 0;
  for (char c : text) {
    std::uint8_t v = k_reverse[static_cast<unsigned char>(c)];
    if (v == k_invalid) {
      return false;
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = static_cast<std::uint8_t>(acc >> bits);
    }
  }
  // Leftover bits (2 or 4) must be zero in the canonical encoding.
  return (acc & ((1u << bits) - 1)) == 0;
}

} // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out.push_back(k_alphabet[(v >> 18) & 63]);
    out.push_back(k_alphabet[(v >> 12) & 63]);
    out.push_back(k_alphabet[(v >> 6) & 63]);
    out.push_back(k_alphabet[v & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    out.push_back(k_alphabet[(v >> 18) & 63]);
    out.push_back(k_alphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
    out.push_back(k_alphabet[(v >> 18) & 63]);
    out.push_back(k_alphabet[(v >> 12) & 63]);
    out.push_back(k_alphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::size_t> base64_decoded_size(std::size_t chars) {
  if (chars % 4 == 1) {
    return std::nullopt;
  }
  return chars / 4 * 3 + (chars % 4 == 0 ? 0 : chars % 4 - 1);
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  auto size = base64_decoded_size(text.size());
  if (!size) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> out(*size);
  if (!decode_into(text, out.data())) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::size_t> base64_decode_padded(std::string_view text, std::uint8_t* out) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') {
    pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  }
  std::string_view body = text.substr(0, text.size() - pad);
  // Any '=' left inside the body is outside the alphabet and rejected below.
  if (!decode_into(body, out)) {
    return std::nullopt;
  }
  return body.size() / 4 * 3 + (body.size() % 4 == 0 ? 0 : body.size() % 4 - 1);
}

} // namespace lifeboat::crypto
