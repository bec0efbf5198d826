#include "storage/cloudinary/answers.hpp"

#include <nlohmann/json.hpp>

#include "util/json_integer.hpp"

namespace lifeboat::storage::cloudinary {

namespace {

using nlohmann::json;

// Parses an object, or says why not; never throws.
Result<json> parse_object(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return tl::unexpected(std::string("the answer is not a JSON object"));
  }
  return j;
}

std::string string_field(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::uint64_t> size_field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    return std::nullopt;
  }
  return util::json_integer<std::uint64_t>(*it); // throws out_of_range / type_error
}

Result<Resource> resource_of(const json& j) {
  if (!j.is_object()) {
    return tl::unexpected(std::string("a resource is not a JSON object"));
  }
  Resource r;
  r.public_id = string_field(j, "public_id");
  if (r.public_id.empty()) {
    return tl::unexpected(std::string("a resource has no public_id"));
  }
  try {
    r.bytes = size_field(j, "bytes").value_or(0);
  } catch (const std::exception& e) {
    return tl::unexpected(std::string("a resource's bytes: ") + e.what());
  }
  r.created_at = string_field(j, "created_at");
  r.etag = string_field(j, "etag");
  return r;
}

} // namespace

Result<UploadAnswer> parse_upload_answer(std::string_view text) {
  auto j = parse_object(text);
  if (!j) {
    return tl::unexpected(j.error());
  }
  UploadAnswer a;
  if (auto d = j->find("done"); d != j->end() && d->is_boolean() && !d->get<bool>()) {
    a.done = false;
    return a;
  }
  auto r = resource_of(*j);
  if (!r) {
    return tl::unexpected(r.error());
  }
  a.resource = std::move(*r);
  if (auto e = j->find("existing"); e != j->end() && e->is_boolean()) {
    a.existing = e->get<bool>();
  }
  return a;
}

Result<ListAnswer> parse_list_answer(std::string_view text) {
  auto j = parse_object(text);
  if (!j) {
    return tl::unexpected(j.error());
  }
  auto rs = j->find("resources");
  if (rs == j->end() || !rs->is_array()) {
    return tl::unexpected(std::string("the answer has no resources array"));
  }
  ListAnswer a;
  for (const auto& item : *rs) {
    auto r = resource_of(item);
    if (!r) {
      return tl::unexpected(r.error());
    }
    a.resources.push_back(std::move(*r));
  }
  a.next_cursor = string_field(*j, "next_cursor");
  return a;
}

Result<Resource> parse_resource(std::string_view text) {
  auto j = parse_object(text);
  if (!j) {
    return tl::unexpected(j.error());
  }
  return resource_of(*j);
}

Result<Usage> parse_usage(std::string_view text) {
  auto j = parse_object(text);
  if (!j) {
    return tl::unexpected(j.error());
  }
  Usage u;
  try {
    if (auto m = j->find("media_limits"); m != j->end() && m->is_object()) {
      u.raw_max_size = size_field(*m, "raw_max_size");
    }
    if (auto s = j->find("storage"); s != j->end() && s->is_object()) {
      u.storage_used = size_field(*s, "usage");
      u.storage_limit = size_field(*s, "limit");
    }
  } catch (const std::exception& e) {
    return tl::unexpected(std::string("the usage answer: ") + e.what());
  }
  return u;
}

Result<std::string> parse_destroy_answer(std::string_view text) {
  auto j = parse_object(text);
  if (!j) {
    return tl::unexpected(j.error());
  }
  std::string r = string_field(*j, "result");
  if (r.empty()) {
    return tl::unexpected(std::string("the answer has no result"));
  }
  return r;
}

std::string parse_error_message(std::string_view text) {
  auto j = parse_object(text);
  if (!j) {
    return {};
  }
  auto e = j->find("error");
  if (e == j->end()) {
    return {};
  }
  if (e->is_string()) {
    return e->get<std::string>();
  }
  return e->is_object() ? string_field(*e, "message") : std::string();
}

} // namespace lifeboat::storage::cloudinary
