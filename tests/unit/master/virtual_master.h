#pragma once

// A real Master on virtual time, for unit tests of its state machine: no sockets, no threads,
// no sleeps. Agents and schedulers are protobuf calls handed to Master::handle(); the events
// the master streams back are read from FakeStreams; leadership and the registry are fakes the
// test drives. Time moves only through `time.advance()`.

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <mesos/v1/scheduler/scheduler.pb.h>
#include <plateau/agent.pb.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "fakes/fake_http.h"
#include "fakes/fake_leadership.h"
#include "fakes/fake_registry.h"
#include "fakes/virtual_time.h"
#include "master/master.h"

namespace plateau::testing {

namespace v1 = mesos::v1;
namespace scheduler = mesos::v1::scheduler;

// One end of a stream the master keeps open: the agent's link or a scheduler's subscription.
template <class Event>
struct Link {
  std::shared_ptr<FakeStream> stream;
  std::string id;         // the agent's or the framework's id, from the first event
  std::string stream_id;  // a scheduler's Mesos-Stream-Id

  // The events received since the last call (failing the test on a broken record).
  std::vector<Event> events() {
    auto events = stream->take<Event>();
    EXPECT_TRUE(events.has_value()) << "undecodable record on the stream";
    return events.value_or(std::vector<Event>{});
  }
};
using AgentLink = Link<internal::AgentEvent>;
using SchedulerLink = Link<scheduler::Event>;

class VirtualMaster {
 public:
  explicit VirtualMaster(master::Flags flags = {},
                         std::shared_ptr<FakeRegistry::Store> store = nullptr)
      : store_(store ? std::move(store) : std::make_shared<FakeRegistry::Store>()),
        leadership_(std::make_shared<FakeLeadership::Control>()) {
    // PLATEAU_TEST_LOG=1 shows the master's log on stderr.
    spdlog::sink_ptr sink =
        std::getenv("PLATEAU_TEST_LOG")
            ? spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_sink_mt>())
            : std::make_shared<spdlog::sinks::null_sink_mt>();
    auto log = std::make_shared<spdlog::logger>("virtual-master", sink);
    log->set_level(spdlog::level::debug);
    flags.webui_dir = "/nonexistent";  // nothing to serve, and no lookup of the source tree
    master_ = std::make_unique<master::Master>(
        master::Environment{.timers = time,
                            .clock = time,
                            .leadership = std::make_unique<FakeLeadership>(leadership_),
                            .stop = [this] { stopped_ = true; }},
        flags, std::vector<std::pair<std::string, std::string>>{}, log, /*seed=*/42);
    master_->start(5050);
  }

  // Elects the master with the fake registry's store and lets it recover.
  void elect() {
    leadership_->elect(std::make_unique<FakeRegistry>(time, store_));
    time.settle();
  }

  // One request, answered once whatever was posted has run.
  std::shared_ptr<FakeExchange> request(const std::string& method, const std::string& path,
                                        std::string body, const std::string& stream_id = "") {
    http::Request request{.method = method,
                          .path = path,
                          .query = {},
                          .headers = {{"content-type", http::kProtobufMediaType},
                                      {"accept", http::kProtobufMediaType}},
                          .body = std::move(body)};
    if (!stream_id.empty()) {
      request.headers["mesos-stream-id"] = stream_id;
    }
    auto exchange = std::make_shared<FakeExchange>();
    master_->handle(request, http::Responder(exchange));
    time.settle();
    return exchange;
  }

