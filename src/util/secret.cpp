#include "util/secret.hpp"

#include <openssl/crypto.h>

namespace lifeboat {

Secret::~Secret() { secure_wipe(m_value.data(), m_value.size()); }

void secure_wipe(void* data, std::size_t size) {
  if (data != nullptr && size > 0) {
    OPENSSL_cleanse(data, size);
  }
}

} // namespace lifeboat
