// AgeDecryptor: probe (binary or armor) -> header -> nonce -> STREAM chunks.
//
// Memory is constant: the header (bounded by HeaderParser::k_max_size), one sealed
// chunk being assembled, one plaintext chunk waiting for room in the output, and
// a few KiB of decoded armor.
//
// The last-chunk rule, as age's reference reader applies it: a sealed chunk
// shorter than 64 KiB + 16 can only be the final one, so it is opened as final
// at finish(). A full-size chunk is opened as "not last" first and, when that
// fails, as "last" (a payload that is a multiple of 64 KiB ends with a full final
// chunk); it is opened only once the next byte, or the end, shows which case
// applies. Plaintext is released a chunk at a time, only after its tag verified.
//
// Errors after released plaintext: the pipeline engine forwards a stage's output
// only when the call returns, so a call that produced output never throws; the
// error is kept and thrown by the next call (and every later one).
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "crypto/age.hpp"
#include "crypto/age_internal.hpp"
#include "crypto/armor.hpp"
#include "crypto/base64.hpp"
#include "crypto/header.hpp"

namespace lifeboat::crypto {

using namespace detail;

namespace {

constexpr std::string_view k_binary_prefix = "age-encryption.org/";
constexpr std::size_t k_armor_batch = 4096; // decoded armor bytes handed on at once

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    out.push_back(c >= 33 && c <= 126 ? c : '?');
  }
  return out;
}

std::string arguments(std::size_t n) {
  return fmt::format("{} argument{}", n, n == 1 ? "" : "s");
}

// "[1-9][0-9]*", at most 63: N = 2^63 is already far beyond any machine.
std::optional<int> parse_work_factor(std::string_view text) {
  if (text.empty() || text.size() > 2 || text[0] < '1' || text[0] > '9') {
    return std::nullopt;
  }
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value < 64 ? std::optional<int>(value) : std::nullopt;
}

} // namespace

struct AgeDecryptor::State {
  enum class Mode { probe, binary, armored };
  enum class Phase { header, nonce, payload, done };

  AgeDecryptOptions options;
  Mode mode = Mode::probe;
  Phase phase = Phase::header;
  std::string probe; // the first bytes, until they show binary or armor

  ArmorDecoder armor;
  std::vector<std::uint8_t> decoded; // armor output not yet taken by the core
  std::size_t decoded_pos = 0;

  HeaderParser header;
  std::optional<StanzaSummary> summary;
  FileKey file_key; // from the header until the payload key is derived
  std::array<std::uint8_t, k_payload_nonce_size> nonce{};
  std::size_t nonce_size = 0;
  std::unique_ptr<ChaChaPoly> aead;

  std::vector<std::uint8_t> chunk = std::vector<std::uint8_t>(k_sealed_chunk_size);
  std::size_t chunk_size = 0;
  std::vector<std::uint8_t> plain = std::vector<std::uint8_t>(k_chunk_size);
  std::size_t plain_pos = 0;
  std::size_t plain_size = 0;
  std::uint64_t counter = 0; // index of the next chunk to open

  std::optional<AgeError> error; // sticky: thrown by every call after the first

  explicit State(AgeDecryptOptions o) : options(std::move(o)) {
    decoded.reserve(k_armor_batch + 64);
  }
  ~State() { secure_wipe(plain.data(), plain.size()); }

  std::string subject() const {
    return options.object.empty() ? std::string("the age file")
                                  : fmt::format("'{}'", options.object);
  }

  [[noreturn]] void fail(AgeFailure failure, std::string message, std::string hint = {}) const {
    throw AgeError(failure, "age: " + std::move(message), std::move(hint));
  }

  // ---- output ----------------------------------------------------------------

  bool drain(pipeline::Buffer& out) {
    std::size_t n = std::min(plain_size - plain_pos, out.space());
    if (n > 0) {
      out.append(pipeline::Bytes(reinterpret_cast<const std::byte*>(plain.data() + plain_pos), n));
      plain_pos += n;
    }
    if (plain_pos == plain_size) {
      plain_pos = plain_size = 0;
      return true;
    }
    return false;
  }

