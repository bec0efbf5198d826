// storage/parted_writer: an ObjectWriter over a PartWriter. Bytes fill a part buffer of
// the size the backend asks for; a full part goes to a queue that parts->concurrency()
// uploader threads send from while the next part fills. At most concurrency() parts are
// queued or in flight, so memory is (concurrency() + 1) times the current part size,
// never the object's size.
// Each part is sent through `send`, which the retry decorator wraps, so a streamed
// backup of any size is retried part by part from a bounded buffer (STYLE.md L4).
// Any failure aborts the PartWriter: nothing partial becomes visible (STYLE.md L5).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/storage.hpp"

namespace lifeboat::storage {

class PartedWriter final : public ObjectWriter {
public:
  // Sends one part; the default calls parts->put_part directly. Called from the
  // uploader threads, concurrently when parts->concurrency() > 1.
  using Send = std::function<void(PartWriter& parts, int number, pipeline::Bytes data, bool last)>;
  // Makes the object visible; the default calls parts->complete().
  using Complete = std::function<void(PartWriter& parts)>;

  explicit PartedWriter(std::unique_ptr<PartWriter> parts, Send send = {}, Complete complete = {});
  ~PartedWriter() override;

  void write(pipeline::Bytes bytes) override;
  void commit() override;
  void abort() noexcept override;
  std::uint64_t bytes_written() const override { return m_written; }

private:
  struct Part {
    int number = 0;
    bool last = false;
    std::vector<std::byte> bytes;
  };
  void hand_over(bool last); // the filled buffer goes to the queue
  void upload_loop();
  void rethrow_failure();
  void stop_uploaders() noexcept; // drops what is queued, waits for what is in flight

  std::unique_ptr<PartWriter> m_parts;
  Send m_send;
  Complete m_complete;
  std::size_t m_slots; // parts queued or in flight at most
  std::vector<std::byte> m_filling;
  int m_number = 1; // of the part being filled
  std::uint64_t m_written = 0;
  bool m_done = false;

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<Part> m_queue;                 // filled, not yet taken by an uploader
  std::size_t m_in_flight = 0;              // taken, not yet sent
  std::vector<std::vector<std::byte>> m_spare; // sent buffers, for reuse
  bool m_stop = false;
  std::exception_ptr m_failure; // the first one
  std::vector<std::thread> m_uploaders;
};

} // namespace lifeboat::storage
