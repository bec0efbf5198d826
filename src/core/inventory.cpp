#include "core/inventory.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace lifeboat::core {

namespace {

// std::string compares as unsigned char, so this is byte (UTF-8) order.
bool before(std::string_view s1, std::string_view t1, std::string_view s2, std::string_view t2) {
  return std::tie(s1, t1) < std::tie(s2, t2);
}

std::string plural_rows(std::uint64_t n) {
  return fmt::format("{} {}", n, n == 1 ? "row" : "rows");
}

} // namespace

Inventory::Inventory(std::initializer_list<TableCount> tables) {
  for (const auto& t : tables) {
    add(t);
  }
}

void Inventory::add(TableCount table) {
  auto it = std::lower_bound(m_tables.begin(), m_tables.end(), table,
                             [](const TableCount& a, const TableCount& b) {
                               return before(a.schema, a.table, b.schema, b.table);
                             });
  if (it != m_tables.end() && it->schema == table.schema && it->table == table.table) {
    it->rows += table.rows;
    return;
  }
  m_tables.insert(it, std::move(table));
}

Inventory Inventory::from_sorted(std::vector<TableCount> tables) {
  for (std::size_t i = 1; i < tables.size(); ++i) {
    LIFEBOAT_ASSERT(before(tables[i - 1].schema, tables[i - 1].table, tables[i].schema,
                           tables[i].table));
  }
  Inventory out;
  out.m_tables = std::move(tables);
  return out;
}

const TableCount* Inventory::find(std::string_view schema, std::string_view table) const {
  auto it = std::lower_bound(m_tables.begin(), m_tables.end(), std::tie(schema, table),
                             [](const TableCount& a, const auto& key) {
                               return before(a.schema, a.table, std::get<0>(key), std::get<1>(key));
                             });
  if (it != m_tables.end() && it->schema == schema && it->table == table) {
    return &*it;
  }
  return nullptr;
}

std::uint64_t Inventory::total_rows() const {
  std::uint64_t n = 0;
  for (const auto& t : m_tables) {
    n += t.rows;
  }
  return n;
}

std::vector<Difference> compare(const Inventory& expected, const Inventory& found) {
  // Both sides are sorted and unique: one merge walk names every difference in order.
  std::vector<Difference> out;
  auto e = expected.begin();
  auto f = found.begin();
  while (e != expected.end() || f != found.end()) {
    if (f == found.end() ||
        (e != expected.end() && before(e->schema, e->table, f->schema, f->table))) {
      out.push_back({.kind = Difference::Kind::missing,
                     .schema = e->schema,
                     .table = e->table,
                     .expected_rows = e->rows});
      ++e;
    } else if (e == expected.end() || before(f->schema, f->table, e->schema, e->table)) {
      out.push_back({.kind = Difference::Kind::extra,
                     .schema = f->schema,
                     .table = f->table,
                     .found_rows = f->rows});
      ++f;
    } else {
      if (e->rows != f->rows) {
        out.push_back({.kind = Difference::Kind::rows,
                       .schema = e->schema,
                       .table = e->table,
                       .expected_rows = e->rows,
                       .found_rows = f->rows});
      }
      ++e;
      ++f;
    }
  }
  return out;
}

std::string quote_name(std::string_view schema, std::string_view table) {
  if (schema.empty()) {
    return sql_quote(table, '"');
  }
  return sql_quote(schema, '"') + "." + sql_quote(table, '"');
}

std::string describe(const Difference& d) {
  std::string name = quote_name(d.schema, d.table);
  switch (d.kind) {
  case Difference::Kind::missing:
    return fmt::format("table {} is missing (expected {})", name, plural_rows(d.expected_rows));
  case Difference::Kind::extra:
    return fmt::format("table {} is not expected (found {})", name, plural_rows(d.found_rows));
  case Difference::Kind::rows:
    return fmt::format("table {} has {}, expected {}", name, plural_rows(d.found_rows),
                       d.expected_rows);
  }
  return name; // unreachable: every kind is handled above
}

std::string describe(const std::vector<Difference>& diffs, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < diffs.size() && i < limit; ++i) {
    out += (i == 0 ? "" : "; ") + describe(diffs[i]);
  }
  if (diffs.size() > limit) {
    std::size_t more = diffs.size() - limit;
    out += fmt::format("{}and {} more {}", out.empty() ? "" : "; ", more,
                       more == 1 ? "difference" : "differences");
  }
  return out;
}

} // namespace lifeboat::core
