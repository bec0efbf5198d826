// The one table of storage schemes (STYLE.md L3). Each backend owns its URL
// parsing, environment defaults and redaction; later backends add a row.
#include <fmt/format.h>

#include <cstdlib>

#include "storage/cloudinary/cloudinary_storage.hpp"
#include "storage/file/file_storage.hpp"
#include "storage/decorators.hpp"
#include "storage/s3/s3_storage.hpp"
#include "storage/storage.hpp"
#include "util/strings.hpp"

namespace lifeboat::storage {
namespace {

struct Scheme {
  std::string_view name;
  std::unique_ptr<Storage> (*open)(std::string_view url);
};

std::unique_ptr<Storage> open_file(std::string_view url) {
  std::string_view path = url;
  if (path.starts_with("file://")) {
    path.remove_prefix(7);
    if (!path.starts_with("/")) {
      throw Error(ErrorKind::config,
                  fmt::format("invalid storage URL '{}': file:// needs an absolute path "
                              "(file:///srv/backups)",
                              url));
    }
  }
  if (path.empty()) {
    throw Error(ErrorKind::config, "invalid storage URL '': empty path");
  }
  return std::make_unique<file::FileStorage>(std::filesystem::path(path));
}

// Remote backends get the decorators in their one order (storage/decorators.hpp).
std::unique_ptr<Storage> open_s3(std::string_view url) {
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  };
  return decorate(s3::open_s3(url, env), {}, decorator_hooks());
}

// The same order: Retrying(Cloudinary). The backend classifies; retry retries.
std::unique_ptr<Storage> open_cloudinary(std::string_view url) {
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  };
  return decorate(cloudinary::open_cloudinary(url, env), {}, decorator_hooks());
}

const std::vector<Scheme>& schemes() {
  static const std::vector<Scheme> table = [] {
    std::vector<Scheme> t = {
        {"file", open_file},
        {"s3", open_s3},
        {"cloudinary", open_cloudinary},
    };
    for (size_t i = 0; i < t.size(); ++i) {
      for (size_t j = i + 1; j < t.size(); ++j) {
        LIFEBOAT_ASSERT(t[i].name != t[j].name); // a scheme is registered once
      }
    }
    return t;
  }();
  return table;
}

} // namespace

std::unique_ptr<Storage> open_storage(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return open_file(url); // a plain directory path
  }
  std::string_view scheme = url.substr(0, sep);
  for (const auto& s : schemes()) {
    if (s.name == scheme) {
      return s.open(url);
    }
  }
  std::string known;
  for (const auto& s : schemes()) {
    known += (known.empty() ? "" : ", ") + std::string(s.name);
  }
  throw Error(ErrorKind::config,
              fmt::format("unsupported storage URL '{}': known schemes are {}",
                          redact_url(url), known),
              "Use a directory path, or file:///absolute/path.");
}

std::vector<std::string> storage_schemes() {
  std::vector<std::string> out;
  for (const auto& s : schemes()) {
    out.emplace_back(s.name);
  }
  return out;
}

} // namespace lifeboat::storage
