// The agent's executors book on its own: tasks queued until the executor subscribes and then
// handed over, kills of queued and launched tasks, termination, retirement into a bounded
// history, and recovery from checkpointed state. No processes, no sockets, no time.

#include "agent/executor_book.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/resources_proto.h"

namespace plateau::agent {
namespace {

v1::FrameworkInfo frameworkInfo(const std::string& id, bool checkpoint = false) {
  v1::FrameworkInfo info;
  info.mutable_id()->set_value(id);
  info.set_name("framework " + id);
  info.set_checkpoint(checkpoint);
  return info;
}

v1::ExecutorInfo executorInfo(const std::string& id) {
  v1::ExecutorInfo info;
  info.mutable_executor_id()->set_value(id);
  return info;
}

v1::TaskInfo task(const std::string& id) {
  v1::TaskInfo t;
  t.set_name(id);
  t.mutable_task_id()->set_value(id);
  return t;
}

v1::TaskGroupInfo group(const std::vector<std::string>& ids) {
  v1::TaskGroupInfo g;
  for (const auto& id : ids) {
    *g.add_tasks() = task(id);
  }
  return g;
}

std::vector<std::string> ids(const std::vector<v1::TaskInfo>& tasks) {
  std::vector<std::string> out;
  for (const auto& t : tasks) {
    out.push_back(t.task_id().value());
  }
  return out;
}

std::vector<std::string> keys(const std::map<std::string, v1::TaskInfo>& tasks) {
  std::vector<std::string> out;
  for (const auto& [id, t] : tasks) {
    out.push_back(id);
  }
  return out;
}

// Admits executor `ex` of framework `fw`, in a container named after it.
Executor& admit(ExecutorBook& book, const std::string& fw, const std::string& ex) {
  return book.admit(frameworkInfo(fw), executorInfo(ex), false, [&] { return "c-" + ex; }).executor;
}

// Stages and places a task, as the agent does for RUN_TASK.
ExecutorBook::Placement run(ExecutorBook& book, Executor& executor, const std::string& id) {
  EXPECT_TRUE(book.stage(executor, task(id)).isOk());
  return book.place(executor, task(id));
}

TEST(ExecutorBook, AdmitAddsTheExecutorOnceAndTracksFrameworkChanges) {
  ExecutorBook book;
  int containers = 0;
  auto next = [&] { return "c" + std::to_string(++containers); };
  auto first = book.admit(frameworkInfo("f1"), executorInfo("e1"), true, next);
  EXPECT_TRUE(first.new_executor);
  EXPECT_TRUE(first.framework_changed);
  EXPECT_EQ(first.executor.containerId(), "c1");
  EXPECT_EQ(first.executor.frameworkId(), "f1");
  EXPECT_TRUE(first.executor.commandExecutor());
  EXPECT_EQ(first.executor.state(), ExecutorState::kRegistering);

  auto again = book.admit(frameworkInfo("f1"), executorInfo("e1"), true, next);
  EXPECT_FALSE(again.new_executor);
  EXPECT_FALSE(again.framework_changed);
  EXPECT_EQ(&again.executor, &first.executor);
  EXPECT_EQ(containers, 1);

  auto changed =
      book.admit(frameworkInfo("f1", /*checkpoint=*/true), executorInfo("e2"), false, next);
  EXPECT_TRUE(changed.new_executor);
  EXPECT_TRUE(changed.framework_changed);
  EXPECT_TRUE(book.checkpointing("f1"));
  EXPECT_FALSE(book.checkpointing("f2"));
  EXPECT_EQ(book.executorCount(), 2u);
  EXPECT_EQ(book.findByContainer("c2"), &changed.executor);
  EXPECT_EQ(book.find("f1", "e2"), &changed.executor);
  EXPECT_EQ(book.find("f1", "e3"), nullptr);
  EXPECT_EQ(book.find("f2", "e1"), nullptr);
}

TEST(ExecutorBook, TasksWaitForTheExecutorAndAreHandedOverWhenItSubscribes) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  EXPECT_EQ(run(book, e, "t2"), ExecutorBook::Placement::kQueued);
  EXPECT_EQ(run(book, e, "t1"), ExecutorBook::Placement::kQueued);
  ASSERT_TRUE(book.stage(e, group({"g1", "g2"})).isOk());
  EXPECT_EQ(book.place(e, group({"g1", "g2"})), ExecutorBook::Placement::kQueued);
  ASSERT_TRUE(book.stage(e, group({"g3"})).isOk());
  EXPECT_EQ(book.place(e, group({"g3"})), ExecutorBook::Placement::kQueued);
  EXPECT_EQ(e.taskState("g2", v1::TASK_LOST), v1::TASK_STAGING);
  EXPECT_TRUE(e.launchedTasks().empty());

