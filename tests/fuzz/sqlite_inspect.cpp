// A SQLite file offered to `import` (or found at a backup's source path), damaged or
// hostile: inspect() and snapshot() return the checks and counts or throw a typed Error,
// never crash, hang or leave a lock behind. The input becomes a file because that is how
// lifeboat meets it; SQLite's own parser is Debian's, uninstrumented: this fuzzes the
// lifeboat side (the integrity checks, the table walk, the counts, the VFS).
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "fuzz.hpp"
#include "pipeline/pipeline.hpp"
#include "source/sqlite/sqlite.hpp"
#include "util/error.hpp"

namespace {

class Null final : public lifeboat::pipeline::Sink {
public:
  void write(lifeboat::pipeline::Bytes) override {}
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat;
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("lifeboat-fuzz-" + std::to_string(::getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path.string() + suffix);
  }
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    auto info = source::sqlite::inspect(path, true);
    FUZZ_CHECK(info.page_size == 0 || info.size_bytes == info.page_size * info.page_count);
    Null null;
    auto snap = source::sqlite::snapshot(path, null);
    FUZZ_CHECK(snap.tables.tables() == info.tables.tables());
  } catch (const Error&) {
  }
  return 0;
}
