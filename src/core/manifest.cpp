#include "core/manifest.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/json_integer.hpp"

namespace lifeboat::core {

using nlohmann::json;

namespace {

// "schema.table" of a manifest without "schema", split as its writer's restore did.
TableCount split_legacy_name(const std::string& name, std::uint64_t rows) {
  auto dot = name.find('.');
  if (dot == std::string::npos) {
    return {.schema = "", .table = name, .rows = rows};
  }
  return {.schema = name.substr(0, dot), .table = name.substr(dot + 1), .rows = rows};
}

} // namespace

Inventory legacy_postgres_names(const Inventory& found) {
  Inventory out;
  for (const auto& t : found) {
    std::string joined = t.schema.empty() ? t.table : t.schema + "." + t.table;
    std::erase(joined, '"');
    out.add(split_legacy_name(joined, t.rows));
  }
  return out;
}

Inventory legacy_sqlite_names(const Inventory& found) {
  Inventory out;
  for (const auto& t : found) {
    // The old writer's `name NOT LIKE 'sqlite_%'`: "sqlite" in any case, then any byte.
    std::string head = t.table.substr(0, 6);
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (head == "sqlite" && t.table.size() > 6) {
      continue;
    }
    out.add(t);
  }
  return out;
}

std::vector<Difference> compare_with_manifest(const Manifest& m, const Inventory& found) {
  if (m.legacy_table_names) {
    return compare(m.tables, m.kind == "postgres" ? legacy_postgres_names(found)
                                                  : legacy_sqlite_names(found));
  }
  return compare(m.tables, found);
}

std::string to_json(const Manifest& m) {
  json tables = json::array();
  for (const auto& t : m.tables) {
    tables.push_back({{"schema", t.schema}, {"name", t.table}, {"rows", t.rows}});
  }
  json j = {
      {"format", k_manifest_format},
      {"id", m.id},
      {"name", m.name},
      {"kind", m.kind},
      {"reason", m.reason},
      {"source", m.source},
      {"source_id", m.source_id},
      {"server_version", m.server_version},
      {"tool_version", m.tool_version},
      {"host", m.host},
      {"started_at", format_iso8601_ms(m.started_at)},
      {"finished_at", format_iso8601_ms(m.finished_at)},
      {"duration_seconds", m.duration_seconds},
      {"data",
       {{"key", m.data.key},
        {"size", m.data.size},
        {"sha256", m.data.sha256},
        {"payload", m.data.payload},
        {"codec", m.data.codec},
        {"level", m.data.level},
        {"encrypted", m.data.encrypted},
        {"recipients", m.data.recipients}}},
      {"checksum_key", m.checksum_key},
      {"uncompressed_size", m.uncompressed_size},
      {"integrity_check", m.integrity_check},
      {"tables", tables},
  };
  if (!m.data.parts.empty()) {
    json parts = json::array();
    for (const auto& p : m.data.parts) {
      parts.push_back({{"key", p.key}, {"size", p.size}, {"sha256", p.sha256}});
    }
    j["data"]["parts"] = std::move(parts);
  }
  if (m.roles) {
    j["roles"] = {{"owners", m.roles->owners},
                  {"privileges", m.roles->privileges},
                  {"policies", m.roles->policies}};
  }
  if (m.database_settings) {
    j["database_settings"] = *m.database_settings;
  }
  return j.dump(2) + "\n";
}

namespace {

template <typename T> T field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) {
    throw std::invalid_argument(fmt::format("missing field '{}'", key));
  }
  try {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (!it->is_number()) {
        throw std::invalid_argument(fmt::format("field '{}' has the wrong type", key));
      }
      return util::json_integer<T>(*it);
    } else {
      return it->get<T>();
    }
  } catch (const json::exception&) {
    throw std::invalid_argument(fmt::format("field '{}' has the wrong type", key));
  } catch (const std::out_of_range& e) {
    throw std::invalid_argument(fmt::format("field '{}': {}", key, e.what()));
  }
}

TimePoint time_field(const json& j, const char* key) {
  auto t = parse_iso8601(field<std::string>(j, key));
  if (!t) {
    throw std::invalid_argument(fmt::format("field '{}': {}", key, t.error()));
  }
  return *t;
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) {
    return false;
  }
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

} // namespace

