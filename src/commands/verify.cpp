#include "commands/verify.hpp"

#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/fetch.hpp"
#include "source/postgres/postgres.hpp"
#include "source/sqlite/sqlite.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::commands {

namespace {

// The one inventory check (core::compare_with_manifest), every difference named.
void compare_tables(const core::Manifest& m, const core::Inventory& found,
                    const std::string& where) {
  auto diffs = core::compare_with_manifest(m, found);
  if (!diffs.empty()) {
    throw Error(ErrorKind::integrity, fmt::format("{} does not match backup '{}': {}", where, m.id,
                                                  core::describe(diffs)));
  }
}

} // namespace

namespace {

class NullSink final : public pipeline::Sink {
public:
  void write(pipeline::Bytes) override {}
};

// A dump is complete when pg_dump's trailer is there, and its COPY blocks hold the rows
// the manifest recorded. A custom-format dump is read through the script pg_restore
// makes of it; manifests of custom dumps written before their counts were recorded
// (integrity_check without "dump trailer") are only proven readable.
void deep_check_postgres(Context& ctx, const core::Manifest& m) {
  NullSink null;
  pipeline::Pipeline pipe(null);
  const source::postgres::DumpObserver* dump = nullptr;
  if (m.data.payload == "dump") {
    dump = &pipe.add<source::postgres::CustomDumpObserver>().script();
  } else {
    dump = &pipe.add<source::postgres::DumpObserver>();
  }
  stream_payload(ctx, m, pipe);
  pipe.finish();
  bool counted = m.data.payload == "sql" || m.integrity_check.find("dump trailer") != std::string::npos;
  if (!counted) {
    return;
  }
  if (!dump->complete()) {
    throw Error(ErrorKind::integrity,
                fmt::format("dump of backup '{}' is incomplete: pg_dump's trailer is missing", m.id));
  }
  compare_tables(m, dump->tables(), fmt::format("the dump in backup '{}'", m.id));
}

} // namespace

void deep_check(Context& ctx, const core::Manifest& m, const std::filesystem::path& image,
                bool full_integrity_check) {
  if (m.kind == "postgres") {
    deep_check_postgres(ctx, m);
    return;
  }
  fetch_payload(ctx, m, image);
  source::sqlite::DatabaseInfo info;
  try {
    info = source::sqlite::inspect(image, full_integrity_check);
  } catch (const Error& e) {
    throw Error(ErrorKind::integrity,
                fmt::format("backup '{}' does not open as a sound database: {}", m.id, e.what()));
  }
  compare_tables(m, info.tables, fmt::format("the content of backup '{}'", m.id));
}

int run_verify(Context& ctx, const VerifyOptions& options) {
  core::Catalog& catalog = ctx.catalog();
  std::vector<core::CatalogEntry> entries;
  if (options.all) {
    if (options.selector.backup_id || options.selector.latest || options.selector.before) {
      throw Error(ErrorKind::usage, "--all cannot be combined with --backup-id, --latest or --before");
    }
    entries = catalog.list(options.selector.name);
  } else {
    entries.push_back(select_backup(catalog, options.selector));
  }
  int failed = 0;
  nlohmann::json results = nlohmann::json::array();
  for (const auto& e : entries) {
    const auto& m = e.manifest;
    std::string error;
    Stopwatch watch;
    try {
      if (options.deep) {
        TempPath image(std::filesystem::temp_directory_path() / (m.id + ".db"), "verify");
        deep_check(ctx, m, image.path(), false);
      } else {
        verify_checksum(ctx, m);
      }
    } catch (const Error& err) {
      if (!options.all && !ctx.json) {
        throw; // one backup: main() reports the message, hint and exit code
      }
      error = err.what();
      ++failed;
    }
    if (ctx.json) {
      nlohmann::json r = {{"id", m.id},
                          {"ok", error.empty()},
                          {"deep", options.deep},
                          {"size", m.data.size},
                          {"seconds", watch.seconds()}};
      if (!error.empty()) {
        r["error"] = error;
      }
      results.push_back(r);
    } else if (error.empty()) {
      if (!ctx.quiet) {
        ctx.out << fmt::format("ok      {}  {}{}\n", m.id,
                               options.deep ? "checksum, decompression, integrity, row counts"
                                            : "checksum " + m.data.sha256.substr(0, 16),
                               options.deep ? fmt::format(" ({} tables, {} rows)",
                                                          m.tables.size(), m.total_rows())
                                            : "");
      }
    } else {
      ctx.out << fmt::format("FAILED  {}  {}\n", m.id, error);
      log::error("{}", error);
    }
  }
  if (ctx.json) {
    ctx.out << nlohmann::json{{"verified", entries.size()}, {"failed", failed}, {"results", results}}
                   .dump(2)
            << "\n";
  } else if (!ctx.quiet && entries.size() > 1) {
    ctx.out << fmt::format("{} of {} backups verified\n", entries.size() - failed, entries.size());
  }
  return failed > 0 ? 1 : 0;
}

} // namespace lifeboat::commands
