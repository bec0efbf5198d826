// The age key schedule and the pieces shared by AgeEncryptor and AgeDecryptor:
// errors, the stanza summary, STREAM nonces and file-key wrapping.
#include "crypto/age.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "crypto/age_internal.hpp"

namespace lifeboat::crypto {

std::string_view to_string(AgeFailure failure) {
  switch (failure) {
  case AgeFailure::armor:
    return "armor";
  case AgeFailure::header:
    return "header";
  case AgeFailure::no_match:
    return "no_match";
  case AgeFailure::wrong_passphrase:
    return "wrong_passphrase";
  case AgeFailure::header_mac:
    return "header_mac";
  case AgeFailure::payload:
    return "payload";
  case AgeFailure::truncated:
    return "truncated";
  case AgeFailure::trailing_data:
    return "trailing_data";
  }
  return "unknown";
}

namespace {

ErrorKind kind_of(AgeFailure failure) {
  // A missing or wrong key comes from the configuration (identity file,
  // passphrase); everything else is about the bytes.
  return failure == AgeFailure::no_match || failure == AgeFailure::wrong_passphrase
             ? ErrorKind::config
             : ErrorKind::integrity;
}

} // namespace

AgeError::AgeError(AgeFailure failure, std::string message, std::string hint)
    : Error(kind_of(failure), std::move(message), std::move(hint)), m_failure(failure) {}

std::string StanzaSummary::describe() const {
  if (scrypt) {
    return fmt::format("a passphrase (scrypt, work factor 2^{})", scrypt_work_factor);
  }
  std::vector<std::string> parts;
  if (x25519 > 0) {
    parts.push_back(fmt::format("{} X25519 recipient{}", x25519, x25519 == 1 ? "" : "s"));
  }
  // Group other types: "2 'piv-p256' recipients".
  std::vector<std::pair<std::string, std::size_t>> counts;
  for (const auto& type : other_types) {
    auto it =
        std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == type; });
    if (it == counts.end()) {
      counts.emplace_back(type, 1);
    } else {
      ++it->second;
    }
  }
  for (const auto& [type, n] : counts) {
    parts.push_back(fmt::format("{} '{}' recipient{}", n, type, n == 1 ? "" : "s"));
  }
  if (parts.empty()) {
    return "no recipient";
  }
  std::string out = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) {
    out += i + 1 == parts.size() ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

namespace detail {

Nonce stream_nonce(std::uint64_t counter, bool last) {
  Nonce nonce{};
  // Bytes 0..2 of the 11-byte counter stay zero: 2^64 chunks is 1 ZiB.
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

SecretBytes<32> payload_key(const FileKey& file_key, ByteView nonce) {
  SecretBytes<32> key;
  hkdf_sha256(file_key.span(), nonce, "payload", key.span());
  return key;
}

std::array<std::uint8_t, 32> header_mac(const FileKey& file_key, std::string_view mac_input) {
  SecretBytes<32> key;
  hkdf_sha256(file_key.span(), {}, "header", key.span());
  std::array<std::uint8_t, 32> mac{};
  hmac_sha256(key.span(), as_view(mac_input), mac);
  return mac;
}

std::array<std::uint8_t, k_wrapped_key_size> wrap_file_key(const SecretBytes<32>& wrap_key,
                                                           const FileKey& file_key) {
  std::array<std::uint8_t, k_wrapped_key_size> body{};
  ChaChaPoly aead(wrap_key.span());
  Nonce zero{};
  aead.seal(zero, file_key.span(), body.data());
  return body;
}

bool unwrap_file_key(const SecretBytes<32>& wrap_key, ByteView body, FileKey& file_key) {
  LIFEBOAT_ASSERT(body.size() == k_wrapped_key_size);
  ChaChaPoly aead(wrap_key.span());
  Nonce zero{};
  FileKey candidate;
  if (!aead.open(zero, body, candidate.data())) {
    return false;
  }
  file_key = candidate;
  return true;
}

SecretBytes<32> x25519_wrap_key(const SecretBytes<32>& shared, ByteView share, ByteView recipient) {
  std::array<std::uint8_t, 2 * k_x25519_size> salt{};
  LIFEBOAT_ASSERT(share.size() == k_x25519_size && recipient.size() == k_x25519_size);
  std::copy(share.begin(), share.end(), salt.begin());
  std::copy(recipient.begin(), recipient.end(), salt.begin() + k_x25519_size);
  SecretBytes<32> key;
  hkdf_sha256(shared.span(), salt, k_x25519_label, key.span());
  return key;
}

SecretBytes<32> scrypt_wrap_key(std::string_view passphrase, ByteView salt, int work_factor) {
  std::vector<std::uint8_t> full(k_scrypt_label.begin(), k_scrypt_label.end());
  full.insert(full.end(), salt.begin(), salt.end());
  SecretBytes<32> key;
  scrypt(passphrase, full, work_factor, key.span());
  return key;
}

} // namespace detail
} // namespace lifeboat::crypto
