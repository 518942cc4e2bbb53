#pragma once

// What the nested container tests share: a cluster whose one task runs `sleep` in its container
// (the parent of the nested containers they launch), and the agent calls they make.

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "api_call.h"
#include "cli_run.h"
#include "common/json_codec.h"
#include "common/recordio.h"
#include "harness.h"
#include "http/stream_accept.h"

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
    info.set_checkpoint(checkpointing());
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

  ApiAnswer<mesos::v1::agent::Response> call(const mesos::v1::agent::Call& c) {
    return callApi<mesos::v1::agent::Response>(agent(), c, http::ContentType::kJson);
  }
  // The container `value` under `parent` (the task's container by default).
  v1::ContainerID child(const std::string& value, const v1::ContainerID* parent = nullptr) const {
    v1::ContainerID id;
    id.set_value(value);
    *id.mutable_parent() = parent != nullptr ? *parent : parent_;
    return id;
  }
  static mesos::v1::agent::Call session(const v1::ContainerID& id, const std::string& shell) {
    mesos::v1::agent::Call c;
    c.set_type(mesos::v1::agent::Call::LAUNCH_NESTED_CONTAINER_SESSION);
    *c.mutable_launch_nested_container_session()->mutable_container_id() = id;
    c.mutable_launch_nested_container_session()->mutable_command()->set_value(shell);
    return c;
  }
  // Opens a streamed call, asking for RecordIO of `message` records.
  std::unique_ptr<http::BlockingStream> open(const mesos::v1::agent::Call& c,
                                             http::ContentType message) {
    auto stream =
        http::BlockingStream::open(agent(),
                                   {.method = "POST",
                                    .path = "/api/v1",
                                    .headers = {{"content-type", http::kJsonMediaType},
                                                {"accept", http::kRecordioMediaType},
                                                {"message-accept", http::mediaType(message)}},
                                    .body = http::encode(c, http::ContentType::kJson)},
                                   10s);
    EXPECT_TRUE(stream) << (stream ? "" : stream.error().message());
    return stream ? std::move(*stream) : nullptr;
  }
  // One record of an ATTACH_CONTAINER_INPUT body (JSON): the first names `id`, the others carry
  // `data` for stdin ("": its end).
  static std::string inputRecord(const v1::ContainerID& id, bool first, const std::string& data) {
    mesos::v1::agent::Call c;
    c.set_type(mesos::v1::agent::Call::ATTACH_CONTAINER_INPUT);
    auto* in = c.mutable_attach_container_input();
    if (first) {
      in->set_type(mesos::v1::agent::Call::AttachContainerInput::CONTAINER_ID);
      *in->mutable_container_id() = id;
    } else {
      in->set_type(mesos::v1::agent::Call::AttachContainerInput::PROCESS_IO);
      in->mutable_process_io()->set_type(mesos::v1::agent::ProcessIO::DATA);
      auto* d = in->mutable_process_io()->mutable_data();
      d->set_type(mesos::v1::agent::ProcessIO::Data::STDIN);
      d->set_data(data);
    }
    return recordio::encode(toJson(c));
  }
  // The stdout file of the container whose id is `value`, found under the cluster's directory.
  std::string stdoutOf(const std::string& value) const {
    std::string found;
    for (const auto& e : std::filesystem::recursive_directory_iterator(cluster_.dir())) {
      if (e.path().filename() == "stdout" && e.path().parent_path().filename() == value) {
        std::ifstream in(e.path());
        found.assign(std::istreambuf_iterator<char>(in), {});
      }
    }
    return found;
  }
  // REMOVE_CONTAINER (or REMOVE_NESTED_CONTAINER) for `id`; then it is gone (WAIT_CONTAINER
  // answers 404).
  void removeAndCheckGone(const v1::ContainerID& id, bool nested_call = false) {
    mesos::v1::agent::Call remove;
    if (nested_call) {
      remove.set_type(mesos::v1::agent::Call::REMOVE_NESTED_CONTAINER);
      *remove.mutable_remove_nested_container()->mutable_container_id() = id;
    } else {
      remove.set_type(mesos::v1::agent::Call::REMOVE_CONTAINER);
      *remove.mutable_remove_container()->mutable_container_id() = id;
    }
    EXPECT_EQ(call(remove).status, 200);
    mesos::v1::agent::Call wait;
    wait.set_type(mesos::v1::agent::Call::WAIT_CONTAINER);
    *wait.mutable_wait_container()->mutable_container_id() = id;
    EXPECT_EQ(call(wait).status, 404);
  }
  mesos::v1::agent::Response waitFor(const v1::ContainerID& id, bool nested_call) {
    mesos::v1::agent::Call c;
    if (nested_call) {
      c.set_type(mesos::v1::agent::Call::WAIT_NESTED_CONTAINER);
      *c.mutable_wait_nested_container()->mutable_container_id() = id;
    } else {
      c.set_type(mesos::v1::agent::Call::WAIT_CONTAINER);
      *c.mutable_wait_container()->mutable_container_id() = id;
    }
    auto answer = call(c);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.response;
  }
  // The agent's flags beyond its resources.
  virtual std::vector<std::string> agentFlags() const { return {}; }
  // Whether the framework checkpoints (its task then outlives an agent restart).
  virtual bool checkpointing() const { return false; }

  Cluster cluster_;
  std::optional<Scheduler> scheduler_;
  v1::ContainerID parent_;
};

}  // namespace plateau::testing
