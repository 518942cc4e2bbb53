#pragma once

// A real Agent on virtual time, for unit tests of its state machine: no sockets, no processes,
// no sleeps. The test plays the master on a FakeMasterTransport (events in, calls out) and the
// executors through Agent::handle() (the v1 executor API over FakeExchanges); containers are a
// FakeContainerizer's, and a container's first process ends when the test says so
// (childExited). Time moves only through `time.advance()`. Its work_dir is a fresh temporary
// directory, removed afterwards.

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <mesos/v1/executor/executor.pb.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "common/uuid.h"
#include "fakes/fake_containerizer.h"
#include "fakes/fake_http.h"
#include "fakes/fake_master_transport.h"
#include "fakes/virtual_time.h"

namespace plateau::testing {

class VirtualAgent {
 public:
  // `load`: the load averages the agent reads (null: --load_average_file).
  explicit VirtualAgent(agent::Flags flags = {},
                        std::unique_ptr<agent::LoadSource> load = nullptr) {
    char dir[] = "/tmp/plateau-virtual-agent-XXXXXX";
    work_dir_ = ::mkdtemp(dir) != nullptr ? dir : "";
    EXPECT_FALSE(work_dir_.empty()) << "mkdtemp";
    flags.work_dir = work_dir_;
    flags.master = "127.0.0.1:5050";
    // PLATEAU_TEST_LOG=1 shows the agent's log on stderr.
    spdlog::sink_ptr sink =
        std::getenv("PLATEAU_TEST_LOG")
            ? spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_sink_mt>())
            : std::make_shared<spdlog::sinks::null_sink_mt>();
    auto log = std::make_shared<spdlog::logger>("virtual-agent", sink);
    log->set_level(spdlog::level::debug);
    auto containerizer = std::make_unique<FakeContainerizer>();
    containers_ = containerizer.get();
    mesos::v1::AgentInfo info;
    info.set_hostname("agent-1");
    agent_ = std::make_unique<agent::Agent>(
        agent::Environment{.timers = time,
                           .clock = time,
                           .master = transport,
                           .containerizer = std::move(containerizer),
                           .load = std::move(load)},
        flags, std::vector<std::pair<std::string, std::string>>{},
        *Resources::parse("cpus:4;mem:1024"), info, "/nonexistent/plateau-executor", log,
        /*seed=*/42);
    EXPECT_TRUE(agent_->start(5051, http::Endpoint{"127.0.0.1", 5050}).isOk());
  }
  ~VirtualAgent() {
    agent_.reset();
    std::error_code ec;
    std::filesystem::remove_all(work_dir_, ec);
  }

