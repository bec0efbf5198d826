// codec/transforms: factories of the compression transforms behind the codec table.
#pragma once

#include <memory>

#include "pipeline/pipeline.hpp"

namespace lifeboat::codec {

std::unique_ptr<pipeline::Transform> make_zstd_compressor(int level, int workers);
std::unique_ptr<pipeline::Transform> make_zstd_decompressor();
std::unique_ptr<pipeline::Transform> make_gzip_compressor(int level, int workers);
std::unique_ptr<pipeline::Transform> make_gzip_decompressor();
std::unique_ptr<pipeline::Transform> make_identity(int level, int workers);
std::unique_ptr<pipeline::Transform> make_identity_decoder();

} // namespace lifeboat::codec
