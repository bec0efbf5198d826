// The job runner: events in order, errors caught or rethrown, cancellation never swallowed.
#include <gtest/gtest.h>

#include "commands/job.hpp"

using namespace lifeboat;
using namespace lifeboat::commands;

namespace {
struct Recorder final : EventSink {
  std::vector<Event> events;
  void on_event(const Event& e) override { events.push_back(e); }
  std::string types() const {
    std::string s;
    for (const auto& e : events) {
      s += (s.empty() ? "" : " ") + std::string(to_string(e.type)) +
           (e.stage.empty() ? "" : ":" + e.stage);
    }
    return s;
  }
};
} // namespace

TEST(JobRunner, EmitsStartedStagesFinished) {
  Recorder r;
  auto result = JobRunner::run(&r, {.job = "backup", .database = "app"}, [](JobScope& s) {
    s.set_backup_id("app-20261124-030000");
    s.stage("snapshot");
    s.stage("commit", {{"size", "42"}});
  });
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.backup_id, "app-20261124-030000");
  EXPECT_EQ(r.types(), "started stage:snapshot stage:commit finished");
  EXPECT_EQ(r.events[2].details.at("size"), "42");
  EXPECT_EQ(r.events[3].backup_id, "app-20261124-030000");
  EXPECT_EQ(r.events[3].database, "app");
}

TEST(JobRunner, RethrowsASingleJobsErrorAfterItsEvent) {
  Recorder r;
  EXPECT_THROW(JobRunner::run(&r, {.job = "prune"},
                              [](JobScope&) { throw Error(ErrorKind::config, "bad policy"); }),
               Error);
  EXPECT_EQ(r.types(), "started failed");
  EXPECT_EQ(r.events[1].error_kind, ErrorKind::config);
  EXPECT_EQ(r.events[1].message, "bad policy");
  EXPECT_FALSE(r.events[1].continues);
}

TEST(JobRunner, KeepsGoingWhenAskedButNeverPastACancel) {
  Recorder r;
  auto result = JobRunner::run(&r, {.job = "backup", .database = "two", .keep_going = true},
                               [](JobScope&) {
                                 throw Error(ErrorKind::usage, "database 'two' does not exist",
                                             "Check the path.");
                               });
  EXPECT_FALSE(result.ok);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind(), ErrorKind::usage);
  EXPECT_TRUE(r.events.back().continues);
  EXPECT_EQ(r.events.back().hint, "Check the path.");
  EXPECT_THROW(JobRunner::run(&r, {.job = "backup", .keep_going = true},
                              [](JobScope&) { throw Error(ErrorKind::cancelled, "stopped"); }),
               Error);
  EXPECT_FALSE(r.events.back().continues);
  // Unexpected exceptions become permanent errors with a bug hint.
  auto odd = JobRunner::run(nullptr, {.job = "x", .keep_going = true},
                            [](JobScope&) { throw std::runtime_error("boom"); });
  EXPECT_EQ(odd.error->kind(), ErrorKind::permanent);
  EXPECT_EQ(std::string(odd.error->what()), "unexpected failure: boom");
}

TEST(EventBus, FansOutInOrder) {
  Recorder a, b;
  EventBus bus;
  bus.add(a);
  bus.add(b);
  JobRunner::run(&bus, {.job = "verify"}, [](JobScope&) {});
  EXPECT_EQ(a.types(), "started finished");
  EXPECT_EQ(b.types(), "started finished");
}
