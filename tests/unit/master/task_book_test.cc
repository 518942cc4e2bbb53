#include "master/task_book.h"

#include <gtest/gtest.h>

namespace plateau::master {
namespace {

namespace v1 = mesos::v1;

Task task(const std::string& framework_id, const std::string& task_id,
          const std::string& agent_id) {
  Task t;
  t.info.mutable_task_id()->set_value(task_id);
  t.info.mutable_framework_id()->set_value(framework_id);
  t.info.mutable_agent_id()->set_value(agent_id);
  t.info.set_state(v1::TASK_STAGING);
  return t;
}

v1::TaskStatus status(v1::TaskState state, const std::string& uuid = "") {
  v1::TaskStatus s;
  s.set_state(state);
  if (!uuid.empty()) {
    s.set_uuid(uuid);
  }
  s.set_data("executor's bytes");
  return s;
}

TEST(TaskBook, IndexesLiveTasksByFrameworkAndAgent) {
  TaskBook book(10);
  book.add("f1", task("f1", "t1", "a1"));
  book.add("f1", task("f1", "t2", "a2"));
  book.add("f2", task("f2", "t1", "a1"));  // ids are per framework
  EXPECT_EQ(book.size(), 3u);
  EXPECT_EQ(book.of("f1").size(), 2u);
  EXPECT_EQ(book.of("f2").size(), 1u);
  EXPECT_TRUE(book.of("nobody").empty());
  EXPECT_EQ(book.on("a1"), (TaskBook::AgentTasks{{"f1", "t1"}, {"f2", "t1"}}));
  EXPECT_EQ(book.on("a2"), (TaskBook::AgentTasks{{"f1", "t2"}}));
  EXPECT_TRUE(book.on("a3").empty());
  ASSERT_NE(book.find("f2", "t1"), nullptr);
  EXPECT_EQ(book.find("f2", "t1")->info.agent_id().value(), "a1");
  EXPECT_EQ(book.find("f2", "t2"), nullptr);
}

TEST(TaskBookDeathTest, AddingALiveIdAgainIsABrokenInvariant) {
  TaskBook book(10);
  book.add("f1", task("f1", "t1", "a1"));
  EXPECT_DEATH(book.add("f1", task("f1", "t1", "a2")), "invariant_broken|is live already");
}

TEST(TaskBook, UpdateReportsTheFirstMoveIntoATerminalStateOnce) {
  TaskBook book(10);
  Task& t = book.add("f1", task("f1", "t1", "a1"));
  EXPECT_FALSE(book.update(t, status(v1::TASK_RUNNING, "u1"), v1::TASK_RUNNING));
  // The agent re-sends an older unacknowledged update while the task has finished since.
  EXPECT_TRUE(book.update(t, status(v1::TASK_RUNNING, "u1"), v1::TASK_FINISHED));
  EXPECT_EQ(t.info.state(), v1::TASK_FINISHED);
  EXPECT_EQ(t.info.status_update_state(), v1::TASK_RUNNING);
  EXPECT_EQ(t.info.status_update_uuid(), "u1");
  EXPECT_FALSE(book.update(t, status(v1::TASK_FINISHED, "u2"), v1::TASK_FINISHED));
  EXPECT_EQ(t.info.status_update_uuid(), "u2");
  // A master-made update has no uuid: none is kept.
  EXPECT_FALSE(book.update(t, status(v1::TASK_FINISHED), v1::TASK_FINISHED));
  EXPECT_FALSE(t.info.has_status_update_uuid());
}

TEST(TaskBook, HistoryKeepsTheLatestTenStatusesWithoutRepeatsOrData) {
  TaskBook book(10);
  Task& t = book.add("f1", task("f1", "t1", "a1"));
  (void)book.update(t, status(v1::TASK_RUNNING), v1::TASK_RUNNING);
  (void)book.update(t, status(v1::TASK_RUNNING), v1::TASK_RUNNING);
  ASSERT_EQ(t.info.statuses_size(), 1);
  EXPECT_FALSE(t.info.statuses(0).has_data());
  for (int i = 0; i < 12; ++i) {
    (void)book.update(t, status(i % 2 ? v1::TASK_RUNNING : v1::TASK_KILLING), v1::TASK_RUNNING);
  }
  ASSERT_EQ(t.info.statuses_size(), TaskBook::kMaxStatuses);
  // The newest is last: the 12th update (i = 11) was RUNNING.
  EXPECT_EQ(t.info.statuses(TaskBook::kMaxStatuses - 1).state(), v1::TASK_RUNNING);
  EXPECT_EQ(t.info.statuses(TaskBook::kMaxStatuses - 2).state(), v1::TASK_KILLING);
}

TEST(TaskBook, CompleteMovesATaskOffBothIndexesAndKeepsTheNewestCompleted) {
  TaskBook book(2);
  for (auto id : {"t1", "t2", "t3"}) {
    book.add("f1", task("f1", id, "a1"));
  }
  book.add("f2", task("f2", "t9", "a1"));
  for (auto id : {"t1", "t2", "t3"}) {
    EXPECT_TRUE(book.complete("f1", id));
  }
  EXPECT_FALSE(book.complete("f1", "t1")) << "completed already";
  EXPECT_FALSE(book.complete("nobody", "t1"));
  EXPECT_TRUE(book.of("f1").empty());
  EXPECT_EQ(book.on("a1"), (TaskBook::AgentTasks{{"f2", "t9"}}));
  EXPECT_EQ(book.size(), 1u);
  const auto& done = book.completed("f1");
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].task_id().value(), "t2");
  EXPECT_EQ(done[1].task_id().value(), "t3");
  // A completed id may be launched again.
  book.add("f1", task("f1", "t1", "a2"));
  EXPECT_EQ(book.on("a2"), (TaskBook::AgentTasks{{"f1", "t1"}}));
}

