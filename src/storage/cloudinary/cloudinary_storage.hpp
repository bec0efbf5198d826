// storage/cloudinary: objects as Cloudinary `raw` resources (DESIGN.md, Storage URLs;
// issue 14). The URL and its options: location.hpp.
//
// An object's public_id is PREFIX/KEY, extension included, of delivery type `private`
// (by default). Requests are signed with the API secret (signature.hpp):
//   - write: the Upload API, POST /v1_1/CLOUD/raw/upload (multipart/form-data), one
//     request when the object fits in one chunk, else a chunked upload (the same
//     X-Unique-Upload-Id, Content-Range "bytes a-b/-1" on every chunk but the last,
//     which carries the total) through the parts seam, so storage/retry re-sends a
//     chunk from its bounded buffer. Cloudinary makes the resource visible only when
//     the last chunk arrives: a write appears whole or not at all. The final answer's
//     `bytes` must equal the bytes sent; with overwrite=false an answer that says
//     `existing` fails the commit and leaves the old resource as it was.
//   - remove: the Upload API's signed destroy.
//   - list (paged by next_cursor), stat and /usage: the Admin API, Basic auth KEY:SECRET,
//     rate-limited per hour (X-FeatureRateLimit-* headers). A 420/429 answer is retried
//     (TransientError with retry_after) only when the limit resets within a minute;
//     otherwise it fails at once, saying when the limit resets: sleeping most of an hour
//     inside a nightly run helps no one.
//   - read: the signed, expiring private download URL (/v1_1/CLOUD/raw/download with
//     expires_at) with Range requests; a server that ignores Range is read window by
//     window, skipping what came before (bounded memory, more bytes transferred).
//   - an object over the plan's largest raw file: max_object_size() (the raw_max_size
//     option, else /usage's media_limits, asked once and only past 10 MB, the smallest
//     plan's limit) lets SplitWriter store it as parts; rename() is the signed Upload API
//     rename. A direct upload over the limit fails before its last chunk.
// Known limit: a last chunk whose answer is lost and that is sent again meets the
// resource it created, which overwrite=false reports as `existing`: the commit fails and
// the (complete) object stays without a manifest, a leftover prune removes.
// Failures are classified (401 Invalid Signature: the secret; 404: not found; 408, 5xx,
// transport: transient); storage/retry retries them.
#pragma once

#include <memory>
#include <string_view>

#include "storage/cloudinary/location.hpp"
#include "storage/storage.hpp"

namespace lifeboat::storage::cloudinary {

std::unique_ptr<Storage> open_cloudinary(std::string_view url, const Env& env);

// The signed, expiring download URL of `public_id` (tests compare it with the fake's).
std::string private_download_url(const Location& l, const std::string& public_id,
                                 std::int64_t timestamp, std::int64_t expires_at);

} // namespace lifeboat::storage::cloudinary