  // The master answers the registration: the agent is "a1".
  void registerWithMaster() {
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::REGISTERED);
    auto* registered = event.mutable_registered();
    registered->mutable_agent_id()->set_value("a1");
    registered->mutable_master_info()->set_id("m1");
    registered->mutable_master_info()->set_ip(0x0100007f);
    registered->mutable_master_info()->set_port(5050);
    registered->set_heartbeat_interval_seconds(5);
    masterSends(event);
  }
  // Time passes with a master that stays alive: it pings the agent every 5 seconds, as the
  // master's heartbeats do (time.advance() alone looks like a silent master after 30 s).
  void advance(std::chrono::nanoseconds duration) {
    using namespace std::chrono_literals;
    internal::AgentEvent ping;
    ping.set_type(internal::AgentEvent::HEARTBEAT);
    while (duration > 0ns) {
      auto step = std::min<std::chrono::nanoseconds>(duration, 5s);
      time.advance(step);
      duration -= step;
      masterSends(ping);
    }
  }
  void masterSends(const internal::AgentEvent& event) {
    EXPECT_FALSE(transport.streams.empty()) << "the agent has no stream from the master";
    if (!transport.streams.empty()) {
      transport.streams.back()->deliver({event});
    }
    time.settle();
  }
  // RUN_TASK of a command task `task_id` (run by the built-in command executor, whose id is the
  // task's) for framework "f1".
  void runCommandTask(const std::string& task_id, bool checkpoint = false) {
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::RUN_TASK);
    auto* run = event.mutable_run_task();
    run->mutable_framework_info()->mutable_id()->set_value("f1");
    run->mutable_framework_info()->set_name("test");
    run->mutable_framework_info()->set_user("");
    run->mutable_framework_info()->set_checkpoint(checkpoint);
    auto* task = run->mutable_task();
    task->set_name(task_id);
    task->mutable_task_id()->set_value(task_id);
    task->mutable_agent_id()->set_value("a1");
    task->mutable_command()->set_value("sleep 1000");
    for (auto [name, value] : {std::pair{"cpus", 0.5}, std::pair{"mem", 32.0}}) {
      auto* r = task->add_resources();
      r->set_name(name);
      r->set_type(mesos::v1::Value::SCALAR);
      r->mutable_scalar()->set_value(value);
    }
    masterSends(event);
  }

  // An executor call through the v1 executor API; the exchange it was answered on.
  std::shared_ptr<FakeExchange> executorCall(mesos::v1::executor::Call call) {
    http::Request request{.method = "POST",
                          .path = "/api/v1/executor",
                          .query = {},
                          .headers = {{"content-type", http::kProtobufMediaType},
                                      {"accept", http::kProtobufMediaType}},
                          .body = call.SerializeAsString()};
    auto exchange = std::make_shared<FakeExchange>();
    agent_->handle(request, http::Responder(exchange));
    time.settle();
    return exchange;
  }
  // The executor of `executor_id` (framework "f1") subscribes; its event stream.
  std::shared_ptr<FakeStream> executorSubscribes(const std::string& executor_id) {
    auto exchange = executorCall(executorCallOf(executor_id, mesos::v1::executor::Call::SUBSCRIBE));
    EXPECT_TRUE(exchange->stream()) << "no executor stream";
    return exchange->stream();
  }
  // The executor reports `state` for its task (same id as the executor); the HTTP status.
  int executorUpdates(const std::string& executor_id, mesos::v1::TaskState state) {
    auto call = executorCallOf(executor_id, mesos::v1::executor::Call::UPDATE);
    auto* status = call.mutable_update()->mutable_status();
    status->mutable_task_id()->set_value(executor_id);
    status->set_state(state);
    status->set_uuid(uuids_.bytes());
    auto exchange = executorCall(call);
    return exchange->response() ? exchange->response()->status : 0;
  }
  // The container's first process ends (as SIGCHLD would report), killed by `signal`.
  void containerProcessKilled(pid_t pid, int signal) {
    agent_->childExited(pid, signal);  // a wait status of "killed by signal"
    time.settle();
  }

  // The status updates the agent has sent the master so far, in order.
  std::vector<mesos::v1::TaskStatus> statusUpdates() const {
    std::vector<mesos::v1::TaskStatus> out;
    for (const auto& call : transport.calls(internal::AgentCall::STATUS_UPDATE)) {
      out.push_back(call.status_update().status());
    }
    return out;
  }

  VirtualTime time;
  FakeMasterTransport transport;
  FakeContainerizer& containers() { return *containers_; }

 private:
  static mesos::v1::executor::Call executorCallOf(const std::string& executor_id,
                                                  mesos::v1::executor::Call::Type type) {
    mesos::v1::executor::Call call;
    call.set_type(type);
    call.mutable_framework_id()->set_value("f1");
    call.mutable_executor_id()->set_value(executor_id);
    if (type == mesos::v1::executor::Call::SUBSCRIBE) {
      call.mutable_subscribe();
    }
    return call;
  }

  std::string work_dir_;
  UuidGenerator uuids_{7};
  FakeContainerizer* containers_ = nullptr;
  std::unique_ptr<agent::Agent> agent_;
};

}  // namespace plateau::testing
