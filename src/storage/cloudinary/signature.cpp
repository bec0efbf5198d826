#include "storage/cloudinary/signature.hpp"

#include <array>
#include <vector>

#include <openssl/evp.h>

#include "util/error.hpp"

namespace lifeboat::storage::cloudinary {

namespace {

std::vector<unsigned char> digest(std::string_view data, Algorithm algorithm) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int n = 0;
  const EVP_MD* md = algorithm == Algorithm::sha1 ? EVP_sha1() : EVP_sha256();
  if (EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr) != 1) {
    throw Error(ErrorKind::permanent, "unable to compute a Cloudinary signature (OpenSSL)");
  }
  return {out.begin(), out.begin() + n};
}

std::string base64_of(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                          static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

} // namespace

std::string digest_hex(std::string_view data, Algorithm algorithm) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest(data, algorithm)) {
    out += k_hex[c >> 4];
    out += k_hex[c & 15];
  }
  return out;
}

std::string base64(std::string_view data) {
  return base64_of(reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string string_to_sign(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (v.empty()) {
      continue;
    }
    if (!out.empty()) {
      out += '&';
    }
    out += k;
    out += '=';
    for (char c : v) {
      if (c == '&') {
        out += "%26";
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::string api_signature(const Params& params, std::string_view api_secret, Algorithm algorithm) {
  std::string text = string_to_sign(params);
  text += api_secret;
  return digest_hex(text, algorithm);
}

std::string delivery_signature(std::string_view to_sign, std::string_view api_secret,
                               Algorithm algorithm, bool long_form) {
  std::string text(to_sign);
  text += api_secret;
  auto d = digest(text, algorithm);
  std::string b64 = base64_of(d.data(), d.size());
  for (char& c : b64) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return "s--" + b64.substr(0, long_form ? 32 : 8) + "--";
}

} // namespace lifeboat::storage::cloudinary
