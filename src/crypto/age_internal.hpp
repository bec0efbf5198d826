// crypto/age_internal: what the age encryptor and decryptor share: the STREAM
// chunk geometry and nonces, the key schedule (HKDF labels) and stanza wrapping.
// Internal to src/crypto; callers use age.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/primitives.hpp"
#include "crypto/secret_bytes.hpp"

namespace lifeboat::crypto::detail {

inline constexpr std::size_t k_file_key_size = 16;
inline constexpr std::size_t k_payload_nonce_size = 16;
inline constexpr std::size_t k_chunk_size = 64 * 1024;
inline constexpr std::size_t k_sealed_chunk_size = k_chunk_size + k_aead_tag_size;
inline constexpr std::size_t k_wrapped_key_size = k_file_key_size + k_aead_tag_size;

inline constexpr std::string_view k_x25519_label = "age-encryption.org/v1/X25519";
inline constexpr std::string_view k_scrypt_label = "age-encryption.org/v1/scrypt";

using FileKey = SecretBytes<k_file_key_size>;
using Nonce = std::array<std::uint8_t, k_aead_nonce_size>;

// STREAM nonce: 11-byte big-endian chunk counter, then 0x01 for the final chunk.
Nonce stream_nonce(std::uint64_t counter, bool last);

// payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload").
SecretBytes<32> payload_key(const FileKey& file_key, ByteView nonce);

// HMAC-SHA-256 under HKDF(file key, "", "header") of the header up to "---".
std::array<std::uint8_t, 32> header_mac(const FileKey& file_key, std::string_view mac_input);

// ChaCha20-Poly1305 under `wrap_key` with the all-zero nonce: 16 -> 32 bytes and back.
std::array<std::uint8_t, k_wrapped_key_size> wrap_file_key(const SecretBytes<32>& wrap_key,
                                                           const FileKey& file_key);
bool unwrap_file_key(const SecretBytes<32>& wrap_key, ByteView body, FileKey& file_key);

// wrap key = HKDF(shared secret, ephemeral share || recipient, "age-encryption.org/v1/X25519").
SecretBytes<32> x25519_wrap_key(const SecretBytes<32>& shared, ByteView share, ByteView recipient);

// wrap key = scrypt("age-encryption.org/v1/scrypt" || salt, passphrase, 2^work_factor).
SecretBytes<32> scrypt_wrap_key(std::string_view passphrase, ByteView salt, int work_factor);

} // namespace lifeboat::crypto::detail
