#include "commands/store.hpp"

#include <fmt/format.h>

#include "storage/split_writer.hpp"
#include "util/log.hpp"

namespace lifeboat::commands {

StoreChain::StoreChain(Context& ctx, const core::BackupId& id, std::string_view payload,
                       const codec::CompressSpec& spec, core::Manifest& m)
    : m_ctx(ctx), m_m(m), m_spec(spec) {
  bool encrypted = ctx.encryption.encrypts();
  if (encrypted) {
    check_recipients(ctx.encryption); // before anything is written
  }
  m.data.key = id.data_key(payload, spec.codec->extension, encrypted);
  m.data.payload = std::string(payload);
  m.data.codec = std::string(spec.codec->name);
  m.data.level = spec.level;
  m.data.encrypted = encrypted;
  m.data.recipients = encrypted ? ctx.encryption.manifest_recipients() : std::vector<std::string>{};
  m.checksum_key = id.checksum_key();
  if (ctx.storage.capabilities().object_size_limit) {
    // A service that caps one object's size: a larger backup goes up as parts.
    auto split = std::make_unique<storage::SplitWriter>(ctx.storage, m.data.key,
                                                        storage::PutOptions{.overwrite = false});
    m_split = split.get();
    m_writer = std::move(split);
  } else {
    m_writer = ctx.storage.open_write(m.data.key, {.overwrite = false});
  }
  m_pipe = std::make_unique<pipeline::Pipeline>(*m_writer);
}

StoreChain::~StoreChain() = default;

void StoreChain::seal(int compression_workers) {
  m_pipe->add_transform(m_spec.codec->make_compressor(m_spec.level, compression_workers));
  if (m_m.data.encrypted) {
    m_pipe->add_transform(make_encryptor(m_ctx.encryption));
  }
  m_sha = &m_pipe->add<codec::Sha256>();
  m_stored = &m_pipe->add<codec::ByteCounter>();
}

void StoreChain::commit() {
  LIFEBOAT_ASSERT(m_sha != nullptr);
  m_pipe->finish();
  m_writer->commit();
  m_m.data.sha256 = m_sha->hex();
  m_m.data.size = m_stored->count();
  m_m.data.parts.clear();
  if (m_split != nullptr) {
    for (const auto& p : m_split->parts()) {
      m_m.data.parts.push_back({p.key, p.size, p.sha256});
    }
  }
}

void commit_backup(Context& ctx, core::Catalog& catalog, const core::Manifest& m) {
  ctx.storage.write_all(m.checksum_key, core::checksum_line(m.data),
                        {.overwrite = false, .content_type = "text/plain"});
  catalog.commit(m);
  log::debug("committed backup '{}'", m.id);
}

} // namespace lifeboat::commands
