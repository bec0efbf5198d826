#include "storage/window_reader.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "util/error.hpp"

namespace lifeboat::storage {

std::size_t WindowReader::read(std::span<std::byte> buf) {
  if (m_pos == m_buffer.size()) {
    fetch();
    if (m_buffer.empty()) {
      return 0;
    }
  }
  std::size_t n = std::min(buf.size(), m_buffer.size() - m_pos);
  std::memcpy(buf.data(), m_buffer.data() + m_pos, n);
  m_pos += n;
  return n;
}

std::unique_ptr<ObjectReader> open_window_reader(std::unique_ptr<WindowReader> reader,
                                                 const std::string& key,
                                                 const std::string& display_url) {
  try {
    reader->fetch();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) {
      throw Error(ErrorKind::not_found,
                  fmt::format("unable to open missing object '{}' in '{}' for read", key, display_url));
    }
    throw;
  }
  return reader;
}

} // namespace lifeboat::storage