  // Opens one sealed chunk as chunk `counter`, straight into `out` when it fits,
  // else into `plain`. Nothing is released unless the tag verifies.
  bool open_chunk(ByteView sealed, bool last, pipeline::Buffer& out) {
    LIFEBOAT_ASSERT(plain_size == 0 && sealed.size() >= k_aead_tag_size);
    Nonce n = stream_nonce(counter, last);
    std::size_t size = sealed.size() - k_aead_tag_size;
    if (out.space() >= size) {
      if (!aead->open(n, sealed, reinterpret_cast<std::uint8_t*>(out.free_space().data()))) {
        return false;
      }
      out.commit(size);
    } else {
      if (!aead->open(n, sealed, plain.data())) {
        return false;
      }
      plain_size = size;
    }
    ++counter;
    return true;
  }

  [[noreturn]] void fail_chunk() const {
    fail(AgeFailure::payload,
         fmt::format("chunk {} (payload offset {}) of {} failed authentication", counter,
                     counter * k_chunk_size, subject()),
         "The encrypted data was modified or damaged after it was written; use another copy.");
  }

  AgeError truncated_error() const {
    if (counter == 0) {
      return AgeError(
          AgeFailure::truncated,
          fmt::format("age: {} is truncated: it ends before the first payload chunk", subject()));
    }
    return AgeError(AgeFailure::truncated,
                    fmt::format("age: {} is truncated: it ends after chunk {} without a final "
                                "chunk",
                                subject(), counter - 1));
  }

  // A full sealed chunk with at least one more byte after it.
  void open_full_chunk(pipeline::Buffer& out) {
    ByteView sealed(chunk.data(), k_sealed_chunk_size);
    if (open_chunk(sealed, false, out)) {
      chunk_size = 0;
      return;
    }
    if (open_chunk(sealed, true, out)) {
      // A full final chunk followed by more bytes: release it, then the next
      // byte is trailing data.
      chunk_size = 0;
      phase = Phase::done;
      return;
    }
    fail_chunk();
  }

  // ---- header ----------------------------------------------------------------

  [[noreturn]] void malformed_stanza(const std::string& type, std::size_t no,
                                     const std::string& what) const {
    fail(AgeFailure::header,
         fmt::format("header of {} is malformed: {} stanza {} {}", subject(), type, no, what));
  }

  void check_stanzas() {
    const auto& stanzas = header.stanzas();
    StanzaSummary s;
    for (std::size_t i = 0; i < stanzas.size(); ++i) {
      const Stanza& st = stanzas[i];
      const std::string& type = st.args[0];
      std::size_t no = i + 1;
      if (type == "X25519") {
        if (st.args.size() != 2) {
          malformed_stanza(type, no,
                           fmt::format("has {}, 1 expected", arguments(st.args.size() - 1)));
        }
        auto share = base64_decode(st.args[1]);
        if (!share || share->size() != k_x25519_size) {
          malformed_stanza(type, no, "has a share that is not 32 bytes of canonical base64");
        }
        // Checked before any decryption, against partitioning oracles (spec).
        if (st.body.size() != k_wrapped_key_size) {
          malformed_stanza(type, no, fmt::format("wraps {} bytes, 32 expected", st.body.size()));
        }
        ++s.x25519;
      } else if (type == "scrypt") {
        if (st.args.size() != 3) {
          malformed_stanza(type, no,
                           fmt::format("has {}, 2 expected", arguments(st.args.size() - 1)));
        }
        auto salt = base64_decode(st.args[1]);
        if (!salt || salt->size() != 16) {
          malformed_stanza(type, no, "has a salt that is not 16 bytes of canonical base64");
        }
        auto work_factor = parse_work_factor(st.args[2]);
        if (!work_factor) {
          malformed_stanza(type, no,
                           fmt::format("has work factor '{}', not a decimal from 1 to 63",
                                       printable(st.args[2])));
        }
        if (st.body.size() != k_wrapped_key_size) {
          malformed_stanza(type, no, fmt::format("wraps {} bytes, 32 expected", st.body.size()));
        }
        s.scrypt = true;
        s.scrypt_work_factor = *work_factor;
      } else {
        s.other_types.push_back(printable(type));
      }
    }
    if (s.scrypt && stanzas.size() != 1) {
      fail(AgeFailure::header,
           fmt::format("header of {} is malformed: a passphrase (scrypt) stanza must be the only "
                       "stanza, and there are {}",
                       subject(), stanzas.size()));
    }
    summary = std::move(s);
  }

