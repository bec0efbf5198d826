// crypto/secret_bytes: a fixed-size buffer for key material (X25519 scalars, the
// age file key, wrap and payload keys) that is wiped when it goes away.
//
// It has no formatter and no conversion to text, so key bytes cannot reach a log
// line by accident; copies are wiped independently. It never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "util/secret.hpp"

namespace lifeboat::crypto {

template <std::size_t N> class SecretBytes {
public:
  SecretBytes() { m_data.fill(0); }
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  ~SecretBytes() { wipe(); }

  std::uint8_t* data() { return m_data.data(); }
  const std::uint8_t* data() const { return m_data.data(); }
  static constexpr std::size_t size() { return N; }
  std::span<std::uint8_t, N> span() { return std::span<std::uint8_t, N>(m_data); }
  std::span<const std::uint8_t, N> span() const { return std::span<const std::uint8_t, N>(m_data); }
  void wipe() { secure_wipe(m_data.data(), N); }

private:
  std::array<std::uint8_t, N> m_data;
};

} // namespace lifeboat::crypto
