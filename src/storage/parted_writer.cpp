#include "storage/parted_writer.hpp"

#include <algorithm>
#include <cstring>

#include "util/error.hpp"

namespace lifeboat::storage {

PartedWriter::PartedWriter(std::unique_ptr<PartWriter> parts, Send send, Complete complete)
    : m_parts(std::move(parts)), m_send(std::move(send)), m_complete(std::move(complete)),
      m_slots(static_cast<std::size_t>(std::clamp(m_parts->concurrency(), 1, 16))) {
  if (!m_send) {
    m_send = [](PartWriter& p, int n, pipeline::Bytes d, bool last) { p.put_part(n, d, last); };
  }
  if (!m_complete) {
    m_complete = [](PartWriter& p) { p.complete(); };
  }
  m_filling.reserve(m_parts->part_size(1));
  for (std::size_t i = 0; i < m_slots; ++i) {
    m_uploaders.emplace_back([this] { upload_loop(); });
  }
}

PartedWriter::~PartedWriter() {
  if (!m_done) {
    abort();
  } else {
    stop_uploaders();
  }
}

void PartedWriter::upload_loop() {
  while (true) {
    Part part;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_changed.wait(lock, [&] { return !m_queue.empty() || m_stop; });
      if (m_queue.empty()) {
        return; // stopped with nothing left
      }
      part = std::move(m_queue.front());
      m_queue.pop_front();
      ++m_in_flight;
    }
    std::exception_ptr failure;
    try {
      m_send(*m_parts, part.number, {part.bytes.data(), part.bytes.size()}, part.last);
    } catch (...) {
      failure = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      --m_in_flight;
      if (failure && !m_failure) {
        m_failure = failure;
      }
      if (m_failure) {
        m_queue.clear(); // a part after a failed one is never sent
      }
      part.bytes.clear();
      m_spare.push_back(std::move(part.bytes)); // the buffer, for the next part to fill
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
  // A free slot: the writer runs at most m_slots parts ahead of the service.
  m_changed.wait(lock, [&] { return m_queue.size() + m_in_flight < m_slots || m_failure; });
  if (m_failure) {
    return; // reported by the caller's rethrow_failure()
  }
  m_queue.push_back(Part{.number = m_number, .last = last, .bytes = std::move(m_filling)});
  m_filling = {};
  if (!m_spare.empty()) {
    m_filling = std::move(m_spare.back());
    m_spare.pop_back();
  }
  ++m_number;
  lock.unlock();
  m_changed.notify_all();
  if (!last) {
    m_filling.reserve(m_parts->part_size(m_number));
  }
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

void PartedWriter::stop_uploaders() noexcept {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
    m_queue.clear(); // a part not yet started is never sent
  }
  m_changed.notify_all();
  for (auto& t : m_uploaders) {
    if (t.joinable()) {
      t.join();
    }
  }
}

void PartedWriter::commit() {
  LIFEBOAT_ASSERT(!m_done);
  rethrow_failure();
  hand_over(true); // the last part (possibly empty when nothing was written at all)
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_changed.wait(lock, [&] { return (m_queue.empty() && m_in_flight == 0) || m_failure; });
  }
  stop_uploaders(); // every part is sent, or one failed and the others are done
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
  stop_uploaders();
  if (!m_done) {
    m_done = true;
    m_parts->abort();
  }
}

} // namespace lifeboat::storage
