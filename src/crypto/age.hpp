// crypto/age: the age file format (age-encryption.org/v1, c2sp.org/age) as two
// streaming pipeline transforms, AgeEncryptor and AgeDecryptor, plus X25519 keys
// and scrypt passphrases. Files we write are read by `age -d`; files `age` writes
// are read by us. Memory stays constant whatever the payload size: one 64 KiB
// chunk in, one out.
//
// This module never does IO, never logs, and never puts key material (secret
// keys, file keys, passphrases) into a message or a formattable value.
//
// File grammar (binary form; the armored form is the same bytes in strict PEM,
// label "AGE ENCRYPTED FILE", 64 columns, padded canonical base64, LF or CRLF):
//
//   file      = header nonce payload
//   header    = "age-encryption.org/v1" LF 1*stanza "---" SP mac LF
//   stanza    = "-> " arg *(SP arg) LF *(64b64 LF) (0-63)b64 LF  ; body wrapped at 64
//   arg       = 1*VCHAR
//   mac       = 43b64         ; HMAC-SHA-256(HKDF(file key, "", "header"), header up to "---")
//   nonce     = 16 random bytes
//   payload   = *full-chunk final-chunk
//   chunk     = ChaCha20-Poly1305(HKDF(file key, nonce, "payload"),
//                                 counter (11 bytes, big endian) || last (0x00 / 0x01),
//                                 plaintext) ; 64 KiB of plaintext + 16-byte tag
//   b64       = unpadded canonical base64
//
// The final chunk is shorter than 64 KiB or exactly 64 KiB; it is empty only when
// the whole payload is empty. Recipient stanzas we write and read:
//
//   -> X25519 <ephemeral share, 32 bytes>      body: wrapped file key (32 bytes)
//   -> scrypt <salt, 16 bytes> <log2 N, [1-9][0-9]*>  body: wrapped file key; alone in a file
//
// Other stanza types (plugins, post-quantum, grease) are skipped when decrypting.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"
#include "util/secret.hpp"

namespace lifeboat::crypto {

inline constexpr int k_default_work_factor = 18; // scrypt log2(N) we write: about 1 s, 256 MiB
inline constexpr int k_max_work_factor = 22;     // the most we accept by default, as age does

// ---- keys --------------------------------------------------------------------

// An age X25519 public key, "age1..." (Bech32, HRP "age").
class X25519Recipient {
public:
  explicit X25519Recipient(std::span<const std::uint8_t, 32> public_key);
  std::string to_string() const; // "age1..."
  std::span<const std::uint8_t, 32> public_key() const { return m_public; }
  friend bool operator==(const X25519Recipient&, const X25519Recipient&) = default;

private:
  std::array<std::uint8_t, 32> m_public;
};

// Parses an "age1..." recipient. Errors name the text (a public key is not a
// secret) and say what is wrong: not Bech32, checksum, post-quantum "age1pq1",
// an SSH key, a secret key given where a public key belongs.
Result<X25519Recipient> parse_recipient(std::string_view text);

// An age X25519 secret key. The scalar lives in a wiped buffer; the class has no
// formatter, and the only text form is to_string(), which returns a Secret.
class X25519Identity {
public:
  // A new random identity (OpenSSL's CSPRNG). Throws Error{permanent} if that fails.
  static X25519Identity generate();
  // Parses "AGE-SECRET-KEY-1..." (either case). Errors never contain the key text.
  static Result<X25519Identity> parse(std::string_view text);

  // "AGE-SECRET-KEY-1..." for age-keygen style files; reveal() only to write it.
  Secret to_string() const;
  // The matching public key, "age1...".
  std::string recipient_string() const;
  X25519Recipient recipient() const { return X25519Recipient(m_public); }

