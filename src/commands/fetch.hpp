// commands/fetch: read a backup's data object back, proving its checksum on the way.
//
// Everything that reads a backup goes through here, so a damaged object is caught
// the same way by verify, verify --deep, restore and (later) drill.
#pragma once

#include <filesystem>

#include "commands/context.hpp"
#include "pipeline/pipeline.hpp"
#include "core/manifest.hpp"

namespace lifeboat::commands {

// Streams the data object through SHA-256 and compares digest and size with the
// manifest and the .sha256 sidecar. Throws Error{integrity} naming the object.
void verify_checksum(Context& ctx, const core::Manifest& m);

// Streams the data object, checking its checksum, decompresses it and writes the
// payload to `dest` (created, mode 0600). When the checksum does not match, throws
// Error{integrity} and removes `dest`: nothing unverified is ever left behind.
void fetch_payload(Context& ctx, const core::Manifest& m, const std::filesystem::path& dest);

// Streams the data object, checking its checksum, decompresses it and writes the
// payload into `sink`. The checksum verdict comes at the end: a sink that acts on
// the bytes (a database load) must not commit before this returns.
void stream_payload(Context& ctx, const core::Manifest& m, pipeline::Sink& sink);

// A temporary file path next to `near` (same file system), removed by the destructor.
class TempPath {
public:
  explicit TempPath(const std::filesystem::path& near, std::string_view tag);
  ~TempPath();
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

} // namespace lifeboat::commands
