// crypto/header: the textual age header (grammar in age.hpp): an incremental,
// strict parser that accepts the header split at any byte, and the encoder.
//
// This layer checks syntax only (version line, stanza lines, canonical base64,
// 64-column body lines, the MAC line). What a stanza means, and the MAC itself,
// are checked by the decryptor, which has the keys. It never holds key material.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace lifeboat::crypto {

struct Stanza {
  std::vector<std::string> args; // args[0] is the type ("X25519", "scrypt", ...)
  std::vector<std::uint8_t> body;
};

// Appends "-> args...\n" and the body in base64 wrapped at 64 columns, ending
// with a short (possibly empty) line.
void format_stanza(const Stanza& stanza, std::string& out);

class HeaderParser {
public:
  // The largest header accepted: generous for many recipients and post-quantum
  // stanzas (about 1.6 KiB each), and a bound on memory for hostile input.
  static constexpr std::size_t k_max_size = 1024 * 1024;
  // Each X25519 stanza costs the decryptor a key agreement per identity: a header of
  // hundreds of thousands of tiny stanzas would be seconds of CPU. age's own tools
  // write one per recipient; lifeboat's config holds a handful.
  static constexpr std::size_t k_max_stanzas = 1024;
  static constexpr std::size_t k_max_args = 64; // per stanza (age's types use 1 or 2)

  // Consumes bytes up to and including the MAC line's LF (never beyond it).
  // Returns the count consumed, or a message (lowercase, no object) on a syntax error.
  Result<std::size_t> feed(std::span<const std::uint8_t> in);
  // True once the MAC line has been read.
  bool done() const { return m_done; }
  // True while no byte has been fed.
  bool empty() const { return m_size == 0; }
  // Explains why the input ended inside the header (for finish()).
  std::string truncation_message() const;

  const std::vector<Stanza>& stanzas() const { return m_stanzas; }
  // The header bytes the MAC covers: everything up to and including "---".
  std::string_view mac_input() const { return m_mac_input; }
  const std::array<std::uint8_t, 32>& mac() const { return m_mac; }

private:
  Result<void> line(std::string_view text);

  std::string m_line;        // the line being assembled
  std::string m_mac_input;   // all complete lines so far, then + "---"
  std::size_t m_size = 0;    // bytes consumed
  std::size_t m_line_no = 0; // complete lines so far
  bool m_in_body = false;    // the last stanza has not had its short line yet
  bool m_done = false;
  std::vector<Stanza> m_stanzas;
  std::array<std::uint8_t, 32> m_mac{};
};

} // namespace lifeboat::crypto