  ASSERT_TRUE(book.subscribed(e));
  EXPECT_EQ(e.state(), ExecutorState::kRunning);
  ExecutorBook::Handover handover = book.handOver(e);
  EXPECT_EQ(ids(handover.tasks), (std::vector<std::string>{"t1", "t2"}));
  ASSERT_EQ(handover.groups.size(), 2u);
  EXPECT_EQ(handover.groups[0].tasks(0).task_id().value(), "g1");
  EXPECT_EQ(handover.groups[1].tasks(0).task_id().value(), "g3");
  EXPECT_TRUE(handover.kills.empty());
  EXPECT_TRUE(e.queuedTasks().empty());
  EXPECT_TRUE(e.queuedGroups().empty());
  EXPECT_EQ(keys(e.launchedTasks()), (std::vector<std::string>{"g1", "g2", "g3", "t1", "t2"}));

  // Once running, a task goes straight to the executor; nothing is handed over twice.
  EXPECT_EQ(run(book, e, "t3"), ExecutorBook::Placement::kLaunched);
  EXPECT_TRUE(book.handOver(e).tasks.empty());
}

TEST(ExecutorBook, LifeOnlyMovesForward) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  ASSERT_TRUE(book.subscribed(e));
  ASSERT_TRUE(book.subscribed(e));  // a reconnection keeps it running
  EXPECT_EQ(e.state(), ExecutorState::kRunning);
  EXPECT_TRUE(book.terminate(e));
  EXPECT_FALSE(book.terminate(e));
  EXPECT_FALSE(book.subscribed(e));  // told to shut down, not running again
  EXPECT_EQ(e.state(), ExecutorState::kTerminating);

  Status refused = book.stage(e, task("t1"));
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(), "Executor is shutting down");
  EXPECT_FALSE(book.stage(e, group({"g1"})).isOk());
  EXPECT_TRUE(e.taskStates().empty());
}

TEST(ExecutorBook, ExitWithTasksInFlightReportsTheUnfinishedAndKeepsTheRunInHistory) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  run(book, e, "queued");
  ASSERT_TRUE(book.subscribed(e));
  run(book, e, "running");
  run(book, e, "done");
  book.setTaskState(e, "running", v1::TASK_RUNNING);
  book.setTaskState(e, "done", v1::TASK_FINISHED);
  EXPECT_EQ(book.unfinishedTasks(e), (std::vector<std::string>{"queued", "running"}));

  book.retire("f1", "e1");
  EXPECT_EQ(book.find("f1", "e1"), nullptr);
  EXPECT_EQ(book.framework("f1"), nullptr);  // its last executor
  ASSERT_EQ(book.completedExecutors().size(), 1u);
  const CompletedExecutor& done = book.completedExecutors().front();
  EXPECT_EQ(done.framework_id, "f1");
  EXPECT_EQ(done.container_id, "c-e1");
  std::vector<std::pair<std::string, v1::TaskState>> tasks;
  for (const auto& completed : done.tasks) {
    tasks.emplace_back(completed.info.task_id().value(), completed.state);
  }
  EXPECT_EQ(tasks,
            (std::vector<std::pair<std::string, v1::TaskState>>{{"done", v1::TASK_FINISHED},
                                                                {"running", v1::TASK_RUNNING},
                                                                {"queued", v1::TASK_STAGING}}));
  ASSERT_EQ(book.completedFrameworks().size(), 1u);
  EXPECT_EQ(book.completedFrameworks().front().id().value(), "f1");
}

TEST(ExecutorBook, FrameworkStaysWhileAnotherExecutorRuns) {
  ExecutorBook book;
  admit(book, "f1", "e1");
  admit(book, "f1", "e2");
  book.retire("f1", "e1");
  ASSERT_NE(book.framework("f1"), nullptr);
  EXPECT_EQ(book.framework("f1")->executors().size(), 1u);
  EXPECT_TRUE(book.completedFrameworks().empty());
}

