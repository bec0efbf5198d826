// storage/file: the local file system backend, the embedded default.
//
// An object KEY lives at ROOT/KEY. A write goes to ROOT/dir/.BASENAME.tmp-XXXXXXXX,
// then fsync → close → rename (RENAME_NOREPLACE when overwrite is false) → fsync of
// the directory, so the key appears whole or not at all, durably. Names starting
// with '.' are never listed. ENOSPC, EDQUOT, EACCES and EROFS are permanent errors.
#pragma once

#include <filesystem>
#include <functional>

#include "storage/storage.hpp"

namespace lifeboat::storage::file {

class FileStorage final : public Storage {
public:
  explicit FileStorage(std::filesystem::path root);

  std::string display_url() const override { return m_root.string(); }
  Capabilities capabilities() const override;
  std::unique_ptr<ObjectWriter> open_write(const std::string& key,
                                           const PutOptions& options = {}) override;
  std::unique_ptr<ObjectReader> open_read(const std::string& key) override;
  void list(const std::string& prefix,
            const std::function<void(const ObjectInfo&)>& each) override;
  std::optional<ObjectInfo> stat(const std::string& key) override;
  void remove(const std::string& key) override;
  std::optional<SpaceInfo> space() override;
  std::vector<ObjectInfo> remove_abandoned_writes(TimePoint cutoff, bool dry_run) override;

  const std::filesystem::path& root() const { return m_root; }

  // How a committed object's directory is made durable (fsync of the directory). A seam
  // for the tests' fault injection (a failing fsync): it is reachable only through this
  // API, never from the environment or the configuration of the shipped binary.
  using DirectorySync = std::function<void(const std::filesystem::path&)>;
  void set_directory_sync(DirectorySync sync) { m_dir_sync = std::move(sync); }

private:
  std::filesystem::path path_of(const std::string& key) const;
  std::filesystem::path m_root;
  DirectorySync m_dir_sync;
};

static_assert(std::derived_from<FileStorage, Storage>);

} // namespace lifeboat::storage::file
