#include "commands/list.hpp"

#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/catalog.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace lifeboat::commands {

nlohmann::json backup_summary_json(const core::Manifest& m, bool pinned) {
  return {{"id", m.id},
          {"name", m.name},
          {"kind", m.kind},
          {"key", m.data.key},
          {"size", m.data.size},
          {"uncompressed_size", m.uncompressed_size},
          {"sha256", m.data.sha256},
          {"encrypted", m.data.encrypted},
          {"pinned", pinned},
          {"tables", m.tables.size()},
          {"rows", m.total_rows()},
          {"duration_seconds", m.duration_seconds}};
}

int run_list(Context& ctx, const std::optional<std::string>& name) {
  core::Catalog& catalog = ctx.catalog();
  auto entries = catalog.list(name);
  if (ctx.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : entries) {
      const auto& m = e.manifest;
      nlohmann::json j = backup_summary_json(m, e.pinned);
      j["reason"] = m.reason;
      j["safety"] = m.is_safety();
      j["time"] = format_iso8601(e.id.time);
      j["started_at"] = format_iso8601_ms(m.started_at);
      j["finished_at"] = format_iso8601_ms(m.finished_at);
      j["codec"] = m.data.codec;
      j["source"] = m.source;
      arr.push_back(std::move(j));
    }
    ctx.out << arr.dump(2) << "\n";
    return 0;
  }
  if (entries.empty()) {
    ctx.out << fmt::format("no backups{} in {}\n", name ? " of '" + *name + "'" : "",
                           ctx.storage.display_url());
    return 0;
  }
  size_t w = 2;
  for (const auto& e : entries) {
    w = std::max(w, e.manifest.id.size());
  }
  ctx.out << fmt::format("{:<{}}  {:<19}  {:>10}  {:>10}  {:>6}  {:>10}  {}\n", "ID", w,
                         "TIME (UTC)", "SIZE", "DATA", "TABLES", "ROWS", "NOTE");
  for (const auto& e : entries) {
    const auto& m = e.manifest;
    std::string note = m.is_safety() ? "safety" : (m.reason == "manual" ? "" : m.reason);
    if (m.data.encrypted) {
      note += note.empty() ? "encrypted" : ", encrypted";
    }
    if (e.pinned) {
      note += note.empty() ? "pinned" : ", pinned";
    }
    ctx.out << fmt::format("{:<{}}  {:<19}  {:>10}  {:>10}  {:>6}  {:>10}  {}\n", m.id, w,
                           format_human(core::BackupId::parse(m.id)->time),
                           format_bytes(m.data.size), format_bytes(m.uncompressed_size),
                           m.tables.size(), m.total_rows(), note);
  }
  ctx.out << fmt::format("{} backup{} in {}\n", entries.size(), entries.size() == 1 ? "" : "s",
                         ctx.storage.display_url());
  return 0;
}

int run_pin(Context& ctx, const std::string& id, bool pin) {
  auto& catalog = ctx.catalog();
  if (pin) {
    catalog.pin(id);
  } else {
    catalog.unpin(id);
  }
  if (ctx.json) {
    ctx.out << nlohmann::json{{"id", id}, {"pinned", pin}}.dump(2) << "\n";
  } else if (!ctx.quiet) {
    ctx.out << fmt::format("{} {}{}\n", pin ? "pinned" : "unpinned", id,
                           pin ? ": retention keeps it until 'lifeboat unpin'" : "");
  }
  return 0;
}

int run_url(Context& ctx, const std::string& id, const std::string& expires) {
  auto d = parse_duration(expires);
  if (!d || d->count() < 1 || d->count() > 7 * 86400) {
    throw Error(ErrorKind::usage,
                fmt::format("invalid --expires '{}': give a duration from 1s to 7d, such as 1h",
                            expires));
  }
  if (!ctx.storage.capabilities().signed_url) {
    throw Error(ErrorKind::usage,
                fmt::format("storage '{}' cannot sign download URLs", ctx.storage.display_url()),
                "Signed URLs need object storage (s3://, cloudinary://); copy the files themselves instead.");
  }
  const auto& entry = ctx.catalog().find(id);
  // A backup stored as parts has one URL per part: download them all, then `cat` them.
  std::vector<std::string> keys;
  for (const auto& p : entry.manifest.data.parts) {
    keys.push_back(p.key);
  }
  if (keys.empty()) {
    keys.push_back(entry.manifest.data.key);
  }
  std::vector<std::string> urls;
  for (const auto& k : keys) {
    urls.push_back(ctx.storage.signed_url(k, *d));
  }
  auto until = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + *d;
  if (ctx.json) {
    nlohmann::json j{{"id", id},
                     {"key", entry.manifest.data.key},
                     {"url", urls.front()},
                     {"expires_at", format_iso8601(until)}};
    if (!entry.manifest.data.parts.empty()) {
      j["parts"] = nlohmann::json::array();
      for (std::size_t i = 0; i < urls.size(); ++i) {
        j["parts"].push_back({{"key", keys[i]}, {"url", urls[i]}});
      }
    }
    ctx.out << j.dump(2) << "\n";
  } else {
    for (const auto& u : urls) {
      ctx.out << u << "\n";
    }
    if (!ctx.quiet) {
      log::info("valid until {} for anyone who has it; the object is {}encrypted",
                format_iso8601(until), entry.manifest.data.encrypted ? "" : "NOT ");
    }
  }
  return 0;
}

} // namespace lifeboat::commands
