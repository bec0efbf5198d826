// commands/store: the one chain every backup payload takes into the storage, and
// the commit that makes it a backup. backup, safety backups and import all go
// through here, so compression, encryption and hashing cannot differ between them
// (an encryption configured but skipped on one path is impossible by construction).
//
//   payload → [caller's observers: sizes, dump scan, progress] → compressor
//           → age encryptor (when configured) → SHA-256 + size of the stored bytes
//           → storage writer (appears whole or not at all)
#pragma once

#include <memory>
#include <string>

#include "codec/codec.hpp"
#include "commands/context.hpp"
#include "core/backup_id.hpp"
#include "core/catalog.hpp"
#include "core/manifest.hpp"
#include "pipeline/pipeline.hpp"
#include "storage/split_writer.hpp"

namespace lifeboat::commands {

class StoreChain {
public:
  // Fills m.data (key, payload, codec, level, encrypted, recipients) for backup `id`
  // and opens the writer. Nothing is visible until commit().
  StoreChain(Context& ctx, const core::BackupId& id, std::string_view payload,
             const codec::CompressSpec& spec, core::Manifest& m);
  ~StoreChain();

  // Stages that see the payload before compression; add them before write().
  pipeline::Pipeline& payload_stages() { return *m_pipe; }
  // Call once after the caller's stages: appends compression, encryption, hashing.
  void seal(int compression_workers);
  pipeline::Sink& sink() { return *m_pipe; }

  // Finishes the chain and commits the data object; records size and sha256 in m.
  void commit();

private:
  Context& m_ctx;
  core::Manifest& m_m;
  codec::CompressSpec m_spec;
  std::unique_ptr<storage::ObjectWriter> m_writer;
  storage::SplitWriter* m_split = nullptr; // m_writer, when the storage caps object sizes
  std::unique_ptr<pipeline::Pipeline> m_pipe;
  codec::Sha256* m_sha = nullptr;
  codec::ByteCounter* m_stored = nullptr;
};

// Writes the .sha256 sidecar, then the manifest: the commit point of a backup.
void commit_backup(Context& ctx, core::Catalog& catalog, const core::Manifest& m);

} // namespace lifeboat::commands
