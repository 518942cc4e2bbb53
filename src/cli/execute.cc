#include "cli/execute.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

#include "common/json_codec.h"
#include "common/recordio.h"
#include "common/resources.h"
#include "common/resources_proto.h"
#include "common/uuid.h"
#include "http/client.h"
#include "http/content.h"
#include "http/event_loop.h"

namespace plateau::cli {

namespace v1 = mesos::v1;
namespace scheduler = mesos::v1::scheduler;
using namespace std::chrono_literals;

namespace {

bool isTerminal(v1::TaskState s) {
  return s == v1::TASK_FINISHED || s == v1::TASK_FAILED || s == v1::TASK_KILLED ||
         s == v1::TASK_ERROR || s == v1::TASK_LOST || s == v1::TASK_DROPPED ||
         s == v1::TASK_GONE || s == v1::TASK_GONE_BY_OPERATOR || s == v1::TASK_UNKNOWN;
}

class Execute {
 public:
  Execute(EventLoop& loop, const ExecuteOptions& options, http::Endpoint master, Resources wanted)
      : loop_(loop), options_(options), master_(std::move(master)), wanted_(std::move(wanted)),
        uuids_(osRandomSeed()),
        client_(loop) {}

  void start() {
    scheduler::Call call;
    call.set_type(scheduler::Call::SUBSCRIBE);
    auto* info = call.mutable_subscribe()->mutable_framework_info();
    const char* user = std::getenv("USER");
    info->set_user(user != nullptr ? user : "root");
    info->set_name(options_.framework_name);
    info->set_role(options_.role);
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    info->set_hostname(host);
    http::ClientRequest request{.method = "POST",
                                .path = "/api/v1/scheduler",
                                .headers = {{"content-type", http::kProtobufMediaType},
                                            {"accept", http::kProtobufMediaType}},
                                .body = call.SerializeAsString()};
    stream_ = http::StreamingCall::open(
        loop_, master_, std::move(request), 10s,
        {.on_head =
             [this](const http::Response& head) {
               if (head.status != 200) {
                 finish(1, fmt::format("The master refused the subscription: HTTP {}",
                                       head.status));
                 return;
               }
               stream_id_ = head.header("mesos-stream-id");
             },
         .on_data =
             [this](std::string_view data) {
               auto records = decoder_.decode(data);
               if (!records) {
                 return finish(1, records.error().message());
               }
               for (const auto& record : *records) {
                 scheduler::Event event;
                 if (event.ParseFromString(record)) {
                   handle(event);
                 }
               }
             },
         .on_closed =
             [this](const Status& why) {
               if (tearing_down_) {
                 // TEARDOWN ends the subscription: that is the expected end.
                 return finish(teardown_code_, "");
               }
               finish(1, fmt::format("Lost the connection to the master: {}", why.message()));
             }});
  }

  int exitCode() const { return exit_code_; }

 private:
  void handle(const scheduler::Event& event) {
    switch (event.type()) {
      case scheduler::Event::SUBSCRIBED:
        framework_id_ = event.subscribed().framework_id().value();
        fmt::print("Subscribed with ID {}\n", framework_id_);
        std::fflush(stdout);
        break;
      case scheduler::Event::OFFERS:
        offers(event.offers());
        break;
      case scheduler::Event::UPDATE:
        update(event.update().status());
        break;
      case scheduler::Event::ERROR:
        finish(1, fmt::format("Error from the master: {}", event.error().message()));
        break;
      default:
        break;
    }
  }

  void offers(const scheduler::Event::Offers& offers) {
    scheduler::Call decline;
    decline.set_type(scheduler::Call::DECLINE);
    for (const auto& offer : offers.offers()) {
      auto resources = resourcesFromProto(offer.resources());
      if (launched_ || !resources || !resources->contains(wanted_)) {
        *decline.mutable_decline()->add_offer_ids() = offer.id();
        continue;
      }
      launched_ = true;
      scheduler::Call accept;
      accept.set_type(scheduler::Call::ACCEPT);
      *accept.mutable_accept()->add_offer_ids() = offer.id();
      auto* op = accept.mutable_accept()->add_operations();
      op->set_type(v1::Offer::Operation::LAUNCH);
      auto* task = op->mutable_launch()->add_task_infos();
      task->set_name(options_.name);
      task->mutable_task_id()->set_value(options_.name);
      *task->mutable_agent_id() = offer.agent_id();
      resourcesToProto(wanted_, task->mutable_resources(), options_.role);
      task->mutable_command()->set_value(options_.command);
      fmt::print("Submitted task '{}' to agent {}\n", options_.name, offer.agent_id().value());
      std::fflush(stdout);
      send(accept);
    }
    if (decline.decline().offer_ids_size() > 0) {
      decline.mutable_decline()->mutable_filters()->set_refuse_seconds(launched_ ? 3600 : 1);
      send(decline);
    }
    if (launched_) {
      scheduler::Call suppress;
      suppress.set_type(scheduler::Call::SUPPRESS);
      send(suppress);
    }
  }

