// OpenSSL 3 EVP wrappers. Every OpenSSL object is owned by a unique_ptr with its
// free function, so an exception never leaks a context holding key material
// (OpenSSL cleanses key schedules when a context is freed).
#include "crypto/primitives.hpp"

#include <memory>
#include <string>

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "util/error.hpp"

namespace lifeboat::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct KdfFree {
  void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* p) const { EVP_CIPHER_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using Kdf = std::unique_ptr<EVP_KDF, KdfFree>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;
using Cipher = std::unique_ptr<EVP_CIPHER, CipherFree>;

// An OpenSSL failure is never the user's data: out of memory or a provider missing.
[[noreturn]] void fail(std::string_view what) {
  unsigned long code = ERR_get_error();
  std::string detail = code != 0 ? ERR_error_string(code, nullptr) : "no OpenSSL error queued";
  ERR_clear_error();
  throw Error(ErrorKind::permanent, fmt::format("crypto: OpenSSL {} failed: {}", what, detail),
              "Check that the OpenSSL 3 default provider is installed (Debian package libssl3).");
}

void check(int rc, std::string_view what) {
  if (rc != 1) {
    fail(what);
  }
}

OSSL_PARAM octets(const char* key, ByteView v) {
  // OpenSSL does not write through these pointers; its API is simply not const-correct.
  return OSSL_PARAM_construct_octet_string(key, const_cast<std::uint8_t*>(v.data()), v.size());
}

void derive(const char* algorithm, OSSL_PARAM* params, std::span<std::uint8_t> out) {
  Kdf kdf(EVP_KDF_fetch(nullptr, algorithm, nullptr));
  if (!kdf) {
    fail(fmt::format("fetch of {}", algorithm));
  }
  KdfCtx ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) {
    fail(fmt::format("{} context", algorithm));
  }
  check(EVP_KDF_derive(ctx.get(), out.data(), out.size(), params), algorithm);
}

EVP_CIPHER_CTX* keyed_context(const EVP_CIPHER* cipher, const std::uint8_t* key, int encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) {
    fail("cipher context");
  }
  if (EVP_CipherInit_ex2(ctx, cipher, key, nullptr, encrypt, nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    fail("ChaCha20-Poly1305 key setup");
  }
  return ctx;
}

} // namespace

void random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) {
    return;
  }
  check(RAND_bytes(out.data(), static_cast<int>(out.size())), "random number generator");
}

void x25519_public(std::span<const std::uint8_t, k_x25519_size> scalar,
                   std::span<std::uint8_t, k_x25519_size> public_key) {
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, scalar.data(), scalar.size()));
  if (!key) {
    fail("X25519 private key");
  }
  std::size_t len = public_key.size();
  check(EVP_PKEY_get_raw_public_key(key.get(), public_key.data(), &len), "X25519 public key");
  LIFEBOAT_ASSERT(len == k_x25519_size);
}

bool x25519_shared(std::span<const std::uint8_t, k_x25519_size> scalar,
                   std::span<const std::uint8_t, k_x25519_size> point,
                   std::span<std::uint8_t, k_x25519_size> shared) {
  Pkey own(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, scalar.data(), scalar.size()));
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, point.data(), point.size()));
  if (!own || !peer) {
    fail("X25519 key");
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new(own.get(), nullptr));
  if (!ctx) {
    fail("X25519 context");
  }
  check(EVP_PKEY_derive_init(ctx.get()), "X25519 derive");
  check(EVP_PKEY_derive_set_peer(ctx.get(), peer.get()), "X25519 peer");
  std::size_t len = shared.size();
  // OpenSSL itself refuses an all-zero result (RFC 7748 section 6.1), which is
  // exactly the check age requires; the explicit test below keeps us honest if
  // a provider ever stops doing so.
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1) {
    ERR_clear_error();
    return false;
  }
  LIFEBOAT_ASSERT(len == k_x25519_size);
  std::uint8_t any = 0;
  for (std::uint8_t b : shared) {
    any |= b;
  }
  return any != 0;
}

