#pragma once

#include <limits>
#include <stdexcept>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace lifeboat::util {

// A size, a count or a row number read from a file lifeboat did not necessarily write.
// nlohmann's get<integer>() converts a float with static_cast, which truncates 1.5 to 1
// and is undefined behaviour for 1e300 (fuzz_manifest found it); a negative integer read
// as unsigned wraps to 2^64 - n. Such a value is refused: a count is a whole number in
// range or the file is damaged.
template <typename T> T json_integer(const nlohmann::json& j) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if (j.is_number_unsigned()) {
    auto v = j.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
      throw std::out_of_range("integer out of range");
    }
    return static_cast<T>(v);
  }
  if (j.is_number_integer()) {
    auto v = j.get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (v < 0) {
        throw std::out_of_range("negative value where a count or size is expected");
      }
      if (static_cast<std::uint64_t>(v) > std::numeric_limits<T>::max()) {
        throw std::out_of_range("integer out of range");
      }
    } else {
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        throw std::out_of_range("integer out of range");
      }
    }
    return static_cast<T>(v);
  }
  throw std::out_of_range(j.is_number_float() ? "not a whole number"
                                                  : "not a number");
}

} // namespace lifeboat::util