  void update(const v1::TaskStatus& status) {
    std::string line = fmt::format("Received status update {} for task '{}'",
                                   v1::TaskState_Name(status.state()), status.task_id().value());
    if (status.has_message() && !status.message().empty()) {
      line += fmt::format("\n  message: '{}'", status.message());
    }
    if (status.has_reason()) {
      line += fmt::format("\n  reason: {}", v1::TaskStatus::Reason_Name(status.reason()));
    }
    if (status.has_source()) {
      line += fmt::format("\n  source: {}", v1::TaskStatus::Source_Name(status.source()));
    }
    fmt::print("{}\n", line);
    std::fflush(stdout);
    bool done = isTerminal(status.state());
    int code = status.state() == v1::TASK_FINISHED ? 0 : 1;
    auto teardown = [this, done, code] {
      if (!done) {
        return;
      }
      scheduler::Call call;
      call.set_type(scheduler::Call::TEARDOWN);
      tearing_down_ = true;
      teardown_code_ = code;
      send(call, [this, code] { finish(code, ""); });
    };
    if (status.has_uuid()) {
      scheduler::Call ack;
      ack.set_type(scheduler::Call::ACKNOWLEDGE);
      *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
      *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
      ack.mutable_acknowledge()->set_uuid(status.uuid());
      send(ack, teardown);
    } else {
      teardown();
    }
  }

  void send(scheduler::Call call, std::function<void()> then = nullptr) {
    call.mutable_framework_id()->set_value(framework_id_);
    http::ClientRequest request{.method = "POST",
                                .path = "/api/v1/scheduler",
                                .headers = {{"content-type", http::kProtobufMediaType},
                                            {"mesos-stream-id", stream_id_}},
                                .body = call.SerializeAsString()};
    client_.fetch(master_, std::move(request), 10s,
                [this, then = std::move(then)](Result<http::Response> r) {
                  if (!r) {
                    fmt::print(stderr, "Call failed: {}\n", r.error().message());
                  } else if (r->status != 202) {
                    fmt::print(stderr, "Call refused: HTTP {}: {}\n", r->status, r->body);
                  }
                  if (then) {
                    then();
                  }
                });
  }

  void finish(int code, const std::string& message) {
    if (finished_) {
      return;
    }
    finished_ = true;
    if (!message.empty()) {
      fmt::print(stderr, "{}\n", message);
    }
    exit_code_ = code;
    if (stream_) {
      stream_->cancel();
    }
    loop_.stop();
  }

  EventLoop& loop_;
  const ExecuteOptions& options_;
  http::Endpoint master_;
  Resources wanted_;
  UuidGenerator uuids_;
  http::Client client_;
  std::shared_ptr<http::StreamingCall> stream_;
  recordio::Decoder decoder_;
  std::string framework_id_;
  std::string stream_id_;
  bool launched_ = false;
  bool finished_ = false;
  bool tearing_down_ = false;
  int teardown_code_ = 1;
  int exit_code_ = 1;
};

}  // namespace

int execute(const ExecuteOptions& options) {
  auto master = http::Endpoint::parse(options.master, 5050);
  if (!master) {
    fmt::print(stderr, "Error: invalid --master: {}\n", master.error().message());
    return 2;
  }
  auto wanted = Resources::parse(options.resources);
  if (!wanted) {
    fmt::print(stderr, "Error: invalid --resources: {}\n", wanted.error().message());
    return 2;
  }
  if (options.name.empty() || options.command.empty()) {
    fmt::print(stderr, "Error: --name and --command are required\n");
    return 2;
  }
  EventLoop loop;
  Execute run(loop, options, *master, *wanted);
  run.start();
  loop.run();
  return run.exitCode();
}

}  // namespace plateau::cli
