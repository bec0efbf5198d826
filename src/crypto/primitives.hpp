// crypto/primitives: the only place that calls OpenSSL. X25519, HKDF-SHA-256,
// HMAC-SHA-256, scrypt and ChaCha20-Poly1305 through the OpenSSL 3 EVP interfaces,
// plus the CSPRNG.
//
// These are the building blocks of age (age.hpp); they know nothing about the
// file format. Failures of OpenSSL itself (out of memory, a missing algorithm)
// throw Error{permanent}; an authentication failure is an ordinary `false`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/secret_bytes.hpp"

namespace lifeboat::crypto {

using ByteView = std::span<const std::uint8_t>;

inline constexpr std::size_t k_x25519_size = 32;
inline constexpr std::size_t k_aead_key_size = 32;
inline constexpr std::size_t k_aead_nonce_size = 12;
inline constexpr std::size_t k_aead_tag_size = 16;

inline ByteView as_view(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Fills `out` from OpenSSL's CSPRNG. Throws Error{permanent} when it cannot.
void random_bytes(std::span<std::uint8_t> out);

// public = X25519(scalar, basepoint).
void x25519_public(std::span<const std::uint8_t, k_x25519_size> scalar,
                   std::span<std::uint8_t, k_x25519_size> public_key);

// shared = X25519(scalar, point). Returns false when the result is all zeros
// (a low-order point), which age MUST refuse.
bool x25519_shared(std::span<const std::uint8_t, k_x25519_size> scalar,
                   std::span<const std::uint8_t, k_x25519_size> point,
                   std::span<std::uint8_t, k_x25519_size> shared);

// HKDF-SHA-256 (extract with `salt`, then expand with `info`) into `out`.
void hkdf_sha256(ByteView ikm, ByteView salt, std::string_view info, std::span<std::uint8_t> out);

// HMAC-SHA-256 of `data` under `key`.
void hmac_sha256(ByteView key, ByteView data, std::span<std::uint8_t, 32> out);

// scrypt(N = 2^log_n, r = 8, p = 1) of `passphrase` with `salt` into `out`.
// Needs about 128 * 8 * 2^log_n bytes of memory (256 MiB at log_n = 18).
void scrypt(std::string_view passphrase, ByteView salt, int log_n, std::span<std::uint8_t> out);

// Constant-time comparison of two equally long byte strings.
bool equal_in_constant_time(ByteView a, ByteView b);

// ChaCha20-Poly1305 (RFC 7539) under one key, for many nonces. The key and the
// OpenSSL context are wiped when the object is destroyed.
class ChaChaPoly {
public:
  explicit ChaChaPoly(std::span<const std::uint8_t, k_aead_key_size> key);
  ~ChaChaPoly();
  ChaChaPoly(const ChaChaPoly&) = delete;
  ChaChaPoly& operator=(const ChaChaPoly&) = delete;

  // Writes plain.size() + 16 bytes (ciphertext then tag) to `out`.
  void seal(std::span<const std::uint8_t, k_aead_nonce_size> nonce, ByteView plain,
            std::uint8_t* out);
  // Writes sealed.size() - 16 bytes to `out` and returns true when the tag is
  // valid; returns false otherwise (then `out` holds garbage the caller MUST NOT
  // release). `sealed` MUST be at least 16 bytes.
  bool open(std::span<const std::uint8_t, k_aead_nonce_size> nonce, ByteView sealed,
            std::uint8_t* out);

private:
  void* m_encrypt; // EVP_CIPHER_CTX, keyed once, re-initialised per nonce
  void* m_decrypt;
};

} // namespace lifeboat::crypto
