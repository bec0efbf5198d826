#include "storage/parted_writer.hpp"

#include <algorithm>
#include <cstring>

#include "util/error.hpp"

namespace lifeboat::storage {

PartedWriter::PartedWriter(std::unique_ptr<PartWriter> parts, Send send, Complete complete)
    : m_parts(std::move(parts)), m_send(std::move(send)), m_complete(std::move(complete)) {
  if (!m_send) {
    m_send = [](PartWriter& p, int n, pipeline::Bytes d, bool last) { p.put_part(n, d, last); };
  }
  if (!m_complete) {
    m_complete = [](PartWriter& p) { p.complete(); };
  }
  m_filling.reserve(m_parts->part_size(1));
  m_uploader = std::thread([this] { upload_loop(); });
}

PartedWriter::~PartedWriter() {
  if (!m_done) {
    abort();
  }
}

void PartedWriter::upload_loop() {
  while (true) {
    std::vector<std::byte> part;
    int number = 0;
    bool last = false;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_changed.wait(lock, [&] { return m_pending_number != 0 || m_stop; });
      if (m_pending_number == 0) {
        return; // stopped with nothing left
      }
      part.swap(m_pending);
      number = m_pending_number;
      last = m_pending_last;
    }
    try {
      m_send(*m_parts, number, {part.data(), part.size()}, last);
    } catch (...) {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_failure = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_pending_number = 0;
      m_pending.swap(part); // hand the buffer back for reuse
      m_pending.clear();
    }
    m_changed.notify_all();
  }
}

void PartedWriter::rethrow_failure() {
  std::exception_ptr failure;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    failure = m_failure;
  }
  if (failure) {
    abort();
    std::rethrow_exception(failure);
  }
}

void PartedWriter::hand_over(bool last) {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_changed.wait(lock, [&] { return m_pending_number == 0; }); // the previous part is sent
  if (m_failure) {
    return; // reported by the caller's rethrow_failure()
  }
  std::vector<std::byte> spare;
  spare.swap(m_pending);
  m_pending.swap(m_filling);
  m_pending_number = m_number;
  m_pending_last = last;
  m_filling.swap(spare);
  m_filling.clear();
  ++m_number;
  lock.unlock();
  m_changed.notify_all();
  m_filling.reserve(m_parts->part_size(m_number));
}

void PartedWriter::write(pipeline::Bytes bytes) {
  LIFEBOAT_ASSERT(!m_done);
  rethrow_failure();
  while (!bytes.empty()) {
    std::size_t want = m_parts->part_size(m_number);
    if (m_filling.size() == want) {
      hand_over(false); // full, and more follows: not the last part
      rethrow_failure();
      continue;
    }
    std::size_t n = std::min(bytes.size(), want - m_filling.size());
    m_filling.insert(m_filling.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    bytes = bytes.subspan(n);
    m_written += n;
  }
}

void PartedWriter::commit() {
  LIFEBOAT_ASSERT(!m_done);
  rethrow_failure();
  hand_over(true); // the last part (possibly empty when nothing was written at all)
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_changed.wait(lock, [&] { return m_pending_number == 0; });
    m_stop = true;
  }
  m_changed.notify_all();
  m_uploader.join();
  if (m_failure) {
    m_done = true;
    m_parts->abort();
    std::rethrow_exception(m_failure);
  }
  try {
    m_complete(*m_parts);
  } catch (...) {
    m_done = true;
    m_parts->abort();
    throw;
  }
  m_done = true;
}

void PartedWriter::abort() noexcept {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
    m_pending_number = 0; // a part not yet started is never sent
  }
  m_changed.notify_all();
  if (m_uploader.joinable()) {
    m_uploader.join();
  }
  if (!m_done) {
    m_done = true;
    m_parts->abort();
  }
}

} // namespace lifeboat::storage