void hkdf_sha256(ByteView ikm, ByteView salt, std::string_view info, std::span<std::uint8_t> out) {
  OSSL_PARAM params[5];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  *p++ = octets(OSSL_KDF_PARAM_KEY, ikm);
  // An absent salt is HKDF's default (HashLen zeros), the same as an empty one.
  if (!salt.empty()) {
    *p++ = octets(OSSL_KDF_PARAM_SALT, salt);
  }
  *p++ = octets(OSSL_KDF_PARAM_INFO, as_view(info));
  *p = OSSL_PARAM_construct_end();
  derive("HKDF", params, out);
}

void hmac_sha256(ByteView key, ByteView data, std::span<std::uint8_t, 32> out) {
  std::size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), data.data(),
                data.size(), out.data(), out.size(), &len) == nullptr) {
    fail("HMAC-SHA-256");
  }
  LIFEBOAT_ASSERT(len == out.size());
}

void scrypt(std::string_view passphrase, ByteView salt, int log_n, std::span<std::uint8_t> out) {
  LIFEBOAT_ASSERT(log_n > 0 && log_n < 64);
  std::uint64_t n = std::uint64_t{1} << log_n;
  std::uint32_t r = 8;
  std::uint32_t parallel = 1;
  // OpenSSL refuses above 32 MiB unless told; allow what N and r need (128*r*N for
  // V, plus the block buffers) and a little slack.
  std::uint64_t maxmem = 128 * std::uint64_t{r} * (n + 2) + 1024 * 1024;
  OSSL_PARAM params[7];
  OSSL_PARAM* p = params;
  *p++ = octets(OSSL_KDF_PARAM_PASSWORD, as_view(passphrase));
  *p++ = octets(OSSL_KDF_PARAM_SALT, salt);
  *p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
  *p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
  *p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &parallel);
  *p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
  *p = OSSL_PARAM_construct_end();
  derive("SCRYPT", params, out);
}

bool equal_in_constant_time(ByteView a, ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

ChaChaPoly::ChaChaPoly(std::span<const std::uint8_t, k_aead_key_size> key) {
  // Fetched once per key: the implicit fetch of EVP_chacha20_poly1305() would
  // repeat the provider lookup for every chunk.
  Cipher cipher(EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr));
  if (!cipher) {
    fail("fetch of ChaCha20-Poly1305");
  }
  m_encrypt = keyed_context(cipher.get(), key.data(), 1);
  try {
    m_decrypt = keyed_context(cipher.get(), key.data(), 0);
  } catch (...) {
    EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(m_encrypt));
    throw;
  }
}

ChaChaPoly::~ChaChaPoly() {
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(m_encrypt));
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(m_decrypt));
}

void ChaChaPoly::seal(std::span<const std::uint8_t, k_aead_nonce_size> nonce, ByteView plain,
                      std::uint8_t* out) {
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(m_encrypt);
  // A new nonce on the keyed context resets the Poly1305 state for this message.
  check(EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 1, nullptr), "ChaCha20 nonce");
  int len = 0;
  if (!plain.empty()) {
    check(EVP_EncryptUpdate(ctx, out, &len, plain.data(), static_cast<int>(plain.size())),
          "ChaCha20-Poly1305 encrypt");
  }
  int tail = 0;
  check(EVP_EncryptFinal_ex(ctx, out + len, &tail), "ChaCha20-Poly1305 final");
  LIFEBOAT_ASSERT(static_cast<std::size_t>(len + tail) == plain.size());
  check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, k_aead_tag_size, out + plain.size()),
        "Poly1305 tag");
}

bool ChaChaPoly::open(std::span<const std::uint8_t, k_aead_nonce_size> nonce, ByteView sealed,
                      std::uint8_t* out) {
  LIFEBOAT_ASSERT(sealed.size() >= k_aead_tag_size);
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(m_decrypt);
  std::size_t n = sealed.size() - k_aead_tag_size;
  check(EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 0, nullptr), "ChaCha20 nonce");
  int len = 0;
  if (n > 0) {
    check(EVP_DecryptUpdate(ctx, out, &len, sealed.data(), static_cast<int>(n)),
          "ChaCha20-Poly1305 decrypt");
  }
  check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, k_aead_tag_size,
                            const_cast<std::uint8_t*>(sealed.data() + n)),
        "Poly1305 tag");
  int tail = 0;
  if (EVP_DecryptFinal_ex(ctx, out + len, &tail) != 1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

} // namespace lifeboat::crypto