TEST(ExecutorBook, FailedLaunchFailsOnlyTheUnfinished) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  run(book, e, "t1");
  run(book, e, "t2");
  book.setTaskState(e, "t2", v1::TASK_KILLED);
  EXPECT_EQ(book.failUnfinished(e), std::vector<std::string>{"t1"});
  EXPECT_EQ(e.taskState("t1", v1::TASK_LOST), v1::TASK_FAILED);
  EXPECT_EQ(e.taskState("t2", v1::TASK_LOST), v1::TASK_KILLED);
  EXPECT_TRUE(book.unfinishedTasks(e).empty());
}

TEST(ExecutorBook, KillOfAQueuedTaskKillsItAndSaysWhenNothingIsLeft) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  run(book, e, "t1");
  run(book, e, "t2");

  ExecutorBook::Kill first = book.kill("f1", "t1");
  EXPECT_EQ(first.kind, ExecutorBook::Kill::Kind::kKilledQueued);
  EXPECT_EQ(first.executor, &e);
  EXPECT_EQ(first.killed, std::vector<std::string>{"t1"});
  EXPECT_FALSE(first.group);
  EXPECT_FALSE(first.now_idle);
  EXPECT_EQ(e.taskState("t1", v1::TASK_LOST), v1::TASK_KILLED);
  EXPECT_EQ(keys(e.queuedTasks()), std::vector<std::string>{"t2"});

  ExecutorBook::Kill last = book.kill("f1", "t2");
  EXPECT_TRUE(last.now_idle);
  EXPECT_TRUE(e.idle());
  // Killed already: the book no longer has it anywhere.
  EXPECT_EQ(book.kill("f1", "t2").kind, ExecutorBook::Kill::Kind::kUnknown);
}

TEST(ExecutorBook, KillOfATaskInAQueuedGroupKillsTheWholeGroup) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  ASSERT_TRUE(book.stage(e, group({"a", "b"})).isOk());
  book.place(e, group({"a", "b"}));
  run(book, e, "t1");

  ExecutorBook::Kill kill = book.kill("f1", "b");
  EXPECT_EQ(kill.kind, ExecutorBook::Kill::Kind::kKilledQueued);
  EXPECT_TRUE(kill.group);
  EXPECT_EQ(kill.killed, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(kill.now_idle);  // t1 still waits
  EXPECT_TRUE(e.queuedGroups().empty());
  EXPECT_EQ(e.taskState("a", v1::TASK_LOST), v1::TASK_KILLED);
  EXPECT_EQ(e.taskState("b", v1::TASK_LOST), v1::TASK_KILLED);
}

TEST(ExecutorBook, KillOfALaunchedTaskIsForTheExecutorAndWaitsWhenItIsAway) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  admit(book, "f1", "e0");  // searched first, has nothing
  ASSERT_TRUE(book.subscribed(e));
  run(book, e, "t1");

  ExecutorBook::Kill kill = book.kill("f1", "t1");
  EXPECT_EQ(kill.kind, ExecutorBook::Kill::Kind::kLaunched);
  EXPECT_EQ(kill.executor, &e);
  EXPECT_EQ(e.taskState("t1", v1::TASK_LOST), v1::TASK_STAGING);  // the executor decides

  executor::Event event;
  event.set_type(executor::Event::KILL);
  event.mutable_kill()->mutable_task_id()->set_value("t1");
  book.deferKill(e, event);
  ExecutorBook::Handover handover = book.handOver(e);
  ASSERT_EQ(handover.kills.size(), 1u);
  EXPECT_EQ(handover.kills[0].kill().task_id().value(), "t1");
  EXPECT_TRUE(book.handOver(e).kills.empty());
}

TEST(ExecutorBook, KillOfAnUnknownTaskOrFramework) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  run(book, e, "t1");
  EXPECT_EQ(book.kill("f2", "t1").kind, ExecutorBook::Kill::Kind::kUnknown);
  ExecutorBook::Kill unknown = book.kill("f1", "t9");
  EXPECT_EQ(unknown.kind, ExecutorBook::Kill::Kind::kUnknown);
  EXPECT_EQ(unknown.executor, nullptr);
}

TEST(ExecutorBook, FrameworkShutdownDropsWhatWaitsAndKeepsTheStates) {
  ExecutorBook book;
  Executor& e1 = admit(book, "f1", "e1");
  Executor& e2 = admit(book, "f1", "e2");
  Executor& other = admit(book, "f2", "e1");
  run(book, e1, "t1");
  ASSERT_TRUE(book.stage(e2, group({"g1"})).isOk());
  book.place(e2, group({"g1"}));
  run(book, other, "t2");

  std::vector<Executor*> executors = book.dropQueued("f1");
  EXPECT_EQ(executors, (std::vector<Executor*>{&e1, &e2}));
  EXPECT_TRUE(e1.idle());
  EXPECT_TRUE(e2.idle());
  // Still unfinished: reported when the executors terminate.
  EXPECT_EQ(book.unfinishedTasks(e1), std::vector<std::string>{"t1"});
  EXPECT_EQ(book.unfinishedTasks(e2), std::vector<std::string>{"g1"});
  EXPECT_FALSE(other.idle());
  EXPECT_TRUE(book.dropQueued("f9").empty());
}

