// storage/s3: objects in an S3-compatible bucket (AWS, GCS interoperability, R2, B2,
// MinIO, Wasabi). URL: s3://BUCKET/PREFIX?region=R&endpoint=https://host:port&path_style=1
// (DESIGN.md); credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN. Requests are signed with SigV4 (sigv4.hpp), sent over libcurl
// (http.hpp), answers read with expat (xml.hpp). Writes go through the parts seam:
// one PUT when the object fits in the first part, a multipart upload otherwise, which
// becomes visible only at CompleteMultipartUpload and is aborted on any failure.
// Reads are ranged GETs pinned to the object's ETag, so a read resumes at any offset.
// This backend classifies failures; storage/retry retries them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/storage.hpp"

namespace lifeboat::storage::s3 {

// Opens s3://… (see above). `env` looks up environment variables (tests pass their own).
std::unique_ptr<Storage> open_s3(std::string_view url,
                                 const std::function<std::optional<std::string>(const char*)>& env);

// The size of multipart part `number` (from 1): 6 MiB for the first 1,000 parts, then
// doubling every 1,000 parts up to S3's 5 GiB, so 10,000 parts hold 6 TiB and a backup
// of up to 6 GiB is uploaded with 18 MiB of buffers (two parts in flight, one filling).
std::size_t part_size_for(int number);

} // namespace lifeboat::storage::s3
