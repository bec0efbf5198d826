// crypto/base64: RFC 4648 base64 as age uses it. Stanza arguments, stanza bodies
// and the header MAC are unpadded; the ASCII armor is padded. Decoding is strict
// in both cases: only the standard alphabet, and only the canonical encoding
// (unused low bits zero), because a lenient decoder makes age files malleable.
//
// Nothing here allocates on the decode paths that take an output pointer, and
// nothing here ever prints its input (it may be key material).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::crypto {

// Unpadded ("raw") encoding: 32 bytes -> 43 characters.
std::string base64_encode(std::span<const std::uint8_t> bytes);

// Bytes a valid unpadded encoding of `chars` characters decodes to, or nullopt
// when no canonical unpadded encoding has that length (chars % 4 == 1).
std::optional<std::size_t> base64_decoded_size(std::size_t chars);

// Strict unpadded decoding: rejects '=', characters outside the alphabet, a
// length of 4k+1 and non-zero unused bits. Returns nullopt on any of these.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// Strict padded decoding of one armor line into `out` (room for text.size()/4*3).
// The length MUST be a multiple of 4; '=' only as the last one or two characters;
// unused bits zero. Returns the number of bytes written, or nullopt.
std::optional<std::size_t> base64_decode_padded(std::string_view text, std::uint8_t* out);

} // namespace lifeboat::crypto
