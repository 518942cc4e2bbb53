#pragma once

// What the nested container tests share: a cluster whose one task runs `sleep` in its container
// (the parent of the nested containers they launch).

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "api_call.h"
#include "cli_run.h"
#include "harness.h"

namespace plateau::testing {

// A running task "sleeper" and its container (parent_).
class SleeperTask : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:2;mem:512", agentFlags());
    scheduler_.emplace(cluster_.master(), http::ContentType::kJson);
    v1::FrameworkInfo info;
    info.set_user("root");
    info.set_name("nested");
    ASSERT_TRUE(scheduler_->subscribe(info));
    auto offers = scheduler_->next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers);
    scheduler_->launch(offers->offers().offers(0), "sleeper", "sleep 1000", "cpus:0.2;mem:32");
    auto running = scheduler_->nextUpdate();
    ASSERT_TRUE(running && running->state() == v1::TASK_RUNNING);
    // The update names the task's container, as Mesos's do.
    EXPECT_TRUE(running->container_status().has_container_id());
    auto containers = callApi<mesos::v1::agent::Response>(
        agent(), callOfType<mesos::v1::agent::Call>(mesos::v1::agent::Call::GET_CONTAINERS),
        http::ContentType::kJson);
    ASSERT_EQ(containers.response.get_containers().containers_size(), 1) << containers.body;
    parent_ = containers.response.get_containers().containers(0).container_id();
    EXPECT_EQ(running->container_status().container_id().value(), parent_.value());
  }

  http::Endpoint agent() const { return cluster_.agentEndpoint(0); }
  // The agent's flags beyond its resources.
  virtual std::vector<std::string> agentFlags() const { return {}; }

  Cluster cluster_;
  std::optional<Scheduler> scheduler_;
  v1::ContainerID parent_;
};

}  // namespace plateau::testing
