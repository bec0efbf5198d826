// storage/parted_writer: an ObjectWriter over a PartWriter. Bytes fill a part buffer of
// the size the backend asks for; a full part goes to one uploader thread while the next
// fills (two buffers: memory is twice the current part size, never the object's size).
// Each part is sent through `send`, which the retry decorator wraps, so a streamed
// backup of any size is retried part by part from a bounded buffer (STYLE.md L4).
// Any failure aborts the PartWriter: nothing partial becomes visible (STYLE.md L5).
#pragma once

#include <condition_variable>
#include <cstdint>
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
  // Sends one part; the default calls parts->put_part directly.
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
  void hand_over(bool last); // the filled buffer goes to the uploader
  void upload_loop();
  void rethrow_failure();

  std::unique_ptr<PartWriter> m_parts;
  Send m_send;
  Complete m_complete;
  std::vector<std::byte> m_filling;
  int m_number = 1; // of the part being filled
  std::uint64_t m_written = 0;
  bool m_done = false;

  // The uploader thread and the one part it is sending or will send next.
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::vector<std::byte> m_pending;
  int m_pending_number = 0; // 0: nothing pending
  bool m_pending_last = false;
  bool m_stop = false;
  std::exception_ptr m_failure;
  std::thread m_uploader;
};

} // namespace lifeboat::storage
