#include "agent/checkpoint.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace plateau::agent {
namespace {

namespace fs = std::filesystem;
namespace v1 = mesos::v1;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-checkpoint-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

v1::TaskStatus update(const std::string& task_id, v1::TaskState state, const std::string& uuid) {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value(task_id);
  status.set_state(state);
  status.set_uuid(uuid);
  return status;
}

TEST_F(CheckpointTest, RecoversWhatWasWritten) {
  Checkpoint checkpoint(dir_);
  ASSERT_TRUE(checkpoint.writeAgentId("agent-1").isOk());
  v1::FrameworkInfo framework;
  framework.mutable_id()->set_value("fw/../1");
  framework.set_checkpoint(true);
  ASSERT_TRUE(checkpoint.writeFramework(framework).isOk());
  v1::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("..");
  ASSERT_TRUE(checkpoint.writeExecutor("fw/../1", executor, "c1", "/sandbox", 42, true).isOk());
  v1::TaskInfo task;
  task.mutable_task_id()->set_value("t1");
  ASSERT_TRUE(checkpoint.writeTask("fw/../1", "..", task).isOk());
  ASSERT_TRUE(
      checkpoint.appendUpdate("fw/../1", "..", update("t1", v1::TASK_RUNNING, "u1")).isOk());
  ASSERT_TRUE(checkpoint.appendAck("fw/../1", "..", "t1", "u1").isOk());
  ASSERT_TRUE(
      checkpoint.appendUpdate("fw/../1", "..", update("t1", v1::TASK_FINISHED, "u2")).isOk());

  std::vector<std::string> errors;
  RecoveredState state = checkpoint.recover(&errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_TRUE(state.agent_id);
  EXPECT_EQ(*state.agent_id, "agent-1");
  ASSERT_EQ(state.frameworks.size(), 1u);
  EXPECT_EQ(state.frameworks[0].info.id().value(), "fw/../1");
  ASSERT_EQ(state.frameworks[0].executors.size(), 1u);
  const RecoveredExecutor& e = state.frameworks[0].executors[0];
  EXPECT_EQ(e.container_id, "c1");
  EXPECT_EQ(e.directory, "/sandbox");
  EXPECT_EQ(e.pid, 42);
  EXPECT_TRUE(e.command_executor);
  ASSERT_EQ(e.tasks.size(), 1u);
  ASSERT_EQ(e.tasks[0].updates.size(), 2u);
  EXPECT_EQ(e.tasks[0].updates[1].state(), v1::TASK_FINISHED);
  EXPECT_EQ(e.tasks[0].acknowledged, std::set<std::string>{"u1"});
  // Escaped ids stay inside meta/.
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    EXPECT_TRUE(entry.path().string().starts_with(dir_ + "/meta")) << entry.path();
    EXPECT_EQ(entry.path().string().find("/../"), std::string::npos) << entry.path();
  }
}

TEST_F(CheckpointTest, TornLastRecordIsIgnored) {
  Checkpoint checkpoint(dir_);
  v1::FrameworkInfo framework;
  framework.mutable_id()->set_value("fw");
  ASSERT_TRUE(checkpoint.writeFramework(framework).isOk());
  v1::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("ex");
  ASSERT_TRUE(checkpoint.writeExecutor("fw", executor, "c", "/d", 7, false).isOk());
  v1::TaskInfo task;
  task.mutable_task_id()->set_value("t");
  ASSERT_TRUE(checkpoint.writeTask("fw", "ex", task).isOk());
  ASSERT_TRUE(checkpoint.appendUpdate("fw", "ex", update("t", v1::TASK_RUNNING, "u1")).isOk());
  std::ofstream(dir_ + "/meta/frameworks/fw/executors/ex/tasks/t/updates", std::ios::app)
      << std::string("\x40\x00\x00\x00U", 5);

  std::vector<std::string> errors;
  RecoveredState state = checkpoint.recover(&errors);
  ASSERT_EQ(state.frameworks.size(), 1u);
  ASSERT_EQ(state.frameworks[0].executors[0].tasks[0].updates.size(), 1u);
}

TEST_F(CheckpointTest, RemovingTheLastExecutorRemovesItsFramework) {
  Checkpoint checkpoint(dir_);
  v1::FrameworkInfo framework;
  framework.mutable_id()->set_value("fw");
  ASSERT_TRUE(checkpoint.writeFramework(framework).isOk());
  v1::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("ex");
  ASSERT_TRUE(checkpoint.writeExecutor("fw", executor, "c", "/d", 7, false).isOk());
  checkpoint.removeExecutor("fw", "ex");
  std::vector<std::string> errors;
  EXPECT_TRUE(checkpoint.recover(&errors).frameworks.empty());
  EXPECT_FALSE(fs::exists(dir_ + "/meta/frameworks/fw"));
}

}  // namespace
}  // namespace plateau::agent
