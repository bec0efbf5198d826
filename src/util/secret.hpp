// util/secret: a value that must never reach a log line, a manifest or --json.
//
// Secret formats as "***", has no implicit conversion, and gives its value only
// through reveal(). Its storage is wiped when it is destroyed.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace lifeboat {

class Secret {
public:
  Secret() = default;
  explicit Secret(std::string value) : m_value(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret(Secret&&) noexcept = default;
  Secret& operator=(const Secret&) = default;
  Secret& operator=(Secret&&) noexcept = default;
  ~Secret();

  const std::string& reveal() const { return m_value; }
  bool empty() const { return m_value.empty(); }

  static constexpr std::string_view k_redacted = "***";

private:
  std::string m_value;
};

// Overwrites memory in a way the optimiser may not remove.
void secure_wipe(void* data, std::size_t size);

} // namespace lifeboat

template <> struct fmt::formatter<lifeboat::Secret> : fmt::formatter<std::string_view> {
  auto format(const lifeboat::Secret&, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(lifeboat::Secret::k_redacted, ctx);
  }
};
