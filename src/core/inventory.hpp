// core/inventory: which tables a backup holds and how many rows each has, and the one
// comparison of two such inventories (DESIGN.md, "What a backup is").
//
// One type for every place that speaks of tables: the SQLite snapshot, the COPY blocks
// of a PostgreSQL dump, the manifest, and the checks of verify, restore and import. A
// table is named by (schema, table) exactly as the database spells it, never by one
// "schema.table" string: a dot or a quote inside a name is ordinary data.
//   * SQLite: schema is "main" (SQLite's own name for the main database), table is the
//     name in sqlite_schema; `CREATE TABLE "main.x"` is ("main", "main.x"), next to
//     ("main", "x").
//   * PostgreSQL: schema and table as pg_dump's COPY line names them (after removing the
//     quotes fmtId adds); schema is "" only for a COPY line without a schema, which
//     pg_dump never writes.
//
// This module is a pure value type: it never does IO, never includes anything of ours
// but util/, and so may be used by source/ (docs/ARCHITECTURE.md) without giving a
// source any way to reach storage or manifests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::core {

struct TableCount {
  std::string schema; // "main" for SQLite; "" only for an unqualified PostgreSQL name
  std::string table;
  std::uint64_t rows = 0;
  bool operator==(const TableCount&) const = default;
};

// Tables ordered by (schema, table), compared byte by byte (UTF-8 order), each table
// once: the order is deterministic whatever order the tables were added in.
class Inventory {
public:
  Inventory() = default;
  Inventory(std::initializer_list<TableCount> tables);

  // Adds a table. A table added twice counts once, with the sum of the rows: pg_dump
  // writes one COPY block per table, but a dump made with --load-via-partition-root
  // writes one per partition into the same root table.
  void add(TableCount table);
  // Takes tables already in (schema, table) order, each once (asserted), in O(n).
  static Inventory from_sorted(std::vector<TableCount> tables);

  // The table, or nullptr when the inventory does not hold it.
  const TableCount* find(std::string_view schema, std::string_view table) const;

  const std::vector<TableCount>& tables() const { return m_tables; }
  auto begin() const { return m_tables.begin(); }
  auto end() const { return m_tables.end(); }
  std::size_t size() const { return m_tables.size(); }
  bool empty() const { return m_tables.empty(); }
  std::uint64_t total_rows() const;

  bool operator==(const Inventory&) const = default;

private:
  std::vector<TableCount> m_tables; // sorted by (schema, table), unique
};

// One way two inventories differ, with both counts where both sides have the table.
struct Difference {
  enum class Kind {
    missing, // in expected, not in found
    extra,   // in found, not in expected
    rows,    // in both, with different row counts
  };
  Kind kind = Kind::missing;
  std::string schema;
  std::string table;
  std::uint64_t expected_rows = 0; // missing, rows
  std::uint64_t found_rows = 0;    // extra, rows
  bool operator==(const Difference&) const = default;
};

// Every difference between what a backup should hold (`expected`, usually the
// manifest) and what was found (a dump, an image, a restored database), ordered by
// (schema, table). Empty when they are equal.
std::vector<Difference> compare(const Inventory& expected, const Inventory& found);

// The name for messages and for SQL: each part double-quoted with `"` doubled, so
// every name reads back unambiguously: ("a.b", "c") → "a.b"."c", ("public", `we"ird`)
// → "public"."we""ird", ("", "t") → "t". Valid SQL in SQLite and PostgreSQL.
std::string quote_name(std::string_view schema, std::string_view table);

// One difference for a message:
//   table "public"."orders" is missing (expected 5000 rows)
//   table "public"."audit" is not expected (found 12 rows)
//   table "public"."orders" has 4999 rows, expected 5000
std::string describe(const Difference& d);

inline constexpr std::size_t k_described_differences = 10;

// The first `limit` differences joined by "; ", then "; and N more differences" when
// there are more: a message stays readable, the returned list stays complete.
std::string describe(const std::vector<Difference>& diffs,
                     std::size_t limit = k_described_differences);

} // namespace lifeboat::core
