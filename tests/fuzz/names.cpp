// What a user or a storage listing hands lifeboat as a name or a time: backup ids,
// object keys, database names, ISO 8601 times (--before), compact times and durations
// (retention, lock_timeout). A parsed value prints back to a text that parses to it.
#include <string>

#include "core/backup_id.hpp"
#include "fuzz.hpp"
#include "util/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat;
  std::string_view t = fuzz::text(data, size);

  if (auto id = core::BackupId::parse(t)) {
    FUZZ_CHECK(id->str() == t);
    FUZZ_CHECK(core::BackupId::parse(id->str(), id->name).value() == *id);
    FUZZ_CHECK(core::check_name(id->name).has_value());
    auto key = core::parse_object_key(id->manifest_key());
    FUZZ_CHECK(key && key->id == *id && key->kind == core::ObjectKind::manifest);
    FUZZ_CHECK(id->next().str() != id->str());
  }
  if (auto o = core::parse_object_key(t)) {
    FUZZ_CHECK(t.starts_with(o->id.object_prefix()));
  }
  if (core::check_name(t)) {
    FUZZ_CHECK(!t.empty() && t.find('/') == std::string_view::npos);
  }
  if (auto tp = parse_iso8601(t)) {
    auto ms = std::chrono::floor<std::chrono::milliseconds>(*tp);
    FUZZ_CHECK(parse_iso8601(format_iso8601_ms(*tp)).value() == ms);
  }
  if (auto tp = parse_compact(t)) {
    FUZZ_CHECK(format_compact(*tp) == t);
  }
  if (auto d = parse_duration(t)) {
    FUZZ_CHECK(d->count() >= 0);
  }
  return 0;
}
