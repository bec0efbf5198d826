// AgeEncryptor: header first, then STREAM chunks. Memory: one 64 KiB plaintext
// chunk being filled and one sealed chunk waiting for room in the output.
//
// Why a chunk is held back: a chunk's nonce says whether it is the last one, and
// process() cannot know that. A full chunk is therefore sealed (as not last) only
// when at least one more input byte arrives; whatever is held at finish() is
// sealed as the final chunk. This gives exactly the two edge cases age requires:
// an empty payload is one empty final chunk, and a payload that is a multiple of
// 64 KiB ends with a full final chunk, never with an empty one.
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "crypto/age.hpp"
#include "crypto/age_internal.hpp"
#include "crypto/base64.hpp"
#include "crypto/header.hpp"

namespace lifeboat::crypto {

using namespace detail;

struct AgeEncryptor::State {
  std::unique_ptr<ChaChaPoly> aead;
  std::vector<std::uint8_t> plain = std::vector<std::uint8_t>(k_chunk_size); // chunk being filled
  std::size_t plain_size = 0;
  std::vector<std::uint8_t> sealed; // bytes waiting for room in `out` (header, then a chunk)
  std::size_t sealed_pos = 0;
  std::uint64_t counter = 0;
  bool final_sealed = false;

  ~State() { secure_wipe(plain.data(), plain.size()); }

  // Copies waiting bytes into `out`; true when nothing is left waiting.
  bool drain(pipeline::Buffer& out) {
    std::size_t n = std::min(sealed.size() - sealed_pos, out.space());
    if (n > 0) {
      out.append(
          pipeline::Bytes(reinterpret_cast<const std::byte*>(sealed.data() + sealed_pos), n));
      sealed_pos += n;
    }
    if (sealed_pos == sealed.size()) {
      sealed.clear();
      sealed_pos = 0;
      return true;
    }
    return false;
  }

  // Seals one chunk, straight into `out` when it fits, else into `sealed` (which
  // MUST be empty) to be drained.
  void seal_into(ByteView chunk, bool last, pipeline::Buffer& out) {
    LIFEBOAT_ASSERT(sealed.empty() && chunk.size() <= k_chunk_size && !final_sealed);
    Nonce nonce = stream_nonce(counter++, last);
    std::size_t n = chunk.size() + k_aead_tag_size;
    if (out.space() >= n) {
      aead->seal(nonce, chunk, reinterpret_cast<std::uint8_t*>(out.free_space().data()));
      out.commit(n);
    } else {
      sealed.resize(n);
      aead->seal(nonce, chunk, sealed.data());
    }
    final_sealed = last;
  }
};

AgeEncryptor::AgeEncryptor(const AgeEncryptOptions& options) : m_state(std::make_unique<State>()) {
  bool passphrase = options.passphrase.has_value();
  if (!passphrase && options.recipients.empty()) {
    throw Error(ErrorKind::config, "age: nothing to encrypt to: no recipient and no passphrase",
                "Give at least one age recipient (age1...) or a passphrase.");
  }
  if (passphrase && !options.recipients.empty()) {
    throw Error(ErrorKind::config,
                "age: a passphrase cannot be combined with recipients in one file",
                "age allows an scrypt (passphrase) stanza only on its own; use either "
                "recipients or a passphrase.");
  }
  if (passphrase && options.passphrase->empty()) {
    throw Error(ErrorKind::config, "age: the passphrase is empty");
  }
  if (passphrase && (options.work_factor < 1 || options.work_factor > k_max_work_factor)) {
    throw Error(ErrorKind::config,
                fmt::format("age: scrypt work factor {} is outside 1..{}", options.work_factor,
                            k_max_work_factor),
                "age refuses to decrypt files above 2^22, so lifeboat does not write them.");
  }

  FileKey file_key;
  random_bytes(file_key.span());

  std::string header = "age-encryption.org/v1\n";
  for (const auto& recipient : options.recipients) {
    SecretBytes<32> ephemeral;
    random_bytes(ephemeral.span());
    std::array<std::uint8_t, k_x25519_size> share{};
    x25519_public(ephemeral.span(), share);
    SecretBytes<32> shared;
    if (!x25519_shared(ephemeral.span(), recipient.public_key(), shared.span())) {
      throw Error(ErrorKind::config,
                  fmt::format("age: recipient '{}' is not a usable X25519 public key (a "
                              "low-order point)",
                              recipient.to_string()));
    }
    SecretBytes<32> wrap_key = x25519_wrap_key(shared, share, recipient.public_key());
    auto body = wrap_file_key(wrap_key, file_key);
    format_stanza(Stanza{{"X25519", base64_encode(share)}, {body.begin(), body.end()}}, header);
  }
  if (passphrase) {
    std::array<std::uint8_t, 16> salt{};
    random_bytes(salt);
    SecretBytes<32> wrap_key =
        scrypt_wrap_key(options.passphrase->reveal(), salt, options.work_factor);
    auto body = wrap_file_key(wrap_key, file_key);
    format_stanza(Stanza{{"scrypt", base64_encode(salt), std::to_string(options.work_factor)},
                         {body.begin(), body.end()}},
                  header);
  }
  header += "---";
  auto mac = header_mac(file_key, header);
  header += ' ';
  header += base64_encode(mac);
  header += '\n';

  std::array<std::uint8_t, k_payload_nonce_size> nonce{};
  random_bytes(nonce);
  SecretBytes<32> key = payload_key(file_key, nonce);
  m_state->aead = std::make_unique<ChaChaPoly>(key.span());

  auto& s = *m_state;
  s.sealed.reserve(std::max(header.size() + nonce.size(), k_sealed_chunk_size));
  s.sealed.assign(header.begin(), header.end());
  s.sealed.insert(s.sealed.end(), nonce.begin(), nonce.end());
}

AgeEncryptor::~AgeEncryptor() = default;

std::size_t AgeEncryptor::process(pipeline::Bytes in, pipeline::Buffer& out) {
  auto& s = *m_state;
  LIFEBOAT_ASSERT(!s.final_sealed);
  const auto* data = reinterpret_cast<const std::uint8_t*>(in.data());
  std::size_t used = 0;
  while (s.drain(out) && used < in.size()) {
    std::size_t left = in.size() - used;
    if (s.plain_size == k_chunk_size) {
      // More input exists, so the held chunk is not the last one.
      s.seal_into(ByteView(s.plain.data(), k_chunk_size), false, out);
      s.plain_size = 0;
    } else if (s.plain_size == 0 && left > k_chunk_size) {
      // A whole chunk with more input after it: sealed straight from the input.
      s.seal_into(ByteView(data + used, k_chunk_size), false, out);
      used += k_chunk_size;
    } else {
      std::size_t take = std::min(left, k_chunk_size - s.plain_size);
      std::memcpy(s.plain.data() + s.plain_size, data + used, take);
      s.plain_size += take;
      used += take;
    }
  }
  return used;
}

bool AgeEncryptor::finish(pipeline::Buffer& out) {
  auto& s = *m_state;
  if (!s.drain(out)) {
    return false;
  }
  if (s.final_sealed) {
    return true;
  }
  // Whatever is held is the final chunk: empty only when the whole payload is.
  s.seal_into(ByteView(s.plain.data(), s.plain_size), true, out);
  s.plain_size = 0;
  return s.drain(out);
}

} // namespace lifeboat::crypto