  bool unwrap(FileKey& unwrapped) {
    const auto& stanzas = header.stanzas();
    for (std::size_t i = 0; i < stanzas.size(); ++i) {
      const Stanza& st = stanzas[i];
      if (st.args[0] == "X25519") {
        auto share = *base64_decode(st.args[1]);
        std::span<const std::uint8_t, k_x25519_size> point(share.data(), k_x25519_size);
        for (const auto& identity : options.identities) {
          SecretBytes<32> shared;
          if (!x25519_shared(identity.scalar(), point, shared.span())) {
            fail(AgeFailure::header,
                 fmt::format("header of {} is malformed: X25519 stanza {} has a low-order share",
                             subject(), i + 1));
          }
          SecretBytes<32> wrap_key = x25519_wrap_key(shared, share, identity.public_key());
          if (unwrap_file_key(wrap_key, st.body, unwrapped)) {
            return true;
          }
        }
      } else if (st.args[0] == "scrypt" && options.passphrase) {
        int work_factor = summary->scrypt_work_factor;
        if (work_factor > options.max_work_factor) {
          fail(AgeFailure::header,
               fmt::format("{} asks for scrypt work factor 2^{}, above the limit of 2^{}",
                           subject(), work_factor, options.max_work_factor),
               "Such a work factor takes very long and needs gigabytes of memory; raise the "
               "limit only for a file you trust.");
        }
        auto salt = *base64_decode(st.args[1]);
        SecretBytes<32> wrap_key = scrypt_wrap_key(options.passphrase->reveal(), salt, work_factor);
        if (unwrap_file_key(wrap_key, st.body, unwrapped)) {
          return true;
        }
      }
    }
    return false;
  }

  [[noreturn]] void fail_no_match() const {
    const StanzaSummary& s = *summary;
    std::string hint = "Use the identity whose public key (age1...) was a recipient when the file "
                       "was encrypted; 'age-keygen -y FILE' prints an identity's public key.";
    if (s.scrypt) {
      if (options.passphrase) {
        fail(AgeFailure::wrong_passphrase, fmt::format("wrong passphrase for {}", subject()));
      }
      fail(
          AgeFailure::no_match,
          fmt::format("{} is encrypted with a passphrase, and no passphrase was given", subject()));
    }
    if (options.identities.empty()) {
      fail(
          AgeFailure::no_match,
          fmt::format("{} is encrypted to {}, and {}", subject(), s.describe(),
                      options.passphrase ? "only a passphrase was given" : "no identity was given"),
          hint);
    }
    std::string source = options.identity_source.empty()
                             ? std::string("given")
                             : fmt::format("in '{}'", options.identity_source);
    std::size_t stanzas = s.x25519 + s.other_types.size();
    fail(AgeFailure::no_match,
         fmt::format("{} is encrypted to {}, {} the {} {}", subject(), s.describe(),
                     stanzas == 1 ? "which does not match" : "none of which matches",
                     options.identities.size() == 1 ? "identity" : "identities", source),
         hint);
  }

  void on_header() {
    // Whatever happens next, the identities and the passphrase are not needed
    // again: wipe them now rather than at destruction.
    struct WipeKeys {
      AgeDecryptOptions& o;
      ~WipeKeys() {
        o.identities.clear();
        o.passphrase.reset();
      }
    } wipe_keys{options};
    check_stanzas();
    FileKey unwrapped;
    if (!unwrap(unwrapped)) {
      fail_no_match();
    }
    auto mac = header_mac(unwrapped, header.mac_input());
    if (!equal_in_constant_time(mac, header.mac())) {
      fail(AgeFailure::header_mac,
           fmt::format("header of {} failed authentication: it was tampered with or the key is "
                       "wrong",
                       subject()),
           "The identity opened a stanza, but the header MAC does not match; the header has "
           "been modified.");
    }
    file_key = unwrapped;
    phase = Phase::nonce;
  }

  // ---- the binary core -----------------------------------------------------------

