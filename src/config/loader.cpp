// The only file that includes toml++ (a heavy header).
#include <toml++/toml.h>

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/raw.hpp"

namespace lifeboat::config {
namespace {

const OptionSpec* find_spec(const std::string& key) {
  for (const auto& o : options()) {
    if (o.key == key) {
      return &o;
    }
  }
  return nullptr;
}

// Levenshtein distance for "did you mean".
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    prev[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(const std::string& key) {
  std::string best;
  size_t best_d = 4;
  for (const auto& o : options()) {
    size_t d = distance(key, o.key);
    if (d < best_d) {
      best_d = d;
      best = std::string(o.key);
    }
  }
  return best;
}

bool is_table_key(const std::string& key) {
  static const char* tables[] = {"storage", "database", "database.hooks", "database.retention",
                                 "retention", "encryption", "health", "notify", "postgres",
                                 "daemon"};
  for (const char* t : tables) {
    if (key == t) {
      return true;
    }
  }
  return false;
}

struct Walker {
  const std::string& name;
  std::vector<RawEntry>& out;

  [[noreturn]] void fail(const toml::node& node, const std::string& message) const {
    throw Error(ErrorKind::config, fmt::format("{}:{}: {}", name, node.source().begin.line, message));
  }

  void table(const toml::table& t, const std::string& path, const std::string& spec) {
    for (const auto& [k, node] : t) {
      std::string key(k.str());
      std::string child_path = path.empty() ? key : path + "." + key;
      std::string child_spec = spec.empty() ? key : spec + "." + key;
      if (is_table_key(child_spec)) {
        if (child_spec == "database" || child_spec == "notify") {
          const toml::array* arr = node.as_array();
          if (arr == nullptr) {
            fail(node, fmt::format("'{}' must be an array of tables: write [[{}]]", child_spec,
                                   child_spec));
          }
          size_t i = 0;
          for (const auto& item : *arr) {
            const toml::table* it = item.as_table();
            if (it == nullptr) {
              fail(item, fmt::format("each '{}' must be a table", child_spec));
            }
            table(*it, fmt::format("{}[{}]", child_path, i++), child_spec);
          }
          continue;
        }
        const toml::table* sub = node.as_table();
        if (sub == nullptr) {
          fail(node, fmt::format("'{}' must be a table: write [{}]", child_spec, child_spec));
        }
        table(*sub, child_path, child_spec);
        continue;
      }
      const OptionSpec* s = find_spec(child_spec);
      if (s == nullptr) {
        std::string hint = closest(child_spec);
        throw Error(ErrorKind::config,
                    fmt::format("{}:{}: unknown key '{}'", name, node.source().begin.line,
                                child_spec),
                    hint.empty() ? "Run 'lifeboat config show' to see the known keys."
                                 : fmt::format("Did you mean '{}'?", hint));
      }
      value(node, *s, child_path);
    }
  }

  void value(const toml::node& node, const OptionSpec& s, const std::string& path) {
    RawEntry e{path, std::string(s.key), std::string(), static_cast<int>(node.source().begin.line)};
    switch (s.type) {
    case Type::integer:
      if (auto v = node.value<std::int64_t>(); v && node.is_integer()) {
        if (*v < 0) {
          fail(node, fmt::format("'{}' must not be negative", s.key));
        }
        e.value = *v;
      } else {
        fail(node, fmt::format("'{}' must be an integer", s.key));
      }
      break;
    case Type::boolean:
      if (auto v = node.value<bool>(); v && node.is_boolean()) {
        e.value = *v;
      } else {
        fail(node, fmt::format("'{}' must be true or false", s.key));
      }
      break;
    case Type::string_list: {
      const toml::array* arr = node.as_array();
      if (arr == nullptr) {
        fail(node, fmt::format("'{}' must be a list of strings, e.g. [\"a\", \"b\"]", s.key));
      }
      std::vector<std::string> list;
      for (const auto& item : *arr) {
        auto v = item.value<std::string>();
        if (!v || !item.is_string()) {
          fail(item, fmt::format("'{}' must be a list of strings", s.key));
        }
        list.push_back(*v);
      }
      e.value = list;
      break;
    }
    default:
      if (auto v = node.value<std::string>(); v && node.is_string()) {
        e.value = *v;
      } else {
        fail(node, fmt::format("'{}' must be a string", s.key));
      }
    }
    out.push_back(std::move(e));
  }
};

} // namespace

std::vector<RawEntry> parse_raw(std::string_view text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    throw Error(ErrorKind::config, fmt::format("{}:{}:{}: {}", name, e.source().begin.line,
                                               e.source().begin.column, e.description()));
  }
  std::vector<RawEntry> out;
  Walker{name, out}.table(root, "", "");
  return out;
}

} // namespace lifeboat::config
