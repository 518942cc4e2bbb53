// The agent's side of the containerizer against a fake one: what a container is given, and
// what a limit it crossed does to its executor's updates and to the container.

#include "agent/containers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fakes/fake_containerizer.h"

namespace plateau::agent {
namespace {

using plateau::testing::FakeContainerizer;

void addScalar(google::protobuf::RepeatedPtrField<v1::Resource>* resources, const std::string& name,
               double value) {
  v1::Resource* r = resources->Add();
  r->set_name(name);
  r->set_type(v1::Value::SCALAR);
  r->mutable_scalar()->set_value(value);
}

v1::TaskInfo task(const std::string& id, double cpus, double mem_mb) {
  v1::TaskInfo t;
  t.set_name(id);
  t.mutable_task_id()->set_value(id);
  addScalar(t.mutable_resources(), "cpus", cpus);
  addScalar(t.mutable_resources(), "mem", mem_mb);
  return t;
}

v1::FrameworkInfo frameworkInfo() {
  v1::FrameworkInfo info;
  info.mutable_id()->set_value("f1");
  return info;
}

// Executor e1 of framework f1 in container c1 (cpus 0.5, mem 64), still registering.
Executor& registering(ExecutorBook& book, bool command_executor = false) {
  v1::ExecutorInfo info;
  info.mutable_executor_id()->set_value("e1");
  if (!command_executor) {
    addScalar(info.mutable_resources(), "cpus", 0.5);
    addScalar(info.mutable_resources(), "mem", 64);
  }
  Executor& e = book.admit(frameworkInfo(), info, command_executor, [] { return "c1"; }).executor;
  book.setDirectory(e, "/sandbox/c1");
  return e;
}

void launch(ExecutorBook& book, Executor& e, const v1::TaskInfo& t, v1::TaskState state) {
  ASSERT_TRUE(book.stage(e, t).isOk());
  book.place(e, t);
  book.setTaskState(e, t.task_id().value(), state);
}

// The same, subscribed and running task t1 (cpus 1, mem 128).
Executor& executorWithTask(ExecutorBook& book) {
  Executor& e = registering(book);
  book.subscribed(e);
  launch(book, e, task("t1", 1, 128), v1::TASK_RUNNING);
  return e;
}

v1::TaskStatus terminal(v1::TaskState state, v1::TaskStatus::Reason reason) {
  v1::TaskStatus s;
  s.mutable_task_id()->set_value("t1");
  s.set_state(state);
  s.set_reason(reason);
  s.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  s.set_message("from the executor");
  return s;
}

const Limitation kMemory{Limitation::Kind::kMemory, "Memory limit exceeded"};

TEST(ContainersTest, ConfigSumsTheExecutorAndItsUnfinishedTasks) {
  ExecutorBook book;
  Executor& e = registering(book);
  v1::TaskInfo t2 = task("t2", 2, 256);
  addScalar(t2.mutable_resources(), "disk", 10);
  launch(book, e, t2, v1::TASK_STAGING);  // queued
  v1::TaskGroupInfo group;
  *group.add_tasks() = task("t4", 0.25, 32);
  ASSERT_TRUE(book.stage(e, group).isOk());
  ASSERT_EQ(book.place(e, group), ExecutorBook::Placement::kQueued);
  book.subscribed(e);
  launch(book, e, task("t1", 1, 128), v1::TASK_RUNNING);
  launch(book, e, task("t3", 4, 512), v1::TASK_FINISHED);  // ended: holds nothing any more
  ASSERT_EQ(e.queuedTasks().size(), 1u);
  ASSERT_EQ(e.launchedTasks().size(), 2u);

  ContainerConfig config = containerConfig(e);
  EXPECT_EQ(config.container_id, "c1");
  EXPECT_EQ(config.directory, "/sandbox/c1");
  EXPECT_DOUBLE_EQ(config.cpus, 0.5 + 1 + 2 + 0.25);
  EXPECT_DOUBLE_EQ(config.mem_mb, 64 + 128 + 256 + 32);
  EXPECT_DOUBLE_EQ(config.disk_mb, 10);
}

TEST(ContainersTest, CommandExecutorWithoutResourcesGetsItsOwnShare) {
  ExecutorBook book;
  Executor& e = registering(book, /*command_executor=*/true);
  launch(book, e, task("t1", 1, 32), v1::TASK_STAGING);
  ContainerConfig config = containerConfig(e);
  EXPECT_DOUBLE_EQ(config.cpus, 1 + kCommandExecutorCpus);
  EXPECT_DOUBLE_EQ(config.mem_mb, 32 + kCommandExecutorMemMb);
}

TEST(ContainersTest, CommandExecutorAllowanceIsMesossInTheTasksRole) {
  v1::TaskInfo t = task("t1", 1, 32);
  auto allowance = commandExecutorAllowance(t);
  ASSERT_EQ(allowance.size(), 2);
  EXPECT_EQ(allowance[0].name(), "cpus");
  EXPECT_DOUBLE_EQ(allowance[0].scalar().value(), 0.1);
  EXPECT_EQ(allowance[1].name(), "mem");
  EXPECT_DOUBLE_EQ(allowance[1].scalar().value(), 32);
  EXPECT_EQ(allowance[0].type(), v1::Value::SCALAR);
  EXPECT_FALSE(allowance[0].has_allocation_info());

  for (auto& r : *t.mutable_resources()) {
    r.mutable_allocation_info()->set_role("web");
  }
  for (const auto& r : commandExecutorAllowance(t)) {
    EXPECT_EQ(r.allocation_info().role(), "web") << r.name();
  }
}

// The container of a command executor whose info holds the allowance: task plus allowance,
// counted once (a 32 MB task gets 64 MB).
TEST(ContainersTest, CommandExecutorWithTheAllowanceCountsItOnce) {
  ExecutorBook book;
  v1::TaskInfo t = task("t1", 1, 32);
  v1::ExecutorInfo info;
  info.mutable_executor_id()->set_value("t1");
  *info.mutable_resources() = commandExecutorAllowance(t);
  Executor& e = book.admit(frameworkInfo(), info, true, [] { return "c1"; }).executor;
  launch(book, e, t, v1::TASK_STAGING);
  ContainerConfig config = containerConfig(e);
  EXPECT_DOUBLE_EQ(config.cpus, 1.1);
  EXPECT_DOUBLE_EQ(config.mem_mb, 64);
}

TEST(ContainersTest, ResizeLeavesOutATaskThatEnded) {
  FakeContainerizer containerizer;
  ExecutorBook book;
  Executor& e = executorWithTask(book);
  launch(book, e, task("t2", 2, 256), v1::TASK_RUNNING);
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));