namespace {

// Parses the JSON text into a tree that holds everything but the table entries, which
// `entries` receives one by one as their objects close (see k_max_manifest_size).
class BoundedReader {
public:
  json parse(std::string_view text) {
    return json::parse(text, [this](int depth, json::parse_event_t event, json& parsed) {
      return keep(depth, event, parsed);
    });
  }
  struct Entry {
    std::optional<std::string> schema; // absent in legacy manifests
    std::string name;
    std::uint64_t rows = 0;
  };
  std::vector<Entry> entries; // the table entries, in the order of the text
  bool saw_tables = false;

private:
  bool keep(int depth, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    if (depth > k_max_manifest_depth) {
      throw std::invalid_argument(
          fmt::format("it nests deeper than {} levels", k_max_manifest_depth));
    }
    if (event == E::key && depth == 1) {
      m_key = parsed.get<std::string>();
      if (!m_seen.insert(m_key).second) {
        throw std::invalid_argument(fmt::format("field '{}' appears twice", m_key));
      }
      // Unknown fields are ignored, so they are not even built.
      static const std::set<std::string, std::less<>> known = {
          "format",       "id",          "name",           "kind",
          "reason",       "source",      "source_id",      "server_version",
          "tool_version", "host",        "started_at",     "finished_at",
          "duration_seconds", "data",    "checksum_key",   "uncompressed_size",
          "integrity_check",  "tables",  "roles",          "database_settings"};
      m_skipping = !known.contains(m_key);
      return !m_skipping;
    }
    if (m_skipping) {
      return true; // inside an unknown field's value: the parser builds none of it
    }
    if (depth == 1 && m_key == "tables") {
      if (event == E::array_start) {
        m_in_tables = true;
        saw_tables = true;
      } else if (event == E::array_end) {
        m_in_tables = false;
      }
    }
    if (m_in_tables && depth >= 2) {
      if (depth == 2 && (event == E::object_end || event == E::array_end || event == E::value)) {
        if (!parsed.is_object()) {
          throw std::invalid_argument("field 'tables' holds an entry that is not an object");
        }
        Entry e{.name = field<std::string>(parsed, "name"),
                .rows = field<std::uint64_t>(parsed, "rows")};
        if (parsed.contains("schema")) {
          e.schema = field<std::string>(parsed, "schema");
        }
        entries.push_back(std::move(e));
        return false; // never part of the tree
      }
      return true;
    }
    if (++m_values > k_max_manifest_values) {
      throw std::invalid_argument(fmt::format(
          "it holds more than {} values outside 'tables'", k_max_manifest_values));
    }
    return true;
  }
  std::string m_key;
  std::set<std::string> m_seen; // the top-level keys so far
  bool m_in_tables = false;
  bool m_skipping = false; // reading the value of an unknown top-level field
  std::size_t m_values = 0;
};

} // namespace

