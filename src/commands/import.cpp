#include "commands/import.hpp"

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <iostream>
#include <ostream>
#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codec/codec.hpp"
#include "commands/database.hpp"
#include "commands/fetch.hpp"
#include "commands/store.hpp"
#include "core/catalog.hpp"
#include "source/postgres/postgres.hpp"
#include "source/sqlite/sqlite.hpp"
#include "util/cancel.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace lifeboat::commands {

namespace fs = std::filesystem;

namespace {

class FileSource final : public pipeline::Source {
public:
  explicit FileSource(const fs::path& path) : m_path(path), m_fd(open_file(path, O_RDONLY, "read")) {}
  std::size_t read(std::span<std::byte> buf) override { return read_some(m_fd.get(), buf, m_path); }

private:
  fs::path m_path;
  Fd m_fd;
};

// Copies the payload into a file on the side, for the checks that need one.
class TeeFile final : public pipeline::Observer {
public:
  explicit TeeFile(const fs::path& path)
      : m_path(path), m_fd(open_file(path, O_WRONLY | O_CREAT | O_TRUNC, "write", 0600)) {}
  void observe(pipeline::Bytes bytes) override { write_all(m_fd.get(), bytes, m_path); }
  void finish() override { m_fd.close(); }

private:
  fs::path m_path;
  Fd m_fd;
};

struct Plan {
  fs::path file;
  std::string name;
  TimePoint time{};
  const codec::Codec* codec = nullptr; // how the file is compressed
  std::string payload;                 // "db", "sql", "dump"
};

// Compression by content: gzip 1f 8b, zstd 28 b5 2f fd.
const codec::Codec* sniff_codec(const fs::path& file) {
  FileSource src(file);
  std::array<std::byte, 4> head{};
  std::size_t n = 0;
  while (n < head.size()) {
    std::size_t got = src.read(std::span(head).subspan(n));
    if (got == 0) {
      break;
    }
    n += got;
  }
  auto b = [&](std::size_t i) { return std::to_integer<unsigned>(head[i]); };
  if (n >= 2 && b(0) == 0x1f && b(1) == 0x8b) {
    return codec::find_codec("gzip");
  }
  if (n >= 4 && b(0) == 0x28 && b(1) == 0xb5 && b(2) == 0x2f && b(3) == 0xfd) {
    return codec::find_codec("zstd");
  }
  return codec::find_codec("none");
}

// The first bytes of the payload, decompressed.
std::string payload_head(const fs::path& file, const codec::Codec& c) {
  class Collect final : public pipeline::Sink {
  public:
    std::string text;
    void write(pipeline::Bytes b) override {
      text.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
  } collect;
  pipeline::Pipeline pipe(collect);
  pipe.add_transform(c.make_decompressor());
  FileSource src(file);
  std::array<std::byte, 16 * 1024> buf{};
  while (collect.text.size() < 64) {
    std::size_t n = src.read(buf);
    if (n == 0) {
      // The whole file gave less than the head: let the decompressor say whether its
      // stream ended early, rather than judge a truncated file by no bytes at all.
      pipe.finish();
      break;
    }
    pipe.write(std::span(buf.data(), n));
  }
  return collect.text.substr(0, 64);
}

Plan plan_for(const std::string& arg, const ImportOptions& options) {
  Plan p;
  p.file = arg;
  std::error_code ec;
  if (!fs::exists(p.file, ec)) {
    throw Error(ErrorKind::usage, fmt::format("'{}' does not exist", arg));
  }
  if (!fs::is_regular_file(p.file, ec)) {
    throw Error(ErrorKind::usage, fmt::format("'{}' is not a regular file", arg));
  }
  std::string stem = p.file.filename().string();
  std::string named_codec = "none";
  for (auto [ext, codec] : {std::pair{".gz", "gzip"}, {".zst", "zstd"}, {".zstd", "zstd"}}) {
    if (stem.ends_with(ext)) {
      stem.resize(stem.size() - std::string_view(ext).size());
      named_codec = codec;
      break;
    }
  }
  std::string named_payload;
  for (auto [ext, payload] : {std::pair{".db", "db"}, {".sqlite", "db"}, {".sqlite3", "db"},
                              {".sql", "sql"}, {".dump", "dump"}}) {
    if (stem.ends_with(ext)) {
      stem.resize(stem.size() - std::string_view(ext).size());
      named_payload = payload;
      break;
    }
  }

  p.codec = sniff_codec(p.file);
  if (p.codec->name != named_codec && named_codec != "none") {
    throw Error(ErrorKind::usage,
                fmt::format("'{}' is named like a {} file but is not one", arg, named_codec));
  }
  std::string head = payload_head(p.file, *p.codec);
  if (head.starts_with(std::string_view("SQLite format 3\0", 16))) {
    p.payload = "db";
  } else if (head.starts_with("PGDMP")) {
    p.payload = "dump";
  } else if (!head.empty() && std::all_of(head.begin(), head.end(), [](char c) {
               return c == '\n' || c == '\r' || c == '\t' || static_cast<unsigned char>(c) >= 0x20;
             })) {
    p.payload = "sql";
  } else {
    throw Error(ErrorKind::usage,
                fmt::format("'{}' is neither a SQLite database nor a PostgreSQL dump", arg),
                "import takes .db (SQLite), .sql (pg_dump plain) and .dump (pg_dump custom) "
                "files, gzip- or zstd-compressed or not.");
  }
  if (named_payload == "db" && p.payload != "db") {
    throw Error(ErrorKind::usage,
                fmt::format("'{}' is not a SQLite database: its first bytes are not the SQLite "
                            "header",
                            arg));
  }
  if (!named_payload.empty() && named_payload != p.payload) {
    static const std::map<std::string, std::string> what = {
        {"db", "a SQLite database"}, {"sql", "a plain SQL dump"}, {"dump", "a custom-format dump"}};
    throw Error(ErrorKind::usage, fmt::format("'{}' is named like {} but is {}", arg,
                                              what.at(named_payload), what.at(p.payload)));
  }

  static const std::regex seed(R"(^(.+)-backup-(\d{8}-\d{6})$)");
  static const std::regex ours(R"(^(.+)-(\d{8}-\d{6})$)");
  std::smatch match;
  std::string stamp;
  if (std::regex_match(stem, match, seed) || std::regex_match(stem, match, ours)) {
    p.name = match[1];
    stamp = match[2];
  } else {
    p.name = stem;
  }
  if (!options.name.empty()) {
    p.name = options.name;
  }
  if (options.time) {
    p.time = value_or_throw(parse_iso8601(*options.time), ErrorKind::usage);
  } else if (!stamp.empty()) {
    p.time = value_or_throw(parse_compact(stamp), ErrorKind::usage);
  } else {
    throw Error(ErrorKind::usage, fmt::format("'{}' has no time in its name", arg),
                "Name it NAME-backup-YYYYMMDD-HHMMSS, or pass --time (ISO 8601, UTC when no "
                "zone is given).");
  }
  if (auto ok = core::check_name(p.name); !ok) {
    throw Error(ErrorKind::usage, fmt::format("'{}': {}", arg, ok.error()),
                "Pass --name with the database name to file it under.");
  }
  return p;
}

struct Outcome {
  std::string file;
  std::string id;
  std::string status; // "imported", "skipped", "failed"
  std::string message;
  core::Manifest manifest;
};

Outcome import_one(Context& ctx, const Plan& p, const codec::CompressSpec& spec) {
  Outcome out{p.file.string(), "", "", "", {}};
  std::string source = fs::absolute(p.file).string();
  // The same file imported again (same name, second and source) is skipped.
  for (const auto& e : ctx.catalog().list(p.name)) {
    if (e.manifest.reason == "import" && e.manifest.source == source &&
        e.id.time == std::chrono::floor<std::chrono::seconds>(p.time)) {
      out.id = e.manifest.id;
      out.status = "skipped";
      out.message = "already in the catalog";
      return out;
    }
  }
  // Another backup of that second keeps its id: this one gets the next (-2, ...). The
  // objects of an import that was stopped are leftovers that prune removes.
  auto reservation = ctx.catalog().reserve(p.name, p.time);
  const core::BackupId id = reservation->id();
  out.id = id.str();

  core::Manifest& m = out.manifest;
  m.id = id.str();
  m.name = p.name;
  m.kind = p.payload == "db" ? "sqlite" : "postgres";
  m.reason = "import";
  m.source = source;
  m.tool_version = tool_version();
  m.host = host_name();
  m.started_at = p.time;
  m.finished_at = p.time;

  Stopwatch watch;
  StoreChain chain(ctx, id, p.payload, spec, m);
  auto& pipe = chain.payload_stages();
  pipe.add_transform(p.codec->make_decompressor());
  auto& raw = pipe.add<codec::ByteCounter>();
  std::optional<TempPath> side;
  const source::postgres::DumpObserver* dump = nullptr;
  if (p.payload == "db") {
    side.emplace(fs::temp_directory_path() / "import", "check");
    pipe.add<TeeFile>(side->path());
  } else if (p.payload == "dump") {
    dump = &pipe.add<source::postgres::CustomDumpObserver>().script();
  } else {
    dump = &pipe.add<source::postgres::DumpObserver>();
  }
  std::error_code ec;
  Progress progress(ctx.progress, "import " + p.file.filename().string(),
                    fs::file_size(p.file, ec));
  chain.seal(1);
  {
    FileSource src(p.file);
    std::array<std::byte, 256 * 1024> buf{};
    std::uint64_t done = 0;
    while (std::size_t n = src.read(buf)) {
      throw_if_cancelled();
      chain.sink().write(std::span(buf.data(), n));
      progress.update(done += n);
    }
  }
  pipe.finish();
  m.uncompressed_size = raw.count();

  if (p.payload == "db") {
    try {
      auto info = source::sqlite::inspect(side->path());
      m.server_version = "sqlite " + info.sqlite_version;
      m.integrity_check = info.integrity_check;
      m.tables = info.tables;
    } catch (const Error& e) {
      throw Error(ErrorKind::integrity, fmt::format("'{}' is damaged: {}", p.file.string(), e.what()),
                  "It was not imported; a damaged backup would only fail at restore time.");
    }
  } else {
    // A custom-format dump was read whole by pg_restore on the way (CustomDumpObserver).
    if (dump->complete()) {
      m.integrity_check = p.payload == "dump" ? "pg_restore, dump trailer" : "dump trailer";
    } else if (!dump->pg_dump_version().empty()) {
      throw Error(ErrorKind::integrity,
                  fmt::format("'{}' ends without pg_dump's completion trailer: it is truncated",
                              p.file.string()),
                  "It was not imported; a truncated dump would fail at restore time.");
    } else {
      log::warning("'{}' was not written by pg_dump: imported without a completeness check",
                   p.file.string());
    }
    m.server_version = dump->server_version().empty()
                           ? "PostgreSQL"
                           : "PostgreSQL " + dump->server_version() + "; pg_dump " +
                                 dump->pg_dump_version();
    m.tables = dump->tables();
    m.roles = role_use(dump->roles());
  }
  chain.commit();
  progress.done();
  m.duration_seconds = watch.seconds();
  commit_backup(ctx, ctx.catalog(), m);
  out.status = "imported";
  return out;
}

} // namespace

int run_import(Context& ctx, const ImportOptions& options) {
  if (options.files.empty()) {
    throw Error(ErrorKind::usage, "no files to import", "Usage: lifeboat import FILE... [--name NAME] [--time TIME]");
  }
  if (options.time && options.files.size() > 1) {
    throw Error(ErrorKind::usage, "--time applies to a single file",
                "Import files one by one with their own --time, or name them "
                "NAME-backup-YYYYMMDD-HHMMSS.");
  }
  auto spec = value_or_throw(codec::parse_compress_spec(options.compress), ErrorKind::usage);
  std::vector<Outcome> outcomes;
  std::size_t failed = 0;
  ErrorKind first_kind = ErrorKind::permanent;
  // Each file is a job; in a batch (or with --json) a failure is reported as its job's
  // event and the others go on. A single file's failure goes to main() like any error.
  bool keep_going = options.files.size() > 1 || ctx.json;
  for (const auto& f : options.files) {
    throw_if_cancelled();
    auto result = JobRunner::run(
        ctx.events, {.job = "import", .database = options.name, .clock = &ctx.clock,
                     .keep_going = keep_going},
        [&](JobScope& scope) {
          try {
            Plan plan = plan_for(f, options);
            scope.set_database(plan.name);
            outcomes.push_back(import_one(ctx, plan, spec));
            scope.set_backup_id(outcomes.back().id);
          } catch (const Error& caught) {
            if (caught.kind() == ErrorKind::cancelled ||
                std::string_view(caught.what()).find(f) != std::string_view::npos) {
              throw;
            }
            // Errors from below (a codec, the storage) do not know the file: name it, or
            // in a batch the message cannot be told apart ("gzip: compressed stream is
            // truncated").
            bool damaged = caught.kind() == ErrorKind::integrity;
            throw Error(caught.kind(),
                        damaged ? fmt::format("'{}' is damaged: {}", f, caught.what())
                                : fmt::format("'{}': {}", f, caught.what()),
                        !caught.hint().empty() || !damaged
                            ? caught.hint()
                            : "It was not imported; a damaged backup would only fail at "
                              "restore time.");
          }
        });
    if (!result.ok) {
      if (failed++ == 0) {
        first_kind = result.error->kind();
      }
      outcomes.push_back({f, "", "failed", result.error->what(), {}});
    }
    const auto& o = outcomes.back();
    if (!ctx.json && !ctx.quiet && o.status != "failed") {
      const auto& m = o.manifest;
      if (o.status == "imported") {
        ctx.out << fmt::format("imported {} as {}: {} -> {}, {} tables, {} rows{}\n", o.file, o.id,
                               format_bytes(m.uncompressed_size), format_bytes(m.data.size),
                               m.tables.size(), m.total_rows(),
                               m.integrity_check.empty() ? "" : ", " + m.integrity_check + " passed");
      } else {
        ctx.out << fmt::format("skipped {}: {} is {}\n", o.file, o.id, o.message);
      }
      ctx.out.flush();
    }
  }
  if (ctx.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& o : outcomes) {
      nlohmann::json j = {{"file", o.file}, {"id", o.id}, {"status", o.status}};
      if (o.status == "imported") {
        j["size"] = o.manifest.data.size;
        j["uncompressed_size"] = o.manifest.uncompressed_size;
        j["tables"] = o.manifest.tables.size();
        j["rows"] = o.manifest.total_rows();
        j["encrypted"] = o.manifest.data.encrypted;
      } else if (!o.message.empty()) {
        j["message"] = o.message;
      }
      arr.push_back(j);
    }
    ctx.out << nlohmann::json{{"files", arr}, {"failed", failed}}.dump(2) << "\n";
  }
  if (failed > 0) {
    // One file: its own error's kind decides the exit code (a usage error stays 2).
    throw PartialFailure(options.files.size() == 1 ? first_kind : ErrorKind::permanent,
                         fmt::format("{} of {} files could not be imported", failed,
                                     options.files.size()),
                         "The others were imported; fix or leave out the files named above and "
                         "run the same command again (imported files are skipped).");
  }
  return 0;
}

} // namespace lifeboat::commands