  // Consumes binary age bytes; stops early only when a plaintext chunk is waiting
  // (then it has produced output or released into `plain`).
  std::size_t feed(ByteView in, pipeline::Buffer& out) {
    std::size_t used = 0;
    while (used < in.size()) {
      switch (phase) {
      case Phase::header: {
        auto n = header.feed(in.subspan(used));
        if (!n) {
          fail(AgeFailure::header,
               fmt::format("header of {} is malformed: {}", subject(), n.error()));
        }
        used += *n;
        if (header.done()) {
          on_header();
        }
        break;
      }
      case Phase::nonce: {
        std::size_t take = std::min(in.size() - used, nonce.size() - nonce_size);
        std::memcpy(nonce.data() + nonce_size, in.data() + used, take);
        nonce_size += take;
        used += take;
        if (nonce_size == nonce.size()) {
          SecretBytes<32> key = payload_key(file_key, nonce);
          file_key.wipe();
          aead = std::make_unique<ChaChaPoly>(key.span());
          phase = Phase::payload;
        }
        break;
      }
      case Phase::payload: {
        std::size_t left = in.size() - used;
        if (chunk_size == k_sealed_chunk_size) {
          if (plain_size > 0) {
            return used; // the waiting plaintext must go first
          }
          open_full_chunk(out);
          if (plain_size > 0 || phase == Phase::done) {
            return used;
          }
        } else if (chunk_size == 0 && plain_size == 0 && left > k_sealed_chunk_size &&
                   out.space() >= k_chunk_size &&
                   open_chunk(in.subspan(used, k_sealed_chunk_size), false, out)) {
          // Fast path: a non-final chunk opened straight from the input. When it
          // does not open as non-final, the slow path below decides.
          used += k_sealed_chunk_size;
        } else {
          std::size_t take = std::min(left, k_sealed_chunk_size - chunk_size);
          std::memcpy(chunk.data() + chunk_size, in.data() + used, take);
          chunk_size += take;
          used += take;
        }
        break;
      }
      case Phase::done:
        fail(AgeFailure::trailing_data,
             fmt::format("{} has data after its final chunk {}", subject(), counter - 1),
             "The file was appended to or is not a single age file.");
      }
    }
    return used;
  }

  // ---- the whole input ---------------------------------------------------------

  std::size_t probe_bytes(ByteView in, pipeline::Buffer& out) {
    std::size_t used = 0;
    while (used < in.size() && probe.size() < k_binary_prefix.size()) {
      char c = static_cast<char>(in[used]);
      if (c != k_binary_prefix[probe.size()]) {
        if (!probe.empty()) {
          fail(AgeFailure::header,
               fmt::format("header of {} is malformed: it does not start with the age version "
                           "line 'age-encryption.org/v1'",
                           subject()));
        }
        mode = Mode::armored;
        return used;
      }
      probe.push_back(c);
      ++used;
    }
    if (probe.size() == k_binary_prefix.size()) {
      mode = Mode::binary;
      std::size_t n = feed(as_view(probe), out);
      LIFEBOAT_ASSERT(n == probe.size());
    }
    return used;
  }

  std::size_t process(ByteView in, pipeline::Buffer& out) {
    std::size_t used = 0;
    while (drain(out)) {
      if (mode == Mode::armored && decoded_pos < decoded.size()) {
        std::size_t n = feed(ByteView(decoded).subspan(decoded_pos), out);
        decoded_pos += n;
        LIFEBOAT_ASSERT(n > 0 || plain_size > 0 || phase == Phase::done);
        if (decoded_pos == decoded.size()) {
          decoded.clear();
          decoded_pos = 0;
        }
        continue;
      }
      if (used == in.size()) {
        break;
      }
      ByteView rest = in.subspan(used);
      switch (mode) {
      case Mode::probe:
        used += probe_bytes(rest, out);
        break;
      case Mode::binary: {
        std::size_t n = feed(rest, out);
        LIFEBOAT_ASSERT(n > 0 || plain_size > 0 || phase == Phase::done);
        used += n;
        break;
      }
      case Mode::armored: {
        auto n = armor.feed(rest, decoded, k_armor_batch);
        if (!n) {
          fail(AgeFailure::armor,
               fmt::format("armored file {} is malformed: {}", subject(), n.error()));
        }
        used += *n;
        break;
      }
      }
    }
    return used;
  }

