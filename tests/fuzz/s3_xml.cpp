// S3's XML answers (ListObjectsV2, errors, multipart), as a hostile or broken server can
// send them: a page or a typed error, in bounded memory; entities are refused.
#include "fuzz.hpp"
#include "storage/s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat::storage::s3;
  std::string_view t = lifeboat::fuzz::text(data, size);
  if (auto page = parse_list_objects_v2(t)) {
    FUZZ_CHECK(!page->truncated || !page->next_token.empty());
  }
  (void)parse_error(t);
  (void)parse_upload_id(t);
  (void)parse_list_multipart_uploads(t);
  std::string escaped = xml_escape(t);
  FUZZ_CHECK(escaped.find('<') == std::string::npos && escaped.size() >= t.size());
  return 0;
}
