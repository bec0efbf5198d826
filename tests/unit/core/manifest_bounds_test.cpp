// A manifest read back from storage is hostile until parsed: whatever its shape, reading
// it stays inside 64 MiB and a second or two (issue 12). Each case runs in a forked
// child whose peak RSS is measured from a reset high-water mark.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/manifest.hpp"

using namespace lifeboat;
using namespace lifeboat::core;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool k_sanitized = true; // shadow memory and quarantine inflate RSS
#else
constexpr bool k_sanitized = false;
#endif

long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) {
      return std::stol(line.substr(std::string(field).size()));
    }
  }
  return -1;
}

struct Outcome {
  bool parsed = false;
  std::string error;
  long growth_kib = 0; // peak RSS while parsing, above the RSS before
  double seconds = 0;
};

// Parses `text` in a child process and reports what happened.
Outcome parse_in_child(const std::string& text) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    { std::ofstream("/proc/self/clear_refs") << "5"; } // resets VmHWM to the current RSS
    long before = status_kib("VmRSS:");
    auto start = std::chrono::steady_clock::now();
    auto m = parse_manifest(text);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    long peak = status_kib("VmHWM:");
    std::string out = fmt::format("{}\n{}\n{}\n{}", m ? 1 : 0, peak - before, s,
                                  m ? std::string() : m.error().substr(0, 300));
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child crashed";
  Outcome o;
  std::size_t a = got.find('\n'), b = got.find('\n', a + 1), c = got.find('\n', b + 1);
  o.parsed = got.substr(0, a) == "1";
  o.growth_kib = std::stol(got.substr(a + 1, b - a - 1));
  o.seconds = std::stod(got.substr(b + 1, c - b - 1));
  o.error = got.substr(c + 1);
  return o;
}

// A valid manifest with `tables` spliced in as its table list and `extra` as more fields.
std::string manifest(const std::string& tables, const std::string& extra = "") {
  return R"({"format": "lifeboat-manifest/1", "id": "app-20261124-030000", "name": "app",
    "kind": "postgres", "source": "postgres://db/app", "started_at": "2026-11-24T03:00:00Z",
    "finished_at": "2026-11-24T03:00:01Z",
    "data": {"key": "app/app-20261124-030000.sql.zst", "size": 1, "payload": "sql",
             "sha256": ")" + std::string(64, 'a') + R"(", "codec": "zstd"},
    "checksum_key": "app/app-20261124-030000.sha256", "uncompressed_size": 1,)" + extra +
         R"( "tables": [)" + tables + "]}";
}

void expect_bounded(const Outcome& o) {
  if (!k_sanitized) {
    EXPECT_LT(o.growth_kib, 64 * 1024) << "peak memory while parsing";
  }
  EXPECT_LT(o.seconds, k_sanitized ? 30.0 : 5.0);
}

constexpr std::size_t k_near_limit = k_max_manifest_size - 4096;

} // namespace

TEST(ManifestBounds, TooLargeIsRefusedBeforeParsing) {
  std::string text = manifest("", std::string(k_max_manifest_size, ' '));
  auto m = parse_manifest(text);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().find("more than the 8388608 lifeboat reads"), std::string::npos) << m.error();
}

TEST(ManifestBounds, DeepNestingIsRefusedInBoundedMemory) {
  // Before: 10 MB of '[' took 750 MB to reject.
  for (std::string field : {"\"data\": ", "\"tables\": ", "\"future\": "}) {
    std::string text = "{" + field + std::string(k_near_limit, '[');
    Outcome o = parse_in_child(text);
    EXPECT_FALSE(o.parsed);
    EXPECT_NE(o.error.find("nests deeper than 8 levels"), std::string::npos) << o.error;
    expect_bounded(o);
  }
}

TEST(ManifestBounds, UnknownFieldsAreSkippedUnbuilt) {
  std::string big = "[";
  while (big.size() < k_near_limit - 2000) {
    big += "1,";
  }
  big += "1]";
  Outcome o = parse_in_child(manifest("", "\"future\": " + big + ","));
  EXPECT_TRUE(o.parsed) << o.error;
  expect_bounded(o);
}

TEST(ManifestBounds, ValuesOutsideTablesAreCapped) {
  std::string many;
  while (many.size() < k_near_limit - 2000) {
    many += "\"\",";
  }
  many += "\"\"";
  Outcome o = parse_in_child(manifest("", "\"database_settings\": [" + many + "],"));
  EXPECT_FALSE(o.parsed);
  EXPECT_NE(o.error.find("more than 100000 values outside 'tables'"), std::string::npos)
      << o.error;
  expect_bounded(o);
}

TEST(ManifestBounds, AManifestFullOfTablesInReverseOrderParsesInBoundedTimeAndMemory) {
  std::string tables;
  std::size_t n = 0;
  while (tables.size() < k_near_limit - 2000) {
    tables += fmt::format("{}{{\"schema\": \"s\", \"name\": \"t{:07}\", \"rows\": 1}}",
                          n == 0 ? "" : ",", 9'999'999 - n);
    ++n;
  }
  Outcome o = parse_in_child(manifest(tables));
  EXPECT_TRUE(o.parsed) << o.error;
  EXPECT_GT(n, 150'000u);
  expect_bounded(o);
  RecordProperty("tables", std::to_string(n));
  RecordProperty("peak_kib", std::to_string(o.growth_kib));
  std::printf("%zu tables: %.2f s, %ld KiB above the RSS before\n", n, o.seconds, o.growth_kib);
}

TEST(ManifestBounds, FieldsTwiceAreRefused) {
  auto m = parse_manifest(manifest("", "\"id\": \"app-20261124-030000\","));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().find("field 'id' appears twice"), std::string::npos) << m.error();
}
