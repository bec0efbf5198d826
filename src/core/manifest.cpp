#include "core/manifest.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
    return it->get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(fmt::format("field '{}' has the wrong type", key));
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

Result<Manifest> parse_manifest(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return unexpected(fmt::format("manifest is not valid JSON: {}", e.what()));
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
    m.data.level = d.value("level", 0);
    m.data.encrypted = d.value("encrypted", false);
    m.data.recipients = d.value("recipients", std::vector<std::string>{});
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
    auto tables = field<json>(j, "tables");
    if (!tables.is_array()) {
      throw std::invalid_argument("field 'tables' has the wrong type");
    }
    for (const auto& t : tables) {
      if (!t.is_object()) {
        throw std::invalid_argument("field 'tables' holds an entry that is not an object");
      }
      auto name = field<std::string>(t, "name");
      auto rows = field<std::uint64_t>(t, "rows");
      if (!t.contains("schema")) {
        // Written before schema was recorded (see manifest.hpp): duplicates merge, as
        // the names of distinct tables could coincide there.
        m.legacy_table_names = true;
        m.tables.add(m.kind == "postgres"
                         ? split_legacy_name(name, rows)
                         : TableCount{.schema = "main", .table = name, .rows = rows});
        continue;
      }
      auto schema = field<std::string>(t, "schema");
      if (m.tables.find(schema, name) != nullptr) {
        throw std::invalid_argument(
            fmt::format("table {} is listed twice in field 'tables'", quote_name(schema, name)));
      }
      m.tables.add({.schema = schema, .table = name, .rows = rows});
    }
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
