// storage/cloudinary/answers: the JSON the Upload and Admin APIs answer, read into plain
// structs (nlohmann-json stays in answers.cpp). Every parser takes untrusted text and
// returns an error string rather than throwing (fuzz_cloudinary_json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace lifeboat::storage::cloudinary {

struct Resource {
  std::string public_id;
  std::uint64_t bytes = 0;
  std::string created_at; // ISO 8601 as answered
  std::string etag;
};

struct UploadAnswer {
  Resource resource;
  bool existing = false; // overwrite=false found one already there
  bool done = true;      // false: a non-final chunk was taken ({"done": false})
};

struct ListAnswer {
  std::vector<Resource> resources;
  std::string next_cursor;
};

struct Usage {
  std::optional<std::uint64_t> raw_max_size;
  std::optional<std::uint64_t> storage_used;
  std::optional<std::uint64_t> storage_limit;
};

Result<UploadAnswer> parse_upload_answer(std::string_view json);
Result<ListAnswer> parse_list_answer(std::string_view json);
Result<Resource> parse_resource(std::string_view json);
Result<Usage> parse_usage(std::string_view json);
// destroy: {"result": "ok"} or {"result": "not found"}
Result<std::string> parse_destroy_answer(std::string_view json);
// {"error": {"message": "..."}}: the message, or empty when there is none.
std::string parse_error_message(std::string_view json);

} // namespace lifeboat::storage::cloudinary