  // An agent registering (with its id when it re-registers) and what it runs; a re-registration
  // carries the agent's last session, as the real agent's does.
  AgentLink registerAgent(internal::AgentCall::Register reg) {
    internal::AgentCall call;
    call.set_type(internal::AgentCall::REGISTER);
    if (reg.agent_info().has_id()) {
      call.set_session(sessionOf(reg.agent_info().id().value()));
    }
    *call.mutable_register_() = std::move(reg);
    return registerAgent(std::move(call));
  }
  // A whole REGISTER call (e.g. one opening a shared stream: proto/plateau/agent.proto).
  AgentLink registerAgent(const internal::AgentCall& call) {
    auto exchange = request("POST", "/agent/api/v1", call.SerializeAsString());
    AgentLink link{.stream = exchange->stream(), .id = {}, .stream_id = {}};
    if (link.stream) {
      agent_streams_.push_back(link.stream);
    }
    EXPECT_TRUE(link.stream) << "no agent stream; answer: "
                             << (exchange->response() ? exchange->response()->body : "none");
    return link;
  }
  static internal::AgentCall::Register agentRegistration(const std::string& hostname, double cpus,
                                                         double mem) {
    internal::AgentCall::Register reg;
    reg.mutable_agent_info()->set_hostname(hostname);
    reg.set_ip("127.0.0.1");
    reg.set_version("test");
    for (auto [name, value] : {std::pair{"cpus", cpus}, std::pair{"mem", mem}}) {
      auto* r = reg.mutable_agent_info()->add_resources();
      r->set_name(name);
      r->set_type(v1::Value::SCALAR);
      r->mutable_scalar()->set_value(value);
    }
    return reg;
  }
  // An agent's call; without a session it carries the one the master last gave that agent (as
  // the real agent's link does).
  int agentCall(internal::AgentCall call) {
    if (!call.has_session()) {
      call.set_session(sessionOf(call.agent_id().value()));
    }
    auto exchange = request("POST", "/agent/api/v1", call.SerializeAsString());
    return exchange->response() ? exchange->response()->status : 0;
  }

  // The session of the agent's latest REGISTERED ("" when it has none).
  std::string sessionOf(const std::string& agent_id) const {
    std::string session;
    for (const auto& stream : agent_streams_) {
      recordio::Decoder decoder;
      auto events = recordio::decodeEvents<internal::AgentEvent>(decoder, stream->written());
      for (const auto& event : events.value_or(std::vector<internal::AgentEvent>{})) {
        if (event.type() == internal::AgentEvent::REGISTERED &&
            event.registered().agent_id().value() == agent_id) {
          session = event.registered().session();
        }
      }
    }
    return session;
  }

  SchedulerLink subscribe(const v1::FrameworkInfo& info) {
    scheduler::Call call;
    call.set_type(scheduler::Call::SUBSCRIBE);
    *call.mutable_subscribe()->mutable_framework_info() = info;
    if (info.has_id()) {
      *call.mutable_framework_id() = info.id();
    }
    auto exchange = request("POST", "/api/v1/scheduler", call.SerializeAsString());
    SchedulerLink link{.stream = exchange->stream(), .id = {}, .stream_id = {}};
    EXPECT_TRUE(link.stream) << "no subscription; answer: "
                             << (exchange->response() ? exchange->response()->body : "none");
    if (exchange->response()) {
      link.stream_id = exchange->response()->header("mesos-stream-id");
    }
    return link;
  }
  // A scheduler call on `link`'s subscription; the answer ("none" with status 0 when none).
  http::Response call(const SchedulerLink& link, scheduler::Call call) {
    call.mutable_framework_id()->set_value(link.id);
    auto exchange = request("POST", "/api/v1/scheduler", call.SerializeAsString(), link.stream_id);
    return exchange->response().value_or(http::Response::text(0, "none"));
  }

  VirtualTime time;
  FakeLeadership::Control& leadership() { return *leadership_; }
  FakeRegistry::Store& store() { return *store_; }
  const master::Master& master() const { return *master_; }
  bool stopped() const { return stopped_; }

 private:
  std::shared_ptr<FakeRegistry::Store> store_;
  std::shared_ptr<FakeLeadership::Control> leadership_;
  std::vector<std::shared_ptr<FakeStream>> agent_streams_;  // every agent link opened
  bool stopped_ = false;
  std::unique_ptr<master::Master> master_;
};

}  // namespace plateau::testing
