// storage/window_reader: a reader over an object fetched window by window (ranged GETs of
// S3 and Cloudinary): the backend fetches the next window into m_buffer, this class hands
// it out and asks for the next when it is used up.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "storage/storage.hpp"

namespace lifeboat::storage {

class WindowReader : public ObjectReader {
public:
  std::size_t read(std::span<std::byte> buf) override;
  // Replaces m_buffer with the next window (m_pos back to 0); empty at the end.
  virtual void fetch() = 0;

protected:
  std::vector<std::byte> m_buffer;
  std::size_t m_pos = 0;
};

// Fetches the first window (a small object: its only request) and returns the reader; a
// missing object is Error{not_found} naming `key` in `display_url`.
std::unique_ptr<ObjectReader> open_window_reader(std::unique_ptr<WindowReader> reader,
                                                 const std::string& key,
                                                 const std::string& display_url);

} // namespace lifeboat::storage
