// Cloudinary's JSON answers (upload, chunk, list, resource, usage, destroy, error), as a
// hostile or broken server can send them: a struct or an error string, never a throw,
// never a negative or fractional size taken for a count.
#include "fuzz.hpp"
#include "storage/cloudinary/answers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat::storage::cloudinary;
  std::string_view t = lifeboat::fuzz::text(data, size);
  if (auto up = parse_upload_answer(t); up && up->done) {
    FUZZ_CHECK(!up->resource.public_id.empty());
  }
  if (auto list = parse_list_answer(t)) {
    for (const auto& r : list->resources) {
      FUZZ_CHECK(!r.public_id.empty());
    }
  }
  (void)parse_resource(t);
  (void)parse_usage(t);
  (void)parse_destroy_answer(t);
  (void)parse_error_message(t);
  return 0;
}
