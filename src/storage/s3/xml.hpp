// storage/s3/xml: the answers S3 gives in XML, read with expat (a streaming parser:
// memory is the current element path and text, whatever the answer's size). Element
// names are taken without namespace; depth is capped, entities are refused (no DTDs).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"
#include "util/time.hpp"

namespace lifeboat::storage::s3 {

// Calls `leaf(path, text)` for every element that holds text only, path being the
// names from the root joined by '/' ("ListBucketResult/Contents/Key"), and `end(path)`
// when any element closes. Errors name what is wrong, never echo the document.
Result<void> parse_xml(std::string_view body,
                       const std::function<void(const std::string& path, const std::string& text)>& leaf,
                       const std::function<void(const std::string& path)>& end = {});

struct ListedObject {
  std::string key;
  std::uint64_t size = 0;
  TimePoint mtime{};
  std::string etag;
};

struct ListPage {
  std::vector<ListedObject> objects;
  bool truncated = false;
  std::string next_token;
};
Result<ListPage> parse_list_objects_v2(std::string_view body);

// <Error><Code>…</Code><Message>…</Message></Error>; nullopt when the body is not one.
struct S3Error {
  std::string code;
  std::string message;
};
std::optional<S3Error> parse_error(std::string_view body);

Result<std::string> parse_upload_id(std::string_view body); // InitiateMultipartUploadResult

struct PendingUpload {
  std::string key;
  std::string upload_id;
  TimePoint initiated{};
};
struct UploadsPage {
  std::vector<PendingUpload> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
Result<UploadsPage> parse_list_multipart_uploads(std::string_view body);

// Escapes text for an XML element (CompleteMultipartUpload's ETags).
std::string xml_escape(std::string_view text);

} // namespace lifeboat::storage::s3
