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

Executor executorWithTask() {
  Executor e;
  e.framework_id = "f1";
  e.info.mutable_executor_id()->set_value("e1");
  e.container_id = "c1";
  e.directory = "/sandbox/c1";
  addScalar(e.info.mutable_resources(), "cpus", 0.5);
  addScalar(e.info.mutable_resources(), "mem", 64);
  e.launched_tasks["t1"] = task("t1", 1, 128);
  e.task_states["t1"] = v1::TASK_RUNNING;
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
  Executor e = executorWithTask();
  e.queued_tasks["t2"] = task("t2", 2, 256);
  addScalar(e.queued_tasks["t2"].mutable_resources(), "disk", 10);
  e.launched_tasks["t3"] = task("t3", 4, 512);
  e.task_states["t3"] = v1::TASK_FINISHED;  // ended: holds nothing any more
  v1::TaskGroupInfo group;
  *group.add_tasks() = task("t4", 0.25, 32);
  e.queued_groups.push_back(group);

  ContainerConfig config = containerConfig(e);
  EXPECT_EQ(config.container_id, "c1");
  EXPECT_EQ(config.directory, "/sandbox/c1");
  EXPECT_DOUBLE_EQ(config.cpus, 0.5 + 1 + 2 + 0.25);
  EXPECT_DOUBLE_EQ(config.mem_mb, 64 + 128 + 256 + 32);
  EXPECT_DOUBLE_EQ(config.disk_mb, 10);
}

TEST(ContainersTest, CommandExecutorWithoutResourcesGetsItsOwnShare) {
  Executor e;
  e.command_executor = true;
  e.container_id = "c1";
  e.queued_tasks["t1"] = task("t1", 1, 32);
  ContainerConfig config = containerConfig(e);
  EXPECT_DOUBLE_EQ(config.cpus, 1 + kCommandExecutorCpus);
  EXPECT_DOUBLE_EQ(config.mem_mb, 32 + kCommandExecutorMemMb);
}

TEST(ContainersTest, ResizeLeavesOutATaskThatEnded) {
  FakeContainerizer containerizer;
  Executor e = executorWithTask();
  e.launched_tasks["t2"] = task("t2", 2, 256);
  e.task_states["t2"] = v1::TASK_RUNNING;
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));

  e.task_states["t2"] = v1::TASK_FINISHED;
  resizeContainer(containerizer, e);
  ASSERT_EQ(containerizer.updates.size(), 1u);
  EXPECT_EQ(containerizer.updates[0].container_id, "c1");
  EXPECT_DOUBLE_EQ(containerizer.updates[0].cpus, 1.5);
}

TEST(ContainersTest, LimitFoundOnATerminalUpdateFailsItAndKillsTheContainer) {
  FakeContainerizer containerizer;
  Executor e = executorWithTask();
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  // The kernel was faster than the periodic check: nothing reported yet.
  containerizer.crossLimit("c1", kMemory, /*report=*/false);

  v1::TaskStatus status = terminal(v1::TASK_FAILED, v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  auto found = applyContainerLimitation(containerizer, e, &status);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->message, "Memory limit exceeded");
  EXPECT_EQ(status.state(), v1::TASK_FAILED);
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  EXPECT_EQ(status.source(), v1::TaskStatus::SOURCE_AGENT);
  EXPECT_EQ(status.message(), "Memory limit exceeded");
  EXPECT_EQ(containerizer.kills, std::vector<std::string>{"c1"});
  EXPECT_EQ(e.termination_reason, v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
}

TEST(ContainersTest, LimitReportedEarlierRewritesLaterUpdatesWithoutAnotherKill) {
  FakeContainerizer containerizer;
  Executor e = executorWithTask();
  containerizer.setLimitationCallback([&](const std::string& id, Limitation limit) {
    ASSERT_EQ(id, "c1");
    EXPECT_TRUE(recordLimitation(e, limit));
  });
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  containerizer.crossLimit("c1", {Limitation::Kind::kDisk, "Disk usage exceeds quota"}, true);
  ASSERT_EQ(containerizer.kills.size(), 1u);
  // The first reason stays.
  EXPECT_FALSE(recordLimitation(e, kMemory));

  v1::TaskStatus status =
      terminal(v1::TASK_KILLED, v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH);
  EXPECT_FALSE(applyContainerLimitation(containerizer, e, &status));
  EXPECT_EQ(status.state(), v1::TASK_FAILED);
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_DISK);
  EXPECT_EQ(status.message(), "Disk usage exceeds quota");
  EXPECT_EQ(containerizer.kills.size(), 1u);
}

TEST(ContainersTest, FinishedAndRunningUpdatesAreNeverRewritten) {
  FakeContainerizer containerizer;
  Executor e = executorWithTask();
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  containerizer.crossLimit("c1", kMemory, false);
  for (v1::TaskState state : {v1::TASK_FINISHED, v1::TASK_RUNNING}) {
    v1::TaskStatus status = terminal(state, v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
    EXPECT_FALSE(applyContainerLimitation(containerizer, e, &status));
    EXPECT_EQ(status.state(), state);
    EXPECT_EQ(status.source(), v1::TaskStatus::SOURCE_EXECUTOR);
  }
  EXPECT_TRUE(containerizer.kills.empty());
  EXPECT_FALSE(e.termination_reason);
}

TEST(ContainersTest, FailureWithoutALimitKeepsItsOwnReason) {
  FakeContainerizer containerizer;
  Executor e = executorWithTask();
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  v1::TaskStatus status = terminal(v1::TASK_FAILED, v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  EXPECT_FALSE(applyContainerLimitation(containerizer, e, &status));
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);

  // A launch failure is the executor's reason, but not a limit: updates keep theirs too.
  e.termination_reason = v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED;
  EXPECT_FALSE(applyContainerLimitation(containerizer, e, &status));
  EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  EXPECT_TRUE(containerizer.kills.empty());
}

TEST(ContainersTest, EndedContainerIsDestroyedWithTheLimitItCrossed) {
  FakeContainerizer containerizer;
  Executor e = executorWithTask();
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  containerizer.crossLimit("c1", kMemory, false);

  auto found = endContainer(containerizer, e);
  ASSERT_TRUE(found);
  EXPECT_EQ(e.termination_reason, v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  EXPECT_EQ(e.termination_message, "Memory limit exceeded");
  EXPECT_EQ(containerizer.destroys, std::vector<std::string>{"c1"});
  EXPECT_FALSE(containerizer.contains("c1"));
}

TEST(ContainersTest, EndedContainerWithoutALimitIsDestroyedOnly) {
  FakeContainerizer containerizer;
  Executor e = executorWithTask();
  ASSERT_TRUE(containerizer.launch(containerConfig(e), LaunchSpec{}, ""));
  EXPECT_FALSE(endContainer(containerizer, e));
  EXPECT_FALSE(e.termination_reason);
  EXPECT_EQ(containerizer.destroys, std::vector<std::string>{"c1"});
}

TEST(ContainersTest, ExecutorRunsAsItsCommandsUserElseTheFrameworks) {
  Framework framework;
  framework.info.set_user("alice");
  Executor e = executorWithTask();
  EXPECT_EQ(executorUser(framework, e), "alice");
  e.info.mutable_command()->set_user("bob");
  EXPECT_EQ(executorUser(framework, e), "bob");
}

}  // namespace
}  // namespace plateau::agent