TEST(ExecutorBook, AcknowledgedTerminalTaskIsCompletedAndHistoryIsBounded) {
  ExecutorBook book(ExecutorBook::Bounds{
      .completed_tasks_per_executor = 2, .completed_executors = 2, .completed_frameworks = 2});
  Executor& e = admit(book, "f1", "e1");
  ASSERT_TRUE(book.subscribed(e));
  for (const char* id : {"t1", "t2", "t3"}) {
    run(book, e, id);
    book.setTaskState(e, id, v1::TASK_FINISHED);
    book.acknowledgedTerminal(e, id, v1::TASK_FINISHED);
  }
  ASSERT_EQ(e.completedTasks().size(), 2u);
  EXPECT_EQ(e.completedTasks().front().info.task_id().value(), "t2");
  EXPECT_TRUE(e.launchedTasks().empty());
  EXPECT_TRUE(e.taskStates().empty());

  for (const char* fw : {"f2", "f3", "f1"}) {
    if (std::string(fw) != "f1") {
      admit(book, fw, "e1");
    }
    book.retire(fw, "e1");
  }
  ASSERT_EQ(book.completedExecutors().size(), 2u);
  EXPECT_EQ(book.completedExecutors().front().framework_id, "f3");
  EXPECT_EQ(book.completedExecutors().back().tasks.size(), 2u);
  ASSERT_EQ(book.completedFrameworks().size(), 2u);
  EXPECT_EQ(book.completedFrameworks().front().id().value(), "f3");
  EXPECT_EQ(book.completedFrameworks().back().id().value(), "f1");

  // A framework completed again is listed once, as the latest.
  admit(book, "f3", "e2");
  book.retire("f3", "e2");
  ASSERT_EQ(book.completedFrameworks().size(), 2u);
  EXPECT_EQ(book.completedFrameworks().front().id().value(), "f1");
  EXPECT_EQ(book.completedFrameworks().back().id().value(), "f3");
}

TEST(ExecutorBook, CompletedExecutorsAreBoundedPerFramework) {
  ExecutorBook book(ExecutorBook::Bounds{.completed_executors_per_framework = 2});
  for (const char* ex : {"a1", "a2", "a3"}) {
    admit(book, "fa", ex);
    book.retire("fa", ex);
    admit(book, "fb", ex);
    book.retire("fb", ex);
  }
  std::vector<std::string> kept;
  for (const auto& done : book.completedExecutors()) {
    kept.push_back(done.framework_id + "/" + done.info.executor_id().value());
  }
  // Each framework keeps its newest two; the other framework's history is untouched.
  EXPECT_EQ(kept, (std::vector<std::string>{"fa/a2", "fb/a2", "fa/a3", "fb/a3"}));

  ExecutorBook none(ExecutorBook::Bounds{.completed_executors_per_framework = 0});
  admit(none, "fa", "a1");
  none.retire("fa", "a1");
  EXPECT_TRUE(none.completedExecutors().empty());
}

TEST(ExecutorBook, AcknowledgedQueuedTaskIsForgottenNotCompleted) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  run(book, e, "t1");
  ASSERT_EQ(book.kill("f1", "t1").kind, ExecutorBook::Kill::Kind::kKilledQueued);
  book.acknowledgedTerminal(e, "t1", v1::TASK_KILLED);
  EXPECT_TRUE(e.taskStates().empty());
  EXPECT_TRUE(e.completedTasks().empty());
}

TEST(ExecutorBook, FirstTerminationReasonStays) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  EXPECT_FALSE(e.terminationReason());
  EXPECT_TRUE(book.recordTermination(e, v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY,
                                     "Memory limit exceeded"));
  EXPECT_FALSE(book.recordTermination(e, v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, "no"));
  EXPECT_EQ(e.terminationReason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  EXPECT_EQ(e.terminationMessage(), "Memory limit exceeded");
}