  book.setTaskState(e, "t2", v1::TASK_FINISHED);
  resizeContainer(containerizer, e);
  ASSERT_EQ(containerizer.updates.size(), 1u);
  EXPECT_EQ(containerizer.updates[0].container_id, "c1");
  EXPECT_DOUBLE_EQ(containerizer.updates[0].cpus, 1.5);
}

TEST(ContainersTest, LimitFoundOnATerminalUpdateFailsItAndKillsTheContainer) {
  FakeContainerizer containerizer;
  ExecutorBook book;
  Executor& e = executorWithTask(book);
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  // The kernel was faster than the periodic check: nothing reported yet.
  containerizer.crossLimit("c1", kMemory, /*report=*/false);

  v1::TaskStatus status = terminal(v1::TASK_FAILED, v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  auto found = applyContainerLimitation(containerizer, book, e, &status);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->message, "Memory limit exceeded");
  EXPECT_EQ(status.state(), v1::TASK_FAILED);
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  EXPECT_EQ(status.source(), v1::TaskStatus::SOURCE_AGENT);
  EXPECT_EQ(status.message(), "Memory limit exceeded");
  EXPECT_EQ(containerizer.kills, std::vector<std::string>{"c1"});
  EXPECT_EQ(e.terminationReason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
}

TEST(ContainersTest, LimitReportedEarlierRewritesLaterUpdatesWithoutAnotherKill) {
  FakeContainerizer containerizer;
  ExecutorBook book;
  Executor& e = executorWithTask(book);
  containerizer.setLimitationCallback([&](const std::string& id, Limitation limit) {
    ASSERT_EQ(id, "c1");
    EXPECT_TRUE(recordLimitation(book, e, limit));
  });
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  containerizer.crossLimit("c1", {Limitation::Kind::kDisk, "Disk usage exceeds quota"}, true);
  ASSERT_EQ(containerizer.kills.size(), 1u);
  // The first reason stays.
  EXPECT_FALSE(recordLimitation(book, e, kMemory));

  v1::TaskStatus status =
      terminal(v1::TASK_KILLED, v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH);
  EXPECT_FALSE(applyContainerLimitation(containerizer, book, e, &status));
  EXPECT_EQ(status.state(), v1::TASK_FAILED);
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_DISK);
  EXPECT_EQ(status.message(), "Disk usage exceeds quota");
  EXPECT_EQ(containerizer.kills.size(), 1u);
}

