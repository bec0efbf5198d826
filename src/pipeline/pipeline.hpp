// pipeline: the stream engine. Bytes flow source -> stages -> sink through bounded
// buffers. A Transform changes bytes (compress, encrypt); an Observer only sees them
// (hash, count). Stages know nothing about IO, threads or storage (STYLE.md L1).
//
// Contracts every stage MUST honour:
// - Transform::process appends at most out.space() bytes to `out` and returns how
//   many input bytes it consumed. When `in` is non-empty and out.space() > 0 it makes
//   progress (consumes or produces at least one byte). Output per call is therefore
//   bounded by the buffer, whatever the input (a decompression bomb cannot grow memory).
// - Transform::finish flushes; the engine calls it, draining `out` in between, until
//   it returns true. A stage that was not finished never yields a complete object.
// - Results (hashes, counts) are read only after Pipeline::finish().
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace lifeboat::pipeline {

using Bytes = std::span<const std::byte>;

inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// A fixed-capacity byte buffer; never reallocates after construction.
class Buffer {
public:
  explicit Buffer(std::size_t capacity);

  std::span<std::byte> free_space() { return {m_data.data() + m_size, m_data.size() - m_size}; }
  void commit(std::size_t n); // marks n bytes of free_space() as written
  void append(Bytes bytes);   // MUST fit in space()
  Bytes data() const { return {m_data.data(), m_size}; }
  std::size_t size() const { return m_size; }
  std::size_t capacity() const { return m_data.size(); }
  std::size_t space() const { return m_data.size() - m_size; }
  bool empty() const { return m_size == 0; }
  void clear() { m_size = 0; }

private:
  std::vector<std::byte> m_data;
  std::size_t m_size = 0;
};

class Transform {
public:
  virtual ~Transform() = default;
  virtual std::string_view name() const = 0;
  // See the module contract. Returns the number of bytes of `in` consumed.
  virtual std::size_t process(Bytes in, Buffer& out) = 0;
  // Flushes; returns true when all output has been produced.
  virtual bool finish(Buffer& out) = 0;
};

class Observer {
public:
  virtual ~Observer() = default;
  virtual void observe(Bytes bytes) = 0;
  virtual void finish() {}
};

// Where a pipeline's output goes (a file, a storage ObjectWriter, a database loader).
class Sink {
public:
  virtual ~Sink() = default;
  virtual void write(Bytes bytes) = 0;
};

// Where a pipeline's input comes from.
class Source {
public:
  virtual ~Source() = default;
  // Reads up to buf.size() bytes; returns 0 only at the end of the stream. Throws on error.
  virtual std::size_t read(std::span<std::byte> buf) = 0;
};

// Owns an ordered chain of stages and drives bytes through them into a Sink.
// Single-threaded: concurrency lives at the edges (ThreadedSink, readers).
class Pipeline final : public Sink {
public:
  explicit Pipeline(Sink& sink, std::size_t buffer_size = 256 * 1024);
  ~Pipeline() override;

  // Appends a stage after the ones already added; returns a typed reference the
  // caller keeps to read results after finish().
  template <typename T, typename... Args> T& add(Args&&... args) {
    auto stage = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *stage;
    add_stage(std::move(stage));
    return ref;
  }

  // Appends a transform built elsewhere (e.g. by the codec table).
  Transform& add_transform(std::unique_ptr<Transform> t);

  void write(Bytes bytes) override;
  // Finishes every transform in order and every observer. Idempotent.
  void finish();
  bool finished() const { return m_finished; }

private:
  void add_stage(std::unique_ptr<Transform> t);
  void add_stage(std::unique_ptr<Observer> o);
  void push(std::size_t index, Bytes bytes);
  void finish_from(std::size_t index);

  struct Stage;
  Sink& m_sink;
  std::size_t m_buffer_size;
  std::vector<std::unique_ptr<Stage>> m_stages;
  bool m_finished = false;
};

// Reads `source` to its end into `sink` in chunks of `chunk` bytes. Returns bytes read.
std::uint64_t pump(Source& source, Sink& sink, std::size_t chunk = 256 * 1024);

} // namespace lifeboat::pipeline