  bool finish(pipeline::Buffer& out) {
    if (mode == Mode::armored) {
      while (decoded_pos < decoded.size()) {
        if (!drain(out)) {
          return false;
        }
        decoded_pos += feed(ByteView(decoded).subspan(decoded_pos), out);
      }
      if (!drain(out)) {
        return false;
      }
      auto ok = armor.finish();
      if (!ok) {
        fail(AgeFailure::armor,
             fmt::format("armored file {} is malformed: {}", subject(), ok.error()));
      }
    }
    if (!drain(out)) {
      return false;
    }
    if (mode == Mode::probe) {
      if (probe.empty()) {
        fail(AgeFailure::header, fmt::format("{} is empty, not an age file", subject()));
      }
      fail(AgeFailure::header,
           fmt::format("{} is truncated: it ends inside the age version line", subject()));
    }
    switch (phase) {
    case Phase::header:
      if (header.empty()) {
        fail(AgeFailure::header, fmt::format("armored file {} holds no data", subject()));
      }
      fail(AgeFailure::header,
           fmt::format("{} is truncated: {}", subject(), header.truncation_message()));
    case Phase::nonce:
      fail(AgeFailure::header,
           fmt::format("{} is truncated: it ends before the 16-byte payload nonce", subject()));
    case Phase::payload:
      return finish_payload(out);
    case Phase::done:
      return true;
    }
    return true;
  }

  bool finish_payload(pipeline::Buffer& out) {
    std::size_t n = chunk_size;
    if (n == 0) {
      throw truncated_error();
    }
    if (n < k_aead_tag_size) {
      fail(AgeFailure::truncated,
           fmt::format("{} is truncated: chunk {} has {} bytes, less than its 16-byte tag",
                       subject(), counter, n));
    }
    if (n == k_aead_tag_size && counter > 0) {
      fail(AgeFailure::payload,
           fmt::format("{} is malformed: its final chunk {} is empty, which age allows only "
                       "for an empty payload",
                       subject(), counter));
    }
    ByteView sealed(chunk.data(), n);
    if (n == k_sealed_chunk_size && open_chunk(sealed, false, out)) {
      // A valid full chunk that is not marked last, then the end: release it,
      // then report the truncation.
      chunk_size = 0;
      error = truncated_error();
      return false;
    }
    if (!open_chunk(sealed, true, out)) {
      // The last bytes of the input: as likely cut short as modified.
      fail(AgeFailure::payload,
           fmt::format("the last chunk {} (payload offset {}) of {} failed authentication", counter,
                       counter * k_chunk_size, subject()),
           "The file is truncated or was modified after it was written; use another copy.");
    }
    chunk_size = 0;
    phase = Phase::done;
    return drain(out);
  }
};

AgeDecryptor::AgeDecryptor(AgeDecryptOptions options)
    : m_state(std::make_unique<State>(std::move(options))) {}

AgeDecryptor::~AgeDecryptor() = default;

const std::optional<StanzaSummary>& AgeDecryptor::stanzas() const {
  return m_state->summary;
}

std::size_t AgeDecryptor::process(pipeline::Bytes in, pipeline::Buffer& out) {
  auto& s = *m_state;
  std::size_t before = out.size();
  if (!s.drain(out)) {
    return 0;
  }
  if (s.error) {
    if (out.size() > before) {
      return 0; // released plaintext goes out first; the error comes next call
    }
    throw *s.error;
  }
  try {
    return s.process(ByteView(reinterpret_cast<const std::uint8_t*>(in.data()), in.size()), out);
  } catch (const AgeError& e) {
    s.error = e;
    if (out.size() > before) {
      return 0;
    }
    throw;
  }
}

bool AgeDecryptor::finish(pipeline::Buffer& out) {
  auto& s = *m_state;
  std::size_t before = out.size();
  if (!s.drain(out)) {
    return false;
  }
  if (s.error) {
    if (out.size() > before) {
      return false;
    }
    throw *s.error;
  }
  try {
    return s.finish(out);
  } catch (const AgeError& e) {
    s.error = e;
    if (out.size() > before) {
      return false;
    }
    throw;
  }
}

} // namespace lifeboat::crypto
