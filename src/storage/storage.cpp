#include "storage/storage.hpp"

#include <fmt/format.h>

#include "util/strings.hpp"

namespace lifeboat::storage {

std::string Storage::signed_url(const std::string&, Seconds) {
  throw Error(ErrorKind::usage, fmt::format("storage '{}' cannot make signed URLs", display_url()));
}

std::optional<std::string> Storage::read_at_most(const std::string& key, std::size_t limit) {
  auto reader = open_read(key);
  std::string out;
  std::vector<std::byte> buf(64 * 1024);
  while (true) {
    std::size_t n = reader->read(buf);
    if (n == 0) {
      return out;
    }
    out.append(reinterpret_cast<const char*>(buf.data()), n);
    if (out.size() > limit) {
      return std::nullopt;
    }
  }
}

std::string Storage::read_all(const std::string& key, std::size_t limit) {
  auto out = read_at_most(key, limit);
  if (!out) {
    throw Error(ErrorKind::permanent,
                fmt::format("object '{}' in '{}' is larger than {} bytes", key, display_url(),
                            limit));
  }
  return std::move(*out);
}

void Storage::write_all(const std::string& key, std::string_view data, const PutOptions& options) {
  auto writer = open_write(key, options);
  writer->write(pipeline::as_bytes(data));
  writer->commit();
}

std::vector<ObjectInfo> Storage::list_all(const std::string& prefix) {
  std::vector<ObjectInfo> out;
  list(prefix, [&](const ObjectInfo& info) { out.push_back(info); });
  return out;
}

Result<void> check_key(std::string_view key) {
  if (key.empty()) {
    return unexpected(std::string("invalid object key: empty"));
  }
  if (key.front() == '/' || key.back() == '/') {
    return unexpected(fmt::format("invalid object key '{}': must not start or end with '/'", key));
  }
  for (const auto& part : split(key, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return unexpected(
          fmt::format("invalid object key '{}': empty, '.' or '..' segment", key));
    }
  }
  return {};
}

} // namespace lifeboat::storage
