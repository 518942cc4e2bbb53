// The agent carrying out its QoS controller's corrections (agent/qos_agent.cc), on virtual time
// with a fake load: Mesos's KILL of every executor on revocable resources once the load passes
// the threshold, its tasks LOST (GONE for a partition-aware framework), the others untouched.

#include <algorithm>
#include <csignal>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "unit/agent/virtual_agent.h"

namespace plateau::testing {
namespace {

using namespace std::chrono_literals;
namespace v1 = mesos::v1;

class SharedLoad : public agent::LoadSource {
 public:
  explicit SharedLoad(const agent::LoadAverage& load) : load_(load) {}
  Result<agent::LoadAverage> read() override { return load_; }

 private:
  const agent::LoadAverage& load_;
};

// RUN_TASK of a command task on revocable cpus (or the agent's own) for framework `fw`.
void runTask(VirtualAgent& agent, const std::string& fw, const std::string& task_id, bool revocable,
             bool partition_aware) {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::RUN_TASK);
  auto* run = event.mutable_run_task();
  run->mutable_framework_info()->mutable_id()->set_value(fw);
  run->mutable_framework_info()->set_name(fw);
  run->mutable_framework_info()->set_user("");
  if (partition_aware) {
    run->mutable_framework_info()->add_capabilities()->set_type(
        v1::FrameworkInfo::Capability::PARTITION_AWARE);
  }
  auto* task = run->mutable_task();
  task->set_name(task_id);
  task->mutable_task_id()->set_value(task_id);
  task->mutable_agent_id()->set_value("a1");
  task->mutable_command()->set_value("sleep 1000");
  auto* cpus = task->add_resources();
  cpus->set_name("cpus");
  cpus->set_type(v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(1);
  if (revocable) {
    cpus->mutable_revocable();
  }
  agent.masterSends(event);
}

TEST(AgentQos, AboveTheLoadEveryRevocableExecutorIsPreemptedOnce) {
  agent::Flags flags;
  flags.qos_controller = agent::kLoadQosController;
  flags.modules = R"({"libraries": [{"file": "libload_qos_controller.so", "modules": [)"
                  R"({"name": "org_apache_mesos_LoadQoSController",)"
                  R"( "parameters": [{"key": "load_threshold_5min", "value": "2"}]}]}]})";
  flags.qos_correction_interval_min = 10s;
  agent::LoadAverage load{.one = 8, .five = 2, .fifteen = 8};
  VirtualAgent agent(flags, std::make_unique<SharedLoad>(load));
  agent.registerWithMaster();
  runTask(agent, "f1", "lost", /*revocable=*/true, /*partition_aware=*/false);
  runTask(agent, "f2", "gone", /*revocable=*/true, /*partition_aware=*/true);
  runTask(agent, "f1", "plain", /*revocable=*/false, /*partition_aware=*/false);
  ASSERT_EQ(agent.containers().launches.size(), 3u);
  // Launched in the order the tasks came.
  std::map<std::string, agent::ContainerConfig> containers = {
      {"lost", agent.containers().launches[0].config},
      {"gone", agent.containers().launches[1].config},
      {"plain", agent.containers().launches[2].config}};
  ASSERT_TRUE(containers["lost"].revocable_cpus);
  ASSERT_FALSE(containers["plain"].revocable_cpus);

  agent.advance(10s);  // at the threshold: not above
  EXPECT_TRUE(agent.containers().kills.empty());
  load.five = 2.5;
  agent.advance(10s);
  EXPECT_EQ(agent.containers().kills.size(), 2u);
  for (const char* preempted : {"lost", "gone"}) {
    EXPECT_NE(std::find(agent.containers().kills.begin(), agent.containers().kills.end(),
                        containers[preempted].container_id),
              agent.containers().kills.end())
        << preempted;
  }
  agent.advance(10s);  // terminating: not killed again
  EXPECT_EQ(agent.containers().kills.size(), 2u);

  agent.containerProcessKilled(containers["lost"].pid, SIGKILL);
  agent.containerProcessKilled(containers["gone"].pid, SIGKILL);
  std::map<std::string, v1::TaskStatus> last;
  for (const auto& status : agent.statusUpdates()) {
    last[status.task_id().value()] = status;
  }
  EXPECT_EQ(last["lost"].state(), v1::TASK_LOST);
  EXPECT_EQ(last["gone"].state(), v1::TASK_GONE);
  for (const char* preempted : {"lost", "gone"}) {
    EXPECT_EQ(last[preempted].reason(), v1::TaskStatus::REASON_CONTAINER_PREEMPTED);
    EXPECT_EQ(last[preempted].source(), v1::TaskStatus::SOURCE_AGENT);
    EXPECT_FALSE(last[preempted].message().empty());
  }
  EXPECT_FALSE(last.contains("plain"));  // no update: still staging, untouched
}

}  // namespace
}  // namespace plateau::testing