TEST(TaskBook, ForgetDropsAFrameworksLiveAndCompletedTasks) {
  TaskBook book(5);
  book.add("f1", task("f1", "t1", "a1"));
  book.add("f1", task("f1", "t2", "a1"));
  book.add("f2", task("f2", "t1", "a1"));
  ASSERT_TRUE(book.complete("f1", "t2"));
  book.forget("f1");
  EXPECT_TRUE(book.of("f1").empty());
  EXPECT_TRUE(book.completed("f1").empty());
  EXPECT_EQ(book.on("a1"), (TaskBook::AgentTasks{{"f2", "t1"}}));
  EXPECT_EQ(book.size(), 1u);
  book.forget("nobody");  // nothing to drop
  EXPECT_EQ(book.size(), 1u);
}

// Soak seed 7: a partition-aware task whose agent came back was listed twice in /master/state.
TEST(TaskBook, ForgetUnreachableDropsOnlyTheUnreachableRecordOfThatTask) {
  TaskBook book(10);
  for (auto id : {"t1", "t2"}) {
    book.add("f1", task("f1", id, "a1"));
    book.update(*book.find("f1", id), status(v1::TASK_UNREACHABLE), v1::TASK_UNREACHABLE);
    ASSERT_TRUE(book.markUnreachable("f1", id));
  }
  book.add("f1", task("f1", "t3", "a1"));
  ASSERT_TRUE(book.complete("f1", "t3"));  // completed, not unreachable: kept
  book.add("f1", task("f1", "t1", "a1"));  // its agent came back with it
  EXPECT_TRUE(book.forgetUnreachable("f1", "t1"));
  EXPECT_FALSE(book.forgetUnreachable("f1", "t1")) << "dropped already";
  EXPECT_FALSE(book.forgetUnreachable("f1", "t3")) << "not unreachable";
  EXPECT_FALSE(book.forgetUnreachable("nobody", "t1"));
  ASSERT_EQ(book.unreachable("f1").size(), 1u);
  EXPECT_EQ(book.unreachable("f1")[0].task_id().value(), "t2");
  ASSERT_EQ(book.completed("f1").size(), 1u);
  EXPECT_EQ(book.completed("f1")[0].task_id().value(), "t3");
  EXPECT_NE(book.find("f1", "t1"), nullptr);
}

// As Mesos's `unreachable_tasks`: apart from the completed ones, off both indexes, the newest
// `max_unreachable` kept.
TEST(TaskBook, MarkUnreachableKeepsTheNewestApartFromTheCompleted) {
  TaskBook book(/*max_completed=*/10, /*max_unreachable=*/2);
  for (auto id : {"t1", "t2", "t3"}) {
    book.add("f1", task("f1", id, "a1"));
    ASSERT_TRUE(book.markUnreachable("f1", id));
  }
  EXPECT_FALSE(book.markUnreachable("f1", "t1")) << "not live";
  EXPECT_EQ(book.size(), 0u);
  EXPECT_TRUE(book.on("a1").empty());
  EXPECT_TRUE(book.completed("f1").empty());
  const auto& unreachable = book.unreachable("f1");
  ASSERT_EQ(unreachable.size(), 2u);
  EXPECT_EQ(unreachable[0].task_id().value(), "t2");
  EXPECT_EQ(unreachable[1].task_id().value(), "t3");
  EXPECT_TRUE(book.unreachable("nobody").empty());
  EXPECT_EQ(book.unreachableCount(), 2u) << "the oldest went when the list was full";
  EXPECT_TRUE(book.forgetUnreachable("f1", "t3"));
  EXPECT_EQ(book.unreachableCount(), 1u);
  book.forget("f1");
  EXPECT_TRUE(book.unreachable("f1").empty());
  EXPECT_EQ(book.unreachableCount(), 0u);
}

}  // namespace
}  // namespace plateau::master
