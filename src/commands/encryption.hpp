// commands/encryption: what the configuration and the flags say about age
// encryption, turned into the transforms of crypto/ (docs/format.md, "Encryption").
//
// Encryption is decided once, here: when recipients or a passphrase are configured,
// every stored payload (backups, safety backups, imports) is encrypted, and a
// backup whose manifest says "encrypted" is never read without decrypting it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/manifest.hpp"
#include "pipeline/pipeline.hpp"
#include "util/secret.hpp"

namespace lifeboat::commands {

struct EncryptionConfig {
  std::vector<std::string> recipients; // "age1..." public keys to encrypt to
  std::optional<Secret> passphrase;    // scrypt; instead of recipients
  std::string identity_file;           // AGE-SECRET-KEY-1 lines, for reading backups
  int work_factor = 18;                // scrypt log2(N) when encrypting
  bool may_prompt = false;             // ask on the terminal for a missing passphrase

  bool encrypts() const { return !recipients.empty() || passphrase.has_value(); }
  // What the manifest records: the public keys, or "scrypt" for a passphrase.
  std::vector<std::string> manifest_recipients() const;
};

// Checks every recipient ("age1..."); Error{config} naming the bad one.
void check_recipients(const EncryptionConfig& config);

// The age encryptor for `config` (encrypts() must be true). Error{config} for bad
// recipients or a passphrase combined with recipients.
std::unique_ptr<pipeline::Transform> make_encryptor(const EncryptionConfig& config);

// The age decryptor for backup `m`, with the identities of config.identity_file
// or the passphrase. Errors (ErrorKind::config) name the backup and say what to
// pass: no identity configured, an unreadable identity file. A wrong identity is
// reported when the header is read (see rephrase_decrypt_error).
std::unique_ptr<pipeline::Transform> make_decryptor(const EncryptionConfig& config,
                                                    const core::Manifest& m,
                                                    const std::string& object);

// Rethrows a decryption failure of backup `m` in the user's terms, e.g. "backup X
// was encrypted to age1abc..., none of which matches the identity in key.txt".
[[noreturn]] void rephrase_decrypt_error(const EncryptionConfig& config, const core::Manifest& m);

// Writes a new identity to `path` (mode 0600, never over an existing file) and
// returns its public key. "-" writes to standard output.
std::string write_new_identity(const std::string& path);

} // namespace lifeboat::commands
