#include "master/task_book.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "common/resources_proto.h"

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
  v1::Task whole;
  t.copyInfo(&whole);
  ASSERT_EQ(whole.statuses_size(), 1);
  EXPECT_FALSE(whole.statuses(0).has_data());
  for (int i = 0; i < 12; ++i) {
    (void)book.update(t, status(i % 2 ? v1::TASK_RUNNING : v1::TASK_KILLING), v1::TASK_RUNNING);
  }
  t.copyInfo(&whole);
  ASSERT_EQ(whole.statuses_size(), TaskBook::kMaxStatuses);
  // The newest is last: the 12th update (i = 11) was RUNNING.
  EXPECT_EQ(whole.statuses(TaskBook::kMaxStatuses - 1).state(), v1::TASK_RUNNING);
  EXPECT_EQ(whole.statuses(TaskBook::kMaxStatuses - 2).state(), v1::TASK_KILLING);
  EXPECT_EQ(t.info.statuses_size(), 1) << "only the latest is kept as a message";
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

// A task as a framework launches it, with every field the book keeps encoded while it is live.
Task fullTask(const std::string& task_id, const std::string& agent_id) {
  Task t = task("f1", task_id, agent_id);
  t.info.set_name("web " + task_id);
  t.info.set_user("alice");
  resourcesToProto(*Resources::parse("cpus:0.5;mem:64;ports:[31000-31001]"),
                   t.info.mutable_resources(), "eng", ResourceFormat::kPost);
  v1::Label* label = t.info.mutable_labels()->add_labels();
  label->set_key("tier");
  label->set_value("front");
  t.info.mutable_discovery()->set_name("web");
  t.info.mutable_container()->set_type(v1::ContainerInfo::MESOS);
  t.info.mutable_health_check()->set_type(v1::HealthCheck::TCP);
  t.info.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(5000000000);
  (*t.info.mutable_limits())["cpus"].set_value(1);
  return t;
}

// A status as an agent sends it: ids, uuid, source, timestamp.
v1::TaskStatus agentStatus(const Task& t, v1::TaskState state, const std::string& agent_id,
                           const std::string& executor_id) {
  v1::TaskStatus s = status(state, "uuid-" + v1::TaskState_Name(state));
  *s.mutable_task_id() = t.info.task_id();
  if (!agent_id.empty()) {
    s.mutable_agent_id()->set_value(agent_id);
  }
  if (!executor_id.empty()) {
    s.mutable_executor_id()->set_value(executor_id);
  }
  s.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  s.set_timestamp(1.7e9 + static_cast<int>(state));  // each state its own time
  return s;
}

void expectSame(const v1::Task& actual, const v1::Task& expected) {
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(actual, expected))
      << "actual:\n"
      << actual.DebugString() << "expected:\n"
      << expected.DebugString();
}

v1::Task whole(const Task& t) {
  v1::Task out;
  t.copyInfo(&out);
  return out;
}

// The book keeps a live task compact; what it gives back is the task as it came, with each
// status as it was applied (ids the task holds included, other ids as they were).
TEST(TaskBook, GivesALiveTaskBackWholeAsItCameAndAsItsStatusesWere) {
  TaskBook book(10);
  Task launched = fullTask("t1", "a1");
  v1::Task expected = launched.info;
  Task& t = book.add("f1", std::move(launched));
  expectSame(whole(t), expected);
  EXPECT_FALSE(t.info.has_name()) << "kept encoded while live";
  EXPECT_EQ(t.info.resources_size(), 0);
  EXPECT_TRUE(t.details().has_kill_policy());
  EXPECT_EQ(t.resources(), *Resources::parse("cpus:0.5;mem:64;ports:[31000-31001]"));
  const std::vector<v1::TaskStatus> applied = {
      agentStatus(t, v1::TASK_STARTING, "a1", "t1"),    // a command task: executor id = task id
      agentStatus(t, v1::TASK_RUNNING, "a9", "other"),  // ids other than the task's
      agentStatus(t, v1::TASK_KILLING, "", ""),         // none
  };
  for (const auto& s : applied) {
    (void)book.update(t, s, s.state());
    v1::TaskStatus kept = s;
    kept.clear_data();
    *expected.add_statuses() = kept;
  }
  expected.set_state(v1::TASK_KILLING);
  expected.set_status_update_state(v1::TASK_KILLING);
  expected.set_status_update_uuid("uuid-TASK_KILLING");
  expectSame(whole(t), expected);
  EXPECT_EQ(t.info.statuses_size(), 1) << "older statuses kept encoded";
  EXPECT_FALSE(t.details().statuses(0).has_agent_id()) << "the task's own ids are not kept twice";
  EXPECT_EQ(t.startedAt(), applied[0].timestamp());
  // It leaves the book whole.
  ASSERT_TRUE(book.complete("f1", "t1"));
  expectSame(book.completed("f1").back(), expected);
}

