// storage/cloudinary/signature: Cloudinary's authentication signatures (the
// "Generating authentication signatures" page; vectors in
// shared/testdata/vectors/cloudinary-signatures.json).
//
// An API signature signs every parameter of a request except file, cloud_name,
// resource_type and api_key (the caller leaves those out): the parameters sorted by
// name, joined as "k=v" with '&', the API secret appended, hashed with SHA-1 (the
// default) or SHA-256, in lowercase hex. Signature version 2 (the SDKs' default) first
// writes every '&' inside a value as "%26". Empty values are not signed.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace lifeboat::storage::cloudinary {

enum class Algorithm { sha1, sha256 };

using Params = std::map<std::string, std::string>; // sorted by name, as signed

// "k1=v1&k2=v2" (signature version 2 escaping), without the secret.
std::string string_to_sign(const Params& params);
std::string api_signature(const Params& params, std::string_view api_secret,
                          Algorithm algorithm = Algorithm::sha1);

// A delivery URL's signature component "s--XXXXXXXX--" over "transformation/public_id"
// (no version): URL-safe base64 of the hash of to_sign + secret, first 8 characters
// (32 with `long_form`, SHA-256 only).
std::string delivery_signature(std::string_view to_sign, std::string_view api_secret,
                               Algorithm algorithm = Algorithm::sha1, bool long_form = false);

// Lowercase hex / base64 helpers over OpenSSL, shared with the backend.
std::string digest_hex(std::string_view data, Algorithm algorithm);
std::string base64(std::string_view data);

} // namespace lifeboat::storage::cloudinary
