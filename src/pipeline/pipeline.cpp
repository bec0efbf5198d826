#include "pipeline/pipeline.hpp"

#include "util/cancel.hpp"
#include "util/error.hpp"

namespace lifeboat::pipeline {

Buffer::Buffer(std::size_t capacity) : m_data(capacity) { LIFEBOAT_ASSERT(capacity > 0); }

void Buffer::commit(std::size_t n) {
  LIFEBOAT_ASSERT(n <= space());
  m_size += n;
}

void Buffer::append(Bytes bytes) {
  LIFEBOAT_ASSERT(bytes.size() <= space());
  std::copy(bytes.begin(), bytes.end(), m_data.begin() + static_cast<std::ptrdiff_t>(m_size));
  m_size += bytes.size();
}

// A stage is either a transform with its own bounded output buffer, or an observer.
struct Pipeline::Stage {
  std::unique_ptr<Transform> transform;
  std::unique_ptr<Observer> observer;
  std::unique_ptr<Buffer> out;
};

Pipeline::Pipeline(Sink& sink, std::size_t buffer_size)
    : m_sink(sink), m_buffer_size(buffer_size) {}

Pipeline::~Pipeline() = default;

void Pipeline::add_stage(std::unique_ptr<Transform> t) {
  LIFEBOAT_ASSERT(!m_finished);
  auto s = std::make_unique<Stage>();
  s->transform = std::move(t);
  s->out = std::make_unique<Buffer>(m_buffer_size);
  m_stages.push_back(std::move(s));
}

void Pipeline::add_stage(std::unique_ptr<Observer> o) {
  LIFEBOAT_ASSERT(!m_finished);
  auto s = std::make_unique<Stage>();
  s->observer = std::move(o);
  m_stages.push_back(std::move(s));
}

Transform& Pipeline::add_transform(std::unique_ptr<Transform> t) {
  Transform& ref = *t;
  add_stage(std::move(t));
  return ref;
}

void Pipeline::write(Bytes bytes) {
  LIFEBOAT_ASSERT(!m_finished);
  if (!bytes.empty()) {
    push(0, bytes);
  }
}

// Feeds `bytes` into stage `index` and everything after it. A transform's output
// buffer is passed on whenever it fills, so no stage holds more than one buffer.
void Pipeline::push(std::size_t index, Bytes bytes) {
  if (index == m_stages.size()) {
    m_sink.write(bytes);
    return;
  }
  Stage& s = *m_stages[index];
  if (s.observer) {
    s.observer->observe(bytes);
    push(index + 1, bytes);
    return;
  }
  while (!bytes.empty()) {
    std::size_t before = s.out->size();
    std::size_t used = s.transform->process(bytes, *s.out);
    LIFEBOAT_ASSERT(used <= bytes.size());
    // The contract: progress whenever there is input and room for output.
    LIFEBOAT_ASSERT(used > 0 || s.out->size() > before || s.out->space() == 0);
    bytes = bytes.subspan(used);
    if (s.out->space() == 0 || (used == 0 && s.out->size() > 0)) {
      Bytes out = s.out->data();
      push(index + 1, out);
      s.out->clear();
    }
  }
  if (!s.out->empty()) {
    push(index + 1, s.out->data());
    s.out->clear();
  }
}

void Pipeline::finish_from(std::size_t index) {
  for (std::size_t i = index; i < m_stages.size(); ++i) {
    Stage& s = *m_stages[i];
    if (s.observer) {
      continue;
    }
    while (true) {
      bool done = s.transform->finish(*s.out);
      if (!s.out->empty()) {
        push(i + 1, s.out->data());
        s.out->clear();
      }
      if (done) {
        break;
      }
    }
  }
}

void Pipeline::finish() {
  if (m_finished) {
    return;
  }
  finish_from(0);
  for (auto& s : m_stages) {
    if (s->observer) {
      s->observer->finish();
    }
  }
  m_finished = true;
}

std::uint64_t pump(Source& source, Sink& sink, std::size_t chunk) {
  std::vector<std::byte> buf(chunk);
  std::uint64_t total = 0;
  while (true) {
    throw_if_cancelled();
    std::size_t n = source.read(buf);
    if (n == 0) {
      return total;
    }
    total += n;
    sink.write(Bytes(buf.data(), n));
  }
}

} // namespace lifeboat::pipeline