v1::TaskStatus update(const std::string& task_id, v1::TaskState state, const std::string& uuid) {
  v1::TaskStatus s;
  s.mutable_task_id()->set_value(task_id);
  s.set_state(state);
  s.set_uuid(uuid);
  return s;
}

std::vector<v1::TaskState> states(const TaskHistory& history) {
  std::vector<v1::TaskState> out;
  for (const auto& status : history.statuses) {
    out.push_back(status.state());
  }
  return out;
}

TEST(ExecutorBook, ATaskKeepsItsUpdatesInOrderWithoutTheirPayload) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  ASSERT_TRUE(book.subscribed(e));
  run(book, e, "t1");
  v1::TaskStatus starting = update("t1", v1::TASK_STARTING, "u1");
  starting.set_timestamp(100.5);
  starting.set_data(std::string(1 << 20, 'x'));
  starting.mutable_container_status()->mutable_container_id()->set_value("c-e1");
  EXPECT_TRUE(book.recordStatus(e, starting));
  book.recordForwarded(e, "t1", v1::TASK_STARTING, "u1");
  EXPECT_TRUE(book.recordStatus(e, update("t1", v1::TASK_RUNNING, "u2")));

  const TaskHistory& history = e.history("t1");
  EXPECT_EQ(states(history), (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING}));
  EXPECT_EQ(history.statuses.front().timestamp(), 100.5);
  EXPECT_EQ(history.statuses.front().uuid(), "u1");
  EXPECT_EQ(history.statuses.front().container_status().container_id().value(), "c-e1");
  EXPECT_FALSE(history.statuses.front().has_data());
  EXPECT_EQ(history.forwarded_state, v1::TASK_STARTING);
  EXPECT_EQ(history.forwarded_uuid, "u1");

  // An update of a task the executor does not hold is not kept.
  EXPECT_FALSE(book.recordStatus(e, update("other", v1::TASK_RUNNING, "u9")));
  book.recordForwarded(e, "other", v1::TASK_RUNNING, "u9");
  EXPECT_TRUE(e.history("other").statuses.empty());
  EXPECT_FALSE(e.history("other").forwarded_state);

  // Completed, the task takes its history along.
  book.setTaskState(e, "t1", v1::TASK_FINISHED);
  EXPECT_TRUE(book.recordStatus(e, update("t1", v1::TASK_FINISHED, "u3")));
  book.recordForwarded(e, "t1", v1::TASK_FINISHED, "u3");
  book.acknowledgedTerminal(e, "t1", v1::TASK_FINISHED);
  EXPECT_TRUE(e.history("t1").statuses.empty());
  ASSERT_EQ(e.completedTasks().size(), 1u);
  EXPECT_EQ(states(e.completedTasks().front().history),
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}));
  EXPECT_EQ(e.completedTasks().front().history.forwarded_uuid, "u3");
}

TEST(ExecutorBook, ATasksHistoryIsBounded) {
  ExecutorBook book;
  Executor& e = admit(book, "f1", "e1");
  run(book, e, "t1");
  // Updates in the latest one's state replace it (health checks, say): one entry.
  for (int i = 0; i < 100; ++i) {
    v1::TaskStatus running = update("t1", v1::TASK_RUNNING, "r" + std::to_string(i));
    running.set_healthy(i % 2 == 0);
    ASSERT_TRUE(book.recordStatus(e, running));
  }
  ASSERT_EQ(e.history("t1").statuses.size(), 1u);
  EXPECT_EQ(e.history("t1").statuses.back().uuid(), "r99");
  // States that alternate never grow the history past its bound; the newest are kept.
  for (int i = 0; i < 100; ++i) {
    v1::TaskState state = i % 2 == 0 ? v1::TASK_KILLING : v1::TASK_RUNNING;
    ASSERT_TRUE(book.recordStatus(e, update("t1", state, "a" + std::to_string(i))));
  }
  const TaskHistory& history = e.history("t1");
  ASSERT_EQ(history.statuses.size(), TaskHistory::kMaxStatuses);
  EXPECT_EQ(history.statuses.back().uuid(), "a99");
  EXPECT_EQ(history.statuses.front().uuid(), "a" + std::to_string(100 - TaskHistory::kMaxStatuses));

  // Retired with the executor, the unfinished task keeps it in the completed history.
  book.retire("f1", "e1");
  ASSERT_EQ(book.completedExecutors().size(), 1u);
  ASSERT_EQ(book.completedExecutors().front().tasks.size(), 1u);
  EXPECT_EQ(book.completedExecutors().front().tasks[0].history.statuses.size(),
            TaskHistory::kMaxStatuses);
}