TEST(ContainersTest, FinishedAndRunningUpdatesAreNeverRewritten) {
  FakeContainerizer containerizer;
  ExecutorBook book;
  Executor& e = executorWithTask(book);
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  containerizer.crossLimit("c1", kMemory, false);
  for (v1::TaskState state : {v1::TASK_FINISHED, v1::TASK_RUNNING}) {
    v1::TaskStatus status = terminal(state, v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
    EXPECT_FALSE(applyContainerLimitation(containerizer, book, e, &status));
    EXPECT_EQ(status.state(), state);
    EXPECT_EQ(status.source(), v1::TaskStatus::SOURCE_EXECUTOR);
  }
  EXPECT_TRUE(containerizer.kills.empty());
  EXPECT_FALSE(e.terminationReason());
}

TEST(ContainersTest, FailureWithoutALimitKeepsItsOwnReason) {
  FakeContainerizer containerizer;
  ExecutorBook book;
  Executor& e = executorWithTask(book);
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  v1::TaskStatus status = terminal(v1::TASK_FAILED, v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  EXPECT_FALSE(applyContainerLimitation(containerizer, book, e, &status));
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);

  // A launch failure is the executor's reason, but not a limit: updates keep theirs too.
  ASSERT_TRUE(book.recordTermination(e, v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, "failed"));
  EXPECT_FALSE(applyContainerLimitation(containerizer, book, e, &status));
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  EXPECT_TRUE(containerizer.kills.empty());
}

TEST(ContainersTest, EndedContainerIsDestroyedWithTheLimitItCrossed) {
  FakeContainerizer containerizer;
  ExecutorBook book;
  Executor& e = executorWithTask(book);
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  containerizer.crossLimit("c1", kMemory, false);

  auto found = endContainer(containerizer, book, e);
  ASSERT_TRUE(found);
  EXPECT_EQ(e.terminationReason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  EXPECT_EQ(e.terminationMessage(), "Memory limit exceeded");
  EXPECT_EQ(containerizer.destroys, std::vector<std::string>{"c1"});
  EXPECT_FALSE(containerizer.contains("c1"));
}

TEST(ContainersTest, EndedContainerWithoutALimitIsDestroyedOnly) {
  FakeContainerizer containerizer;
  ExecutorBook book;
  Executor& e = executorWithTask(book);
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  EXPECT_FALSE(endContainer(containerizer, book, e));
  EXPECT_FALSE(e.terminationReason());
  EXPECT_EQ(containerizer.destroys, std::vector<std::string>{"c1"});
}

TEST(ContainersTest, ExecutorRunsAsItsCommandsUserElseTheFrameworks) {
  ExecutorBook book;
  v1::FrameworkInfo framework = frameworkInfo();
  framework.set_user("alice");
  v1::ExecutorInfo info;
  info.mutable_executor_id()->set_value("e1");
  const Executor& e = book.admit(framework, info, false, [] { return "c1"; }).executor;
  EXPECT_EQ(executorUser(*book.framework("f1"), e), "alice");
  info.mutable_executor_id()->set_value("e2");
  info.mutable_command()->set_user("bob");
  const Executor& e2 = book.admit(framework, info, false, [] { return "c2"; }).executor;
  EXPECT_EQ(executorUser(*book.framework("f1"), e2), "bob");
}

}  // namespace
}  // namespace plateau::agent