Result<Manifest> parse_manifest(std::string_view text) {
  if (text.size() > k_max_manifest_size) {
    return unexpected(fmt::format("manifest is {} bytes, more than the {} lifeboat reads",
                                  text.size(), k_max_manifest_size));
  }
  json j;
  BoundedReader reader;
  try {
    j = reader.parse(text);
  } catch (const json::exception& e) {
    return unexpected(fmt::format("manifest is not valid JSON: {}", e.what()));
  } catch (const std::invalid_argument& e) {
    return unexpected(fmt::format("invalid manifest: {}", e.what()));
  }
  try {
    if (!j.is_object()) {
      throw std::invalid_argument("manifest is not a JSON object");
    }
    auto format = field<std::string>(j, "format");
    if (format != k_manifest_format) {
      throw std::invalid_argument(fmt::format(
          "unsupported manifest format '{}' (this lifeboat reads '{}')", format,
          k_manifest_format));
    }
    Manifest m;
    m.id = field<std::string>(j, "id");
    m.name = field<std::string>(j, "name");
    m.kind = field<std::string>(j, "kind");
    m.reason = j.value("reason", std::string("manual"));
    m.source = field<std::string>(j, "source");
    m.source_id = j.value("source_id", std::string());
    m.server_version = j.value("server_version", std::string());
    m.tool_version = j.value("tool_version", std::string());
    m.host = j.value("host", std::string());
    m.started_at = time_field(j, "started_at");
    m.finished_at = time_field(j, "finished_at");
    m.duration_seconds = j.value("duration_seconds", 0.0);
    const json& d = j.at("data");
    m.data.key = field<std::string>(d, "key");
    m.data.size = field<std::uint64_t>(d, "size");
    m.data.sha256 = field<std::string>(d, "sha256");
    m.data.payload = field<std::string>(d, "payload");
    m.data.codec = field<std::string>(d, "codec");
    m.data.level = d.contains("level") ? field<int>(d, "level") : 0;
    m.data.encrypted = d.value("encrypted", false);
    m.data.recipients = d.value("recipients", std::vector<std::string>{});
    if (auto ps = d.find("parts"); ps != d.end()) {
      if (!ps->is_array() || ps->empty() || ps->size() > 99'999) {
        throw std::invalid_argument("field 'data.parts' has the wrong type");
      }
      std::uint64_t total = 0;
      for (const auto& p : *ps) {
        DataPart part{field<std::string>(p, "key"), field<std::uint64_t>(p, "size"),
                      field<std::string>(p, "sha256")};
        std::string want = fmt::format("{}.part{:04d}", m.data.key, m.data.parts.size() + 1);
        if (part.key != want) {
          throw std::invalid_argument(fmt::format("part '{}' of data.parts should be '{}'", part.key, want));
        }
        if (!is_hex64(part.sha256)) {
          throw std::invalid_argument("a part's sha256 is not a SHA-256 hex digest");
        }
        if (total + part.size < total) {
          throw std::invalid_argument("the sizes of data.parts overflow");
        }
        total += part.size;
        m.data.parts.push_back(std::move(part));
      }
      if (total != m.data.size) {
        throw std::invalid_argument("the sizes of data.parts do not add up to data.size");
      }
    }
    m.checksum_key = field<std::string>(j, "checksum_key");
    m.uncompressed_size = field<std::uint64_t>(j, "uncompressed_size");
    m.integrity_check = j.value("integrity_check", std::string());
    if (auto r = j.find("roles"); r != j.end()) {
      if (!r->is_object()) {
        throw std::invalid_argument("field 'roles' has the wrong type");
      }
      m.roles = RoleUse{.owners = field<std::vector<std::string>>(*r, "owners"),
                        .privileges = field<std::vector<std::string>>(*r, "privileges"),
                        .policies = field<std::vector<std::string>>(*r, "policies")};
    }
    if (j.contains("database_settings")) {
      m.database_settings = field<std::vector<std::string>>(j, "database_settings");
    }
    if (!field<json>(j, "tables").is_array() || !reader.saw_tables) {
      throw std::invalid_argument("field 'tables' has the wrong type");
    }
    struct Listed {
      TableCount table;
      bool legacy;
    };
    std::vector<Listed> listed;
    listed.reserve(reader.entries.size());
    for (auto& t : reader.entries) {
      if (!t.schema) {
        // Written before schema was recorded (see manifest.hpp): duplicates merge, as
        // the names of distinct tables could coincide there.
        m.legacy_table_names = true;
        listed.push_back({m.kind == "postgres"
                              ? split_legacy_name(t.name, t.rows)
                              : TableCount{.schema = "main", .table = t.name, .rows = t.rows},
                          true});
        continue;
      }
      listed.push_back(
          {{.schema = std::move(*t.schema), .table = std::move(t.name), .rows = t.rows}, false});
    }
    reader.entries = {};
    // Sorted once, never inserted in order: entries in reverse order must not cost n².
    std::sort(listed.begin(), listed.end(), [](const Listed& a, const Listed& b) {
      return std::tie(a.table.schema, a.table.table) < std::tie(b.table.schema, b.table.table);
    });
    std::vector<TableCount> tables;
    tables.reserve(listed.size());
    bool last_exact = false; // the last table came from an entry with a schema
    for (auto& l : listed) {
      if (!tables.empty() && tables.back().schema == l.table.schema &&
          tables.back().table == l.table.table) {
        if (!l.legacy && last_exact) {
          throw std::invalid_argument(
              fmt::format("table {} is listed twice in field 'tables'",
                          quote_name(l.table.schema, l.table.table)));
        }
        tables.back().rows += l.table.rows;
        last_exact = last_exact || !l.legacy;
        continue;
      }
      last_exact = !l.legacy;
      tables.push_back(std::move(l.table));
    }
    m.tables = Inventory::from_sorted(std::move(tables));
    auto id = BackupId::parse(m.id, m.name);
    if (!id && !BackupId::parse(m.id)) {
      throw std::invalid_argument(id.error());
    }
    if (!id) {
      throw std::invalid_argument(
          fmt::format("id '{}' does not belong to database '{}'", m.id, m.name));
    }
    if (!m.data.key.starts_with(id->object_prefix())) {
      throw std::invalid_argument(
          fmt::format("data key '{}' does not belong to backup '{}'", m.data.key, m.id));
    }
    if (!is_hex64(m.data.sha256)) {
      throw std::invalid_argument("field 'data.sha256' is not a SHA-256 hex digest");
    }
    if (m.kind != "sqlite" && m.kind != "postgres") {
      throw std::invalid_argument(fmt::format("unknown database kind '{}'", m.kind));
    }
    return m;
  } catch (const std::exception& e) {
    return unexpected(fmt::format("invalid manifest: {}", e.what()));
  }
}

std::string checksum_line(const DataObject& data) {
  auto slash = data.key.rfind('/');
  std::string base = slash == std::string::npos ? data.key : data.key.substr(slash + 1);
  return data.sha256 + "  " + base + "\n";
}

} // namespace lifeboat::core
