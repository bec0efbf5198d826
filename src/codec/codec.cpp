#include "codec/codec.hpp"

#include <charconv>

#include <fmt/format.h>

#include "codec/transforms.hpp"

namespace lifeboat::codec {

const std::vector<Codec>& codecs() {
  static const std::vector<Codec> table = {
      {"zstd", "zst", 1, 19, 3, make_zstd_compressor, make_zstd_decompressor},
      {"gzip", "gz", 1, 9, 6, make_gzip_compressor, make_gzip_decompressor},
      {"none", "", 0, 0, 0, make_identity, make_identity_decoder},
  };
  return table;
}

const Codec* find_codec(std::string_view name) {
  for (const auto& c : codecs()) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

const Codec* codec_for_extension(std::string_view extension) {
  for (const auto& c : codecs()) {
    if (c.extension == extension) {
      return &c;
    }
  }
  return nullptr;
}

std::string CompressSpec::to_string() const {
  if (codec == nullptr || codec->name == "none") {
    return "none";
  }
  return fmt::format("{}:{}", codec->name, level);
}

Result<CompressSpec> parse_compress_spec(std::string_view spec) {
  std::string_view name = spec;
  std::string_view level_text;
  if (auto colon = spec.find(':'); colon != std::string_view::npos) {
    name = spec.substr(0, colon);
    level_text = spec.substr(colon + 1);
  }
  const Codec* c = find_codec(name);
  if (c == nullptr) {
    return unexpected(fmt::format(
        "invalid compression '{}': use zstd[:1-19], gzip[:1-9] or none", spec));
  }
  CompressSpec out{c, c->default_level};
  if (!level_text.empty() || spec.find(':') != std::string_view::npos) {
    int level = 0;
    auto [p, ec] = std::from_chars(level_text.data(), level_text.data() + level_text.size(), level);
    if (ec != std::errc() || p != level_text.data() + level_text.size() || c->max_level == 0 ||
        level < c->min_level || level > c->max_level) {
      if (c->max_level == 0) {
        return unexpected(fmt::format("invalid compression '{}': '{}' takes no level", spec, name));
      }
      return unexpected(fmt::format("invalid compression '{}': level must be {}-{}", spec,
                                    c->min_level, c->max_level));
    }
    out.level = level;
  }
  return out;
}

} // namespace lifeboat::codec
