// pipeline/threaded_sink: the hand-off between a reading thread and the chain.
//
// write() copies bytes into chunks that a bounded queue hands to one consumer
// thread, which writes them to the downstream Sink (usually a Pipeline). This is
// how compression stays off the thread that reads the snapshot. Memory is bounded
// by chunk_size * max_chunks. An error on either side stops both: a consumer
// failure is rethrown by the producer's next write() and by close().
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "pipeline/pipeline.hpp"

namespace lifeboat::pipeline {

class ThreadedSink final : public Sink {
public:
  explicit ThreadedSink(Sink& downstream, std::size_t chunk_size = 1024 * 1024,
                        std::size_t max_chunks = 4);
  // Stops the consumer without throwing; bytes not yet written are dropped.
  ~ThreadedSink() override;
  ThreadedSink(const ThreadedSink&) = delete;
  ThreadedSink& operator=(const ThreadedSink&) = delete;

  void write(Bytes bytes) override;
  // Hands over the last partial chunk, waits until the consumer has written
  // everything, and rethrows its error if it failed. Idempotent.
  void close();

  // Largest number of chunks ever held at once (for tests of the bound).
  std::size_t peak_chunks() const { return m_peak; }

private:
  void run();
  void hand_over();
  void rethrow_if_failed();

  Sink& m_downstream;
  std::size_t m_chunk_size;
  std::size_t m_max_chunks;
  std::vector<std::byte> m_current;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::vector<std::byte>> m_queue;
  std::vector<std::vector<std::byte>> m_free; // recycled chunks
  std::size_t m_in_flight = 0;                // queued + being written
  std::size_t m_peak = 0;
  bool m_closing = false;
  bool m_stop = false;
  bool m_closed = false;
  std::exception_ptr m_error;
  std::thread m_thread;
};

} // namespace lifeboat::pipeline