  std::span<const std::uint8_t, 32> scalar() const { return m_scalar.span(); }
  std::span<const std::uint8_t, 32> public_key() const { return m_public; }

private:
  explicit X25519Identity(const SecretBytes<32>& scalar);
  SecretBytes<32> m_scalar;
  std::array<std::uint8_t, 32> m_public;
};

// Parses an identity file as age-keygen writes it: lines starting with '#',
// blank lines, and one or more AGE-SECRET-KEY-1 lines (LF or CRLF). Anything
// else is an error naming the line number (never its content, which may be a
// key). An empty result is an error too.
Result<std::vector<X25519Identity>> parse_identity_file(std::string_view text);

// ---- errors ------------------------------------------------------------------

// Why decryption failed. The testkit's outcomes map onto these: armor ("armor
// failure"), header ("header failure"), no_match and wrong_passphrase ("no
// match"), header_mac ("HMAC failure"), payload, truncated and trailing_data
// ("payload failure").
enum class AgeFailure {
  armor,            // the ASCII armor is malformed                     (integrity)
  header,           // the header is malformed or refused               (integrity)
  no_match,         // no identity unwraps any stanza                   (config)
  wrong_passphrase, // the file is passphrase-encrypted, the passphrase is wrong (config)
  header_mac,       // the header MAC does not verify                   (integrity)
  payload,          // a payload chunk fails authentication             (integrity)
  truncated,        // the payload ends without a valid final chunk     (integrity)
  trailing_data,    // bytes follow the final chunk                     (integrity)
};

std::string_view to_string(AgeFailure failure);

// What AgeDecryptor throws: a lifeboat::Error with the failure class attached.
// Missing or wrong keys are ErrorKind::config (the identity or passphrase comes
// from the configuration); everything about the bytes is ErrorKind::integrity.
class AgeError final : public Error {
public:
  AgeError(AgeFailure failure, std::string message, std::string hint = {});
  AgeFailure failure() const { return m_failure; }

private:
  AgeFailure m_failure;
};

// The recipient stanzas of a file, for messages such as "encrypted to 2 X25519
// recipients, none of which matches". X25519 stanzas do not reveal their public
// key, so only their number is known.
struct StanzaSummary {
  std::size_t x25519 = 0;
  bool scrypt = false;
  int scrypt_work_factor = 0;           // log2(N), when scrypt
  std::vector<std::string> other_types; // first argument of every other stanza
  // "2 X25519 recipients", "a passphrase (scrypt, work factor 2^18)",
  // "1 X25519 recipient and 1 'piv-p256' recipient".
  std::string describe() const;
};

// ---- transforms --------------------------------------------------------------

struct AgeEncryptOptions {
  std::vector<X25519Recipient> recipients; // one X25519 stanza each
  std::optional<Secret> passphrase;        // an scrypt stanza; MUST then be the only one
  int work_factor = k_default_work_factor; // scrypt log2(N), 1..22 (age refuses more)
};

// Encrypts a stream to the recipients or the passphrase. The header (random file
// key, one stanza per recipient, MAC) and the payload nonce are produced first;
// then 64 KiB chunks. A chunk is held back until more input or finish() shows
// whether it is the last one, so an exact multiple of 64 KiB ends with a full
// final chunk and an empty input is one empty final chunk.
// The constructor throws Error{config} for no recipient, a passphrase combined
// with recipients, an empty passphrase or a work factor out of range; deriving
// the scrypt key happens there (about a second at the default work factor).
class AgeEncryptor final : public pipeline::Transform {
public:
  explicit AgeEncryptor(const AgeEncryptOptions& options);
  ~AgeEncryptor() override;
  std::string_view name() const override { return "age"; }
  std::size_t process(pipeline::Bytes in, pipeline::Buffer& out) override;
  bool finish(pipeline::Buffer& out) override;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

struct AgeDecryptOptions {
  std::vector<X25519Identity> identities;
  std::optional<Secret> passphrase;
  int max_work_factor = k_max_work_factor; // refuse scrypt stanzas above this log2(N)
  std::string object;          // named in messages: "s3://bucket/app/app-….db.zst.age"
  std::string identity_source; // where identities came from, named in messages: "/etc/key.txt"
};

// Decrypts a binary or armored age file (armor is recognised when the input does
// not start with "age-encryption.org/"). The header is parsed incrementally, so it
// may arrive split at any byte. Plaintext is released one authenticated chunk at
// a time; whatever was released before an error is authentic. Throws AgeError:
// see AgeFailure for the classes and kinds. Identities and the passphrase are
// wiped as soon as the header has been unwrapped.
class AgeDecryptor final : public pipeline::Transform {
public:
  explicit AgeDecryptor(AgeDecryptOptions options);
  ~AgeDecryptor() override;
  std::string_view name() const override { return "age-decode"; }
  std::size_t process(pipeline::Bytes in, pipeline::Buffer& out) override;
  bool finish(pipeline::Buffer& out) override;

  // The stanzas of the file, once its header has been parsed (also after a
  // no-match error, so a caller can phrase its own message).
  const std::optional<StanzaSummary>& stanzas() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

static_assert(std::derived_from<AgeEncryptor, pipeline::Transform>);
static_assert(std::derived_from<AgeDecryptor, pipeline::Transform>);

} // namespace lifeboat::crypto
