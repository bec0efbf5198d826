// commands/verify: prove stored backups: checksum (always) and, with --deep, that the
// payload decompresses, opens, passes its integrity check and holds the manifest's
// row counts.
#pragma once

#include <filesystem>

#include "commands/context.hpp"
#include "commands/selector.hpp"

namespace lifeboat::commands {

struct VerifyOptions {
  Selector selector;
  bool all = false;
  bool deep = false;
};

// Returns 0 when every selected backup passed, 1 otherwise (each failure reported).
int run_verify(Context& ctx, const VerifyOptions& options);

// Decodes a backup to a temporary file and checks it against its manifest.
// Throws Error{integrity} on any difference. Shared with restore.
void deep_check(Context& ctx, const core::Manifest& m, const std::filesystem::path& image,
                bool full_integrity_check);

} // namespace lifeboat::commands
