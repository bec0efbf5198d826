// crypto/armor: a streaming decoder for age's ASCII armor, the strict PEM form of
// RFC 7468 with the label "AGE ENCRYPTED FILE":
//
//   armor = *WSP-or-EOL "-----BEGIN AGE ENCRYPTED FILE-----" EOL
//           *(64b64 EOL) [final EOL]          ; final = 4..64 padded base64, '=' only here
//           "-----END AGE ENCRYPTED FILE-----" [EOL] *WSP-or-EOL
//   EOL   = LF / CRLF
//
// Nothing else is accepted: no headers, no empty or indented lines, no trailing
// spaces, no short line before the last, no PGP checksum, canonical base64 only.
// (A lenient armor parser would make armored files malleable.) It only decodes;
// it knows nothing of the age header inside.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace lifeboat::crypto {

class ArmorDecoder {
public:
  // Consumes armored text and appends the decoded bytes to `out`, stopping after
  // the line that brings out.size() to at least `limit` (a line adds at most 48).
  // Returns the text bytes consumed or a message (lowercase, no object).
  Result<std::size_t> feed(std::span<const std::uint8_t> text, std::vector<std::uint8_t>& out,
                           std::size_t limit);
  // At the end of the input: a message unless the END line was seen.
  Result<void> finish() const;

private:
  enum class Phase { leading, begin, body, trailing };
  Result<void> end_of_line(std::vector<std::uint8_t>& out);

  Phase m_phase = Phase::leading;
  std::string m_line;
  std::size_t m_line_no = 1;
  bool m_must_end = false; // the last data line was short or padded: only END may follow
};

} // namespace lifeboat::crypto
