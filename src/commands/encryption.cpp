#include "commands/encryption.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <iostream>

#include <fmt/format.h>

#include "crypto/age.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "util/tty.hpp"

namespace lifeboat::commands {

namespace {

std::vector<crypto::X25519Recipient> parse_recipients(const EncryptionConfig& config) {
  std::vector<crypto::X25519Recipient> out;
  for (const auto& r : config.recipients) {
    auto parsed = crypto::parse_recipient(trim(r));
    if (!parsed) {
      throw Error(ErrorKind::config, fmt::format("encryption recipient: {}", parsed.error()),
                  "Recipients are age public keys (age1...), as 'lifeboat keygen' or "
                  "'age-keygen' print them.");
    }
    out.push_back(*parsed);
  }
  return out;
}

std::vector<crypto::X25519Identity> load_identities(const std::string& path,
                                                    const core::Manifest& m) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error(ErrorKind::config,
                fmt::format("identity file '{}' for backup '{}' cannot be read: {}", path, m.id,
                            errno_text(errno)),
                "Pass --identity with the file 'lifeboat keygen' (or age-keygen) wrote.");
  }
  if ((st.st_mode & 0077) != 0) {
    log::warning("identity file '{}' can be read by other users (mode {:o}); "
                 "chmod 600 it", path, st.st_mode & 0777);
  }
  // An identity file is a few lines; a larger file is the wrong one (or hostile).
  std::string text = read_small_file(path, 64 * 1024, "identity file", ErrorKind::config);
  auto ids = crypto::parse_identity_file(text);
  secure_wipe(text.data(), text.size());
  if (!ids) {
    throw Error(ErrorKind::config, fmt::format("identity file '{}': {}", path, ids.error()),
                "An identity file holds AGE-SECRET-KEY-1... lines, as 'lifeboat keygen' "
                "writes them.");
  }
  return std::move(*ids);
}

} // namespace

std::vector<std::string> EncryptionConfig::manifest_recipients() const {
  if (passphrase) {
    return {"scrypt"};
  }
  std::vector<std::string> out;
  for (const auto& r : recipients) {
    out.emplace_back(trim(r));
  }
  return out;
}

void check_recipients(const EncryptionConfig& config) {
  parse_recipients(config);
  if (config.passphrase && !config.recipients.empty()) {
    throw Error(ErrorKind::config, "encryption: both recipients and a passphrase are configured",
                "age allows a passphrase only on its own: keep one of the two.");
  }
}

std::unique_ptr<pipeline::Transform> make_encryptor(const EncryptionConfig& config) {
  check_recipients(config);
  crypto::AgeEncryptOptions options;
  options.recipients = parse_recipients(config);
  options.passphrase = config.passphrase;
  options.work_factor = config.work_factor;
  return std::make_unique<crypto::AgeEncryptor>(options);
}

std::unique_ptr<pipeline::Transform> make_decryptor(const EncryptionConfig& config,
                                                    const core::Manifest& m,
                                                    const std::string& object) {
  crypto::AgeDecryptOptions options;
  options.object = object;
  bool scrypt = m.data.recipients.size() == 1 && m.data.recipients[0] == "scrypt";
  // Only a passphrase opens a passphrase backup: an identity given instead is no help,
  // and "none of which matches the identity" would send the user the wrong way.
  std::optional<Secret> passphrase = config.passphrase;
  if (scrypt && !passphrase && config.may_prompt) {
    passphrase = read_secret_from_tty(fmt::format("Passphrase of backup {}: ", m.id));
  }
  if (scrypt && !passphrase) {
    throw Error(ErrorKind::config,
                fmt::format("backup '{}' is encrypted with a passphrase, and none is given", m.id),
                "Set LIFEBOAT_PASSPHRASE (or [encryption] passphrase), or run on a terminal to be "
                "asked for the passphrase it was made with.");
  }
  if (!config.identity_file.empty()) {
    options.identities = load_identities(config.identity_file, m);
    options.identity_source = config.identity_file;
  }
  options.passphrase = passphrase;
  if (options.identities.empty() && !options.passphrase) {
    throw Error(ErrorKind::config,
                fmt::format("backup '{}' is encrypted (to {}), and no identity is given", m.id,
                            join(m.data.recipients, ", ")),
                "Pass --identity FILE (or set [encryption] identity_file) with the secret key "
                "of one of its recipients.");
  }
  return std::make_unique<crypto::AgeDecryptor>(std::move(options));
}

void rephrase_decrypt_error(const EncryptionConfig& config, const core::Manifest& m) {
  try {
    throw;
  } catch (const crypto::AgeError& e) {
    switch (e.failure()) {
    case crypto::AgeFailure::no_match:
      throw Error(ErrorKind::config,
                  config.identity_file.empty()
                      ? fmt::format("backup '{}' was encrypted to {}, and no identity was given",
                                    m.id, join(m.data.recipients, ", "))
                      : fmt::format("backup '{}' was encrypted to {}, none of which matches the "
                                    "identity in '{}'",
                                    m.id, join(m.data.recipients, ", "), config.identity_file),
                  "Pass --identity with the secret key of one of these recipients; nothing was "
                  "changed.");
    case crypto::AgeFailure::wrong_passphrase:
      throw Error(ErrorKind::config,
                  fmt::format("the passphrase does not open backup '{}'", m.id),
                  "Check LIFEBOAT_PASSPHRASE; nothing was changed.");
    default:
      throw Error(ErrorKind::integrity, fmt::format("backup '{}': {}", m.id, e.what()),
                  "The stored object was damaged or changed after the backup; restore from "
                  "another backup.");
    }
  }
}

std::string write_new_identity(const std::string& path) {
  auto id = crypto::X25519Identity::generate();
  std::string pub = id.recipient_string();
  std::string text = fmt::format("# created: {}\n# public key: {}\n{}\n",
                                 format_iso8601(system_clock().now()), pub,
                                 id.to_string().reveal());
  if (path == "-" || path.empty()) {
    std::cout << text << std::flush;
    secure_wipe(text.data(), text.size());
    return pub;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    secure_wipe(text.data(), text.size());
    if (err == EEXIST) {
      throw Error(ErrorKind::usage, fmt::format("'{}' already exists; not overwriting it", path),
                  "An identity file may be the only key to your backups: choose another name, "
                  "or move the old one away yourself.");
    }
    throw Error(ErrorKind::permanent,
                fmt::format("unable to create identity file '{}': {}", path, errno_text(err)));
  }
  Fd owned(fd);
  try {
    write_all(fd, std::as_bytes(std::span(text.data(), text.size())), path);
    fsync_fd(fd, path);
  } catch (...) {
    secure_wipe(text.data(), text.size());
    ::unlink(path.c_str());
    throw;
  }
  secure_wipe(text.data(), text.size());
  return pub;
}

} // namespace lifeboat::commands
