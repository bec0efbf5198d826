#include "pipeline/threaded_sink.hpp"

#include "util/error.hpp"

namespace lifeboat::pipeline {

ThreadedSink::ThreadedSink(Sink& downstream, std::size_t chunk_size, std::size_t max_chunks)
    : m_downstream(downstream), m_chunk_size(chunk_size), m_max_chunks(max_chunks) {
  LIFEBOAT_ASSERT(chunk_size > 0 && max_chunks > 0);
  m_current.reserve(m_chunk_size);
  m_thread = std::thread([this] { run(); });
}

ThreadedSink::~ThreadedSink() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void ThreadedSink::rethrow_if_failed() {
  if (m_error) {
    std::rethrow_exception(m_error);
  }
}

void ThreadedSink::write(Bytes bytes) {
  LIFEBOAT_ASSERT(!m_closed);
  while (!bytes.empty()) {
    std::size_t n = std::min(bytes.size(), m_chunk_size - m_current.size());
    m_current.insert(m_current.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    bytes = bytes.subspan(n);
    if (m_current.size() == m_chunk_size) {
      hand_over();
    }
  }
}

void ThreadedSink::hand_over() {
  std::unique_lock lock(m_mutex);
  m_cv.wait(lock, [&] { return m_in_flight < m_max_chunks || m_error || m_stop; });
  {
    std::exception_ptr e = m_error;
    if (e) {
      lock.unlock();
      std::rethrow_exception(e);
    }
  }
  std::vector<std::byte> next;
  if (!m_free.empty()) {
    next = std::move(m_free.back());
    m_free.pop_back();
  }
  next.clear();
  next.reserve(m_chunk_size);
  m_queue.push_back(std::move(m_current));
  m_current = std::move(next);
  ++m_in_flight;
  m_peak = std::max(m_peak, m_in_flight);
  lock.unlock();
  m_cv.notify_all();
}

void ThreadedSink::close() {
  if (m_closed) {
    return;
  }
  if (!m_current.empty()) {
    hand_over();
  }
  {
    std::unique_lock lock(m_mutex);
    m_closing = true;
  }
  m_cv.notify_all();
  m_thread.join();
  m_closed = true;
  rethrow_if_failed();
}

void ThreadedSink::run() {
  while (true) {
    std::vector<std::byte> chunk;
    {
      std::unique_lock lock(m_mutex);
      m_cv.wait(lock, [&] { return !m_queue.empty() || m_closing || m_stop; });
      if (m_stop || (m_queue.empty() && m_closing)) {
        return;
      }
      chunk = std::move(m_queue.front());
      m_queue.pop_front();
    }
    try {
      m_downstream.write(Bytes(chunk.data(), chunk.size()));
    } catch (...) {
      std::lock_guard lock(m_mutex);
      m_error = std::current_exception();
      m_in_flight = 0;
      m_queue.clear();
      m_cv.notify_all();
      return;
    }
    {
      std::lock_guard lock(m_mutex);
      --m_in_flight;
      if (m_free.size() < 2) {
        m_free.push_back(std::move(chunk));
      }
    }
    m_cv.notify_all();
  }
}

} // namespace lifeboat::pipeline
