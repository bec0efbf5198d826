#include <fmt/format.h>
#include <openssl/evp.h>

#include "codec/codec.hpp"
#include "util/strings.hpp"

namespace lifeboat::codec {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
  auto* ctx = static_cast<EVP_MD_CTX*>(m_ctx);
  LIFEBOAT_ASSERT(ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(m_ctx)); }

void Sha256::observe(pipeline::Bytes bytes) {
  LIFEBOAT_ASSERT(m_hex.empty());
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(m_ctx), bytes.data(), bytes.size());
}

void Sha256::finish() {
  if (!m_hex.empty()) {
    return;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  LIFEBOAT_ASSERT(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(m_ctx), digest, &len) == 1);
  m_hex = to_hex(std::span<const unsigned char>(digest, len));
}

const std::string& Sha256::hex() const {
  LIFEBOAT_ASSERT(!m_hex.empty());
  return m_hex;
}

ProgressObserver::ProgressObserver(std::function<void(std::uint64_t)> on_bytes,
                                   std::uint64_t every)
    : m_on_bytes(std::move(on_bytes)), m_every(every), m_next(every) {}

void ProgressObserver::observe(pipeline::Bytes bytes) {
  m_total += bytes.size();
  if (m_total >= m_next) {
    m_on_bytes(m_total);
    m_next = m_total + m_every;
  }
}

void ProgressObserver::finish() { m_on_bytes(m_total); }

Sha256Verifier::Sha256Verifier(std::string expected_hex, std::string object)
    : m_expected(std::move(expected_hex)), m_object(std::move(object)) {}

void Sha256Verifier::observe(pipeline::Bytes bytes) { m_sha.observe(bytes); }

void Sha256Verifier::finish() {
  m_sha.finish();
  if (m_sha.hex() != m_expected) {
    throw Error(ErrorKind::integrity,
                fmt::format("checksum mismatch for '{}': expected {}, got {}", m_object,
                            m_expected, m_sha.hex()),
                "The stored object is damaged or was changed; restore from another backup.");
  }
}

} // namespace lifeboat::codec