v1::TaskInfo taskWith(const std::string& id, const std::string& resources) {
  v1::TaskInfo t = task(id);
  resourcesToProto(*Resources::parse(resources), t.mutable_resources());
  return t;
}

TEST(ExecutorBook, AllocatedResourcesAreTheExecutorsAndItsUnfinishedAndQueuedTasks) {
  ExecutorBook book;
  v1::ExecutorInfo info = executorInfo("e1");
  resourcesToProto(*Resources::parse("cpus:0.1;mem:32"), info.mutable_resources());
  Executor& e = book.admit(frameworkInfo("f1"), info, false, [] { return "c1"; }).executor;
  ASSERT_TRUE(book.stage(e, taskWith("queued", "cpus:1")).isOk());
  book.place(e, taskWith("queued", "cpus:1"));
  v1::TaskGroupInfo g;
  *g.add_tasks() = taskWith("g1", "cpus:2");
  *g.add_tasks() = taskWith("g2", "mem:64");
  ASSERT_TRUE(book.stage(e, g).isOk());
  book.place(e, g);
  EXPECT_EQ(e.allocatedResources(), *Resources::parse("cpus:3.1;mem:96"));

  ASSERT_TRUE(book.subscribed(e));
  book.handOver(e);
  ASSERT_TRUE(book.stage(e, taskWith("done", "cpus:4")).isOk());
  book.place(e, taskWith("done", "cpus:4"));
  book.setTaskState(e, "done", v1::TASK_FINISHED);  // ended: no longer held
  EXPECT_EQ(e.allocatedResources(), *Resources::parse("cpus:3.1;mem:96"));
}

TEST(ExecutorBook, RecoveryKeepsWhatIsUnfinishedOrUnacknowledged) {
  RecoveredExecutor recovered;
  recovered.info = executorInfo("e1");
  recovered.container_id = "c1";
  recovered.directory = "/sandbox";
  recovered.pid = 42;
  recovered.command_executor = true;
  RecoveredTask staging{task("staging"), {}, {}};
  RecoveredTask running{task("running"), {update("running", v1::TASK_RUNNING, "u1")}, {"u1"}};
  RecoveredTask unacked{
      task("unacked"),
      {update("unacked", v1::TASK_RUNNING, "u2"), update("unacked", v1::TASK_FINISHED, "u3")},
      {"u2"}};
  RecoveredTask done{task("done"), {update("done", v1::TASK_FAILED, "u4")}, {"u4"}};
  recovered.tasks = {staging, running, unacked, done};

  ExecutorBook book;
  auto [e, forgotten] = book.recover(frameworkInfo("f1", true), recovered);
  EXPECT_EQ(forgotten, std::vector<std::string>{"done"});
  EXPECT_EQ(&e, book.find("f1", "e1"));
  EXPECT_TRUE(e.recovered());
  EXPECT_TRUE(e.commandExecutor());
  EXPECT_EQ(e.state(), ExecutorState::kRegistering);
  EXPECT_EQ(e.pid(), 42);
  EXPECT_EQ(e.containerId(), "c1");
  EXPECT_EQ(e.directory(), "/sandbox");
  EXPECT_TRUE(book.checkpointing("f1"));
  EXPECT_EQ(keys(e.launchedTasks()), (std::vector<std::string>{"running", "staging", "unacked"}));
  EXPECT_EQ(e.taskState("staging", v1::TASK_LOST), v1::TASK_STAGING);
  EXPECT_EQ(e.taskState("running", v1::TASK_LOST), v1::TASK_RUNNING);
  EXPECT_EQ(e.taskState("unacked", v1::TASK_LOST), v1::TASK_FINISHED);
  EXPECT_EQ(book.unfinishedTasks(e), (std::vector<std::string>{"running", "staging"}));
  // The checkpointed updates are the tasks' histories again.
  EXPECT_EQ(states(e.history("unacked")),
            (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_FINISHED}));
  EXPECT_EQ(e.history("unacked").statuses.back().uuid(), "u3");
  EXPECT_TRUE(e.history("staging").statuses.empty());
  EXPECT_FALSE(e.history("running").forwarded_state);  // until forwarded again, as Mesos

  // Back: the executor gets nothing again (its tasks were launched before the restart).
  ASSERT_TRUE(book.subscribed(e));
  EXPECT_TRUE(book.handOver(e).tasks.empty());
}

}  // namespace
}  // namespace plateau::agent
