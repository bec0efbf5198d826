// The storage conformance suite (restic backend/test, STYLE.md L10): one set of
// TEST_Ps every backend must pass. A backend's test file instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(File, StorageConformance,
//       testing::Values(StorageFactory{"file", [](const test::TempDir& d) { ... }}));
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "harness/harness.hpp"
#include "storage/storage.hpp"

namespace lifeboat::test {

struct StorageFactory {
  std::string name;
  // Creates an empty storage; the TempDir lives as long as the test.
  std::function<std::unique_ptr<storage::Storage>(const TempDir&)> make;
  // Largest object the suite writes (some fakes are small).
  std::size_t large_size = 20 * 1024 * 1024;
};

inline void PrintTo(const StorageFactory& f, std::ostream* os) { *os << f.name; }

class StorageConformance : public testing::TestWithParam<StorageFactory> {
protected:
  void SetUp() override;
  TempDir m_dir;
  std::unique_ptr<storage::Storage> m_storage;
};

std::string random_bytes(std::size_t n, unsigned seed = 1);

} // namespace lifeboat::test