// An agent that re-registers reports its tasks with their histories, longer ones included.
TEST(TaskBook, KeepsAReportedHistoryExactlyThroughLaterUpdates) {
  TaskBook book(10);
  Task reported = fullTask("t1", "a1");
  reported.info.mutable_executor_id()->set_value("e1");
  for (int i = 0; i < TaskBook::kMaxStatuses + 2; ++i) {
    auto state = i % 2 ? v1::TASK_RUNNING : v1::TASK_STARTING;
    *reported.info.add_statuses() = agentStatus(reported, state, i % 3 ? "a1" : "", "e1");
  }
  v1::Task expected = reported.info;
  Task& t = book.add("f1", std::move(reported));
  expectSame(whole(t), expected);
  for (int i = 0; i < 14; ++i) {
    auto state = i % 2 ? v1::TASK_RUNNING : v1::TASK_KILLING;
    const v1::TaskStatus s = agentStatus(t, state, "a1", i % 4 ? "e1" : "e2");
    (void)book.update(t, s, state);
    v1::TaskStatus kept = s;
    kept.clear_data();
    *expected.add_statuses() = kept;
    if (expected.statuses_size() > TaskBook::kMaxStatuses) {
      expected.mutable_statuses()->DeleteSubrange(0, 1);
    }
    expected.set_state(state);
    expected.set_status_update_state(state);
    expected.set_status_update_uuid(s.uuid());
    expectSame(whole(t), expected);
  }
  ASSERT_TRUE(book.markUnreachable("f1", "t1"));
  expectSame(book.unreachable("f1").back(), expected);
}

// The latest status's uuid is the task's status_update_uuid until an update changes that: a
// repeated state with a new uuid (a health check's), or an update without one (the master's).
TEST(TaskBook, KeepsEachStatusUuidAsTheUpdatesMoveTheTasksOwn) {
  TaskBook book(10);
  Task launched = fullTask("t1", "a1");
  v1::Task expected = launched.info;
  Task& t = book.add("f1", std::move(launched));
  auto apply = [&](const v1::TaskStatus& s, bool appends) {
    (void)book.update(t, s, s.state());
    if (appends) {
      v1::TaskStatus kept = s;
      kept.clear_data();
      *expected.add_statuses() = kept;
    }
    expected.set_state(s.state());
    expected.set_status_update_state(s.state());
    if (s.has_uuid()) {
      expected.set_status_update_uuid(s.uuid());
    } else {
      expected.clear_status_update_uuid();
    }
    expectSame(whole(t), expected);
  };
  apply(agentStatus(t, v1::TASK_RUNNING, "a1", "t1"), true);
  v1::TaskStatus healthy = agentStatus(t, v1::TASK_RUNNING, "a1", "t1");
  healthy.set_uuid("uuid-healthy");
  healthy.set_healthy(true);
  apply(healthy, false);
  apply(healthy, false);                        // re-sent while unacknowledged
  v1::TaskStatus lost = status(v1::TASK_LOST);  // the master's: no uuid
  apply(lost, true);
  apply(agentStatus(t, v1::TASK_FINISHED, "a1", "t1"), true);
  ASSERT_TRUE(book.complete("f1", "t1"));
  expectSame(book.completed("f1").back(), expected);
}

// One framework id and one agent id for all their live tasks; a task that leaves has its own.
TEST(TaskBook, LiveTasksShareTheirFrameworkAndAgentIds) {
  TaskBook book(10);
  Task& a = book.add("f1", task("f1", "t1", "a1"));
  Task& b = book.add("f1", task("f1", "t2", "a1"));
  Task& c = book.add("f2", task("f2", "t1", "a2"));
  EXPECT_EQ(&a.info.framework_id(), &b.info.framework_id());
  EXPECT_EQ(&a.info.agent_id(), &b.info.agent_id());
  EXPECT_NE(&a.info.framework_id(), &c.info.framework_id());
  EXPECT_EQ(c.info.framework_id().value(), "f2");
  EXPECT_EQ(c.info.agent_id().value(), "a2");
  // A task that names another framework than the book's key keeps its own id.
  Task& odd = book.add("f3", task("other", "t1", "a1"));
  EXPECT_EQ(odd.info.framework_id().value(), "other");
  ASSERT_TRUE(book.complete("f1", "t1"));
  ASSERT_TRUE(book.complete("f1", "t2"));
  ASSERT_TRUE(book.markUnreachable("f3", "t1"));  // the last task on a1: its entry goes
  EXPECT_EQ(book.countOn("a1"), 0u);
  EXPECT_EQ(book.completed("f1")[1].agent_id().value(), "a1");
  EXPECT_EQ(book.completed("f1")[1].framework_id().value(), "f1");
  book.forget("f2");  // its tasks go with the framework's id
  EXPECT_EQ(book.size(), 0u);
  EXPECT_EQ(book.unreachable("f3")[0].agent_id().value(), "a1");
}

TEST(TaskBook, ListsAnAgentsTasksInOrderAsTheyComeAndGo) {
  TaskBook book(10);
  for (auto id : {"t5", "t1", "t4", "t2", "t3"}) {
    book.add("f2", task("f2", id, "a1"));
    book.add("f1", task("f1", id, "a1"));
  }
  EXPECT_EQ(book.countOn("a1"), 10u);
  for (auto id : {"t1", "t5"}) {
    ASSERT_TRUE(book.complete("f2", id));
  }
  book.forget("f1");
  EXPECT_EQ(book.on("a1"), (TaskBook::AgentTasks{{"f2", "t2"}, {"f2", "t3"}, {"f2", "t4"}}));
  EXPECT_EQ(book.countOn("a1"), 3u);
  EXPECT_EQ(book.countOn("a2"), 0u);
}

}  // namespace
}  // namespace plateau::master
