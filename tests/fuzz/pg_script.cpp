// pg_dump's plain-format stream, as the backup's observer and the restore's filter read
// it: the same tables, rows, roles and trailer verdict at any chunking; the filter with
// nothing to remove passes the stream byte for byte; a COPY line parses to names that
// quote back into a line that parses to them.
#include <string>

#include "fuzz.hpp"
#include "source/postgres/script.hpp"
#include "util/error.hpp"

namespace {

using namespace lifeboat;
using namespace lifeboat::source::postgres;

struct Seen {
  bool ok = true;
  std::vector<core::TableCount> tables;
  DumpRoles roles;
  bool complete = false;
};

Seen observe(const std::vector<std::string_view>& pieces) {
  Seen s;
  DumpObserver o;
  try {
    for (auto p : pieces) {
      o.observe(pipeline::as_bytes(p));
    }
    o.finish();
  } catch (const Error&) {
    s.ok = false;
    return s;
  }
  s.tables = o.tables().tables();
  s.roles = o.roles();
  s.complete = o.complete();
  return s;
}

class Collect final : public pipeline::Sink {
public:
  void write(pipeline::Bytes b) override {
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  std::string out;
};

std::string filter(const std::vector<std::string_view>& pieces, FilterOptions options,
                   std::uint64_t* removed) {
  Collect c;
  ScriptFilter f(c, options);
  for (auto p : pieces) {
    f.write(pipeline::as_bytes(p));
  }
  f.finish();
  *removed = f.removed();
  return c.out;
}

std::string quote(const std::string& name) {
  std::string out = "\"";
  for (char ch : name) {
    out += ch;
    if (ch == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view all = fuzz::text(data + 1, size - 1);
  auto pieces = fuzz::chunks(all, data[0]);

  Seen whole = observe({all});
  Seen split = observe(pieces);
  FUZZ_CHECK(whole.ok == split.ok);
  if (whole.ok) {
    FUZZ_CHECK(whole.tables == split.tables);
    FUZZ_CHECK(whole.roles == split.roles);
    FUZZ_CHECK(whole.complete == split.complete);
  }

  // Nothing to remove but BEGIN/COMMIT and SET lock_timeout: without those, identity.
  std::uint64_t removed = 0;
  std::string passed = filter(pieces, {}, &removed);
  if (removed == 0) {
    FUZZ_CHECK(passed == all);
  } else {
    FUZZ_CHECK(passed.size() < all.size());
  }
  std::uint64_t removed_whole = 0;
  std::string strict = filter({all}, {.no_owner = true, .no_privileges = true}, &removed_whole);
  std::uint64_t removed_split = 0;
  FUZZ_CHECK(strict == filter(pieces, {.no_owner = true, .no_privileges = true}, &removed_split));
  FUZZ_CHECK(removed_whole == removed_split && removed_whole >= removed);

  (void)classify_statement(all);
  if (auto c = parse_copy_line(all)) {
    std::string name = c->schema.empty() ? quote(c->table) : quote(c->schema) + "." + quote(c->table);
    std::string line = "COPY " + name + " (a) FROM stdin;";
    FUZZ_CHECK(parse_copy_line(line).value() == *c);
  }
  return 0;
}
