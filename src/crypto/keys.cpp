// X25519 identities and recipients in their Bech32 text forms, and age-keygen
// style identity files. Secret key text is never echoed: errors about an identity
// say which line failed and why, never what the line held.
#include <fmt/format.h>

#include "crypto/age.hpp"
#include "crypto/bech32.hpp"
#include "crypto/primitives.hpp"
#include "util/secret.hpp"

namespace lifeboat::crypto {
namespace {

constexpr std::string_view k_recipient_hrp = "age";
constexpr std::string_view k_identity_hrp = "age-secret-key-";

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    char l = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (l != prefix[i]) {
      return false;
    }
  }
  return true;
}

// A public key may be quoted in a message, but not at any length.
std::string shorten(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 72)) {
    out.push_back(c >= 32 && c <= 126 ? c : '?');
  }
  if (text.size() > 72) {
    out += "...";
  }
  return out;
}

} // namespace

X25519Recipient::X25519Recipient(std::span<const std::uint8_t, 32> public_key) {
  std::copy(public_key.begin(), public_key.end(), m_public.begin());
}

std::string X25519Recipient::to_string() const {
  return bech32_encode(k_recipient_hrp, m_public);
}

Result<X25519Recipient> parse_recipient(std::string_view text) {
  if (text.empty()) {
    return unexpected(std::string("an empty string is not an age recipient (age1...)"));
  }
  if (starts_with_nocase(text, "age-secret-key-") || starts_with_nocase(text, "age-plugin-")) {
    // Never quote it: this is somebody's secret key in the wrong place.
    return unexpected(
        std::string("a secret key was given where a recipient belongs; use its public key "
                    "(age1..., printed by 'age-keygen -y')"));
  }
  if (text.starts_with("ssh-") || text.starts_with("ecdsa-")) {
    return unexpected(fmt::format("'{}' is an SSH public key; only age X25519 recipients "
                                  "(age1...) are supported",
                                  shorten(text)));
  }
  auto decoded = bech32_decode(text);
  if (!decoded) {
    return unexpected(
        fmt::format("'{}' is not a valid age recipient: {}", shorten(text), decoded.error()));
  }
  if (decoded->hrp == "age1pq") {
    return unexpected(fmt::format("'{}' is a post-quantum recipient (age1pq1...), which is not "
                                  "supported; use an X25519 recipient (age1...)",
                                  shorten(text)));
  }
  if (decoded->hrp.starts_with("age1")) {
    return unexpected(fmt::format("'{}' is a plugin or hardware recipient ({}1...), which is not "
                                  "supported; use an X25519 recipient (age1...)",
                                  shorten(text), decoded->hrp));
  }
  if (decoded->hrp != k_recipient_hrp) {
    return unexpected(fmt::format("'{}' is not an age recipient: it starts with '{}1' instead of "
                                  "'age1'",
                                  shorten(text), decoded->hrp));
  }
  if (decoded->data.size() != 32) {
    return unexpected(fmt::format("'{}' is not an age recipient: it holds {} bytes of key, an "
                                  "X25519 key has 32",
                                  shorten(text), decoded->data.size()));
  }
  return X25519Recipient(std::span<const std::uint8_t, 32>(decoded->data.data(), 32));
}

X25519Identity::X25519Identity(const SecretBytes<32>& scalar) : m_scalar(scalar) {
  x25519_public(m_scalar.span(), m_public);
}

X25519Identity X25519Identity::generate() {
  SecretBytes<32> scalar;
  random_bytes(scalar.span());
  return X25519Identity(scalar);
}

Result<X25519Identity> X25519Identity::parse(std::string_view text) {
  if (starts_with_nocase(text, "age1")) {
    return unexpected(
        std::string("it is a public key (age1...), not a secret key (AGE-SECRET-KEY-1...)"));
  }
  if (starts_with_nocase(text, "age-secret-key-pq-")) {
    return unexpected(
        std::string("it is a post-quantum secret key (AGE-SECRET-KEY-PQ-1...), which is not "
                    "supported"));
  }
  if (starts_with_nocase(text, "age-plugin-")) {
    return unexpected(
        std::string("it is a plugin identity (AGE-PLUGIN-...), which is not supported"));
  }
  auto decoded = bech32_decode(text);
  if (!decoded) {
    return unexpected(fmt::format("it is not a valid age secret key: {}", decoded.error()));
  }
  struct Wipe {
    std::vector<std::uint8_t>& v;
    ~Wipe() { secure_wipe(v.data(), v.size()); }
  } wipe{decoded->data};
  if (decoded->hrp != k_identity_hrp) {
    return unexpected(std::string("it is not an age secret key (AGE-SECRET-KEY-1...)"));
  }
  if (decoded->data.size() != 32) {
    return unexpected(fmt::format("it is not an age secret key: it holds {} bytes of key, an "
                                  "X25519 key has 32",
                                  decoded->data.size()));
  }
  SecretBytes<32> scalar;
  std::copy(decoded->data.begin(), decoded->data.end(), scalar.data());
  return X25519Identity(scalar);
}

Secret X25519Identity::to_string() const {
  std::string text = bech32_encode(k_identity_hrp, m_scalar.span());
  // age writes secret keys in upper case; the checksum is over the lower case.
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return Secret(std::move(text));
}

std::string X25519Identity::recipient_string() const {
  return recipient().to_string();
}

Result<std::vector<X25519Identity>> parse_identity_file(std::string_view text) {
  std::vector<X25519Identity> identities;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.starts_with('#')) {
      continue;
    }
    if (line.starts_with("-----BEGIN")) {
      return unexpected(fmt::format("line {} starts a PEM block (an SSH or TLS key?); an identity "
                                    "file holds age secret keys (AGE-SECRET-KEY-1...)",
                                    line_no));
    }
    if (!starts_with_nocase(line, "age-secret-key-") && !starts_with_nocase(line, "age1") &&
        !starts_with_nocase(line, "age-plugin-")) {
      return unexpected(fmt::format("line {} is neither a '#' comment nor an age secret key "
                                    "(AGE-SECRET-KEY-1...)",
                                    line_no));
    }
    auto identity = X25519Identity::parse(line);
    if (!identity) {
      return unexpected(fmt::format("line {}: {}", line_no, identity.error()));
    }
    identities.push_back(std::move(*identity));
  }
  if (identities.empty()) {
    return unexpected(std::string("it holds no age secret key (a line AGE-SECRET-KEY-1...)"));
  }
  return identities;
}

} // namespace lifeboat::crypto
