#include "cli/execute.h"
#include "cli/credentials.h"
#include "cli/spinner.h"
#include "common/task_state.h"
#include "runtime/clock.h"

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <plateau/scheduler_client.h>

#include "common/resources.h"
#include "common/resources_proto.h"

namespace plateau::cli {

namespace v1 = mesos::v1;
namespace scheduler = mesos::v1::scheduler;
using namespace std::chrono_literals;

namespace {

constexpr auto kSubscribeTimeout = 15s;

// One task through the v1 scheduler library. Event handlers run on the library's callback
// thread; execute() waits for the exit code.
class Execute {
 public:
  Execute(const ExecuteOptions& options, Resources wanted)
      : options_(options), wanted_(std::move(wanted)) {}

  void attach(client::SchedulerClient* client) { client_ = client; }

  void handle(const scheduler::Event& event) {
    switch (event.type()) {
      case scheduler::Event::SUBSCRIBED:
        fmt::print("Subscribed with ID {}\n", event.subscribed().framework_id().value());
        std::fflush(stdout);
        markSubscribed();
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

  void finish(int code, const std::string& message) {
    std::lock_guard lock(mutex_);
    if (exit_code_) {
      return;
    }
    if (!message.empty()) {
      fmt::print(stderr, "{}\n", message);
    }
    exit_code_ = code;
    changed_.notify_all();
  }

  // The exit code once the task ended, or 1 if the master never answered in time.
  int wait() {
    std::unique_lock lock(mutex_);
    Spinner spinner(fmt::format("connecting to the master at {}", options_.master));
    auto deadline = systemClock().now() + kSubscribeTimeout;
    while (!changed_.wait_for(lock, 100ms, [this] { return subscribed_ || exit_code_; })) {
      if (systemClock().now() > deadline) {
        spinner.clear();
        fmt::print(stderr,
                   "Error: cannot reach the master at {}: is plateau-master running there? "
                   "Pass --master=HOST:PORT\n",
                   options_.master);
        return 1;
      }
      spinner.tick();
    }
    spinner.setMessage(fmt::format("waiting for task '{}' to finish", options_.name));
    while (!changed_.wait_for(lock, 100ms, [this] { return exit_code_.has_value(); })) {
      spinner.tick();
    }
    return *exit_code_;
  }

 private:
  void markSubscribed() {
    std::lock_guard lock(mutex_);
    subscribed_ = true;
    changed_.notify_all();
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
      if (!options_.docker_image.empty()) {
        auto* container = task->mutable_container();
        container->set_type(v1::ContainerInfo::MESOS);
        auto* image = container->mutable_mesos()->mutable_image();
        image->set_type(v1::Image::DOCKER);
        image->mutable_docker()->set_name(options_.docker_image);
      }
      fmt::print("Submitted task '{}' to agent {}\n", options_.name, offer.agent_id().value());
      std::fflush(stdout);
      client_->send(accept);
    }
    if (decline.decline().offer_ids_size() > 0) {
      decline.mutable_decline()->mutable_filters()->set_refuse_seconds(launched_ ? 3600 : 1);
      client_->send(decline);
    }
    if (launched_) {
      scheduler::Call suppress;
      suppress.set_type(scheduler::Call::SUPPRESS);
      client_->send(suppress);
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
    if (status.has_uuid()) {
      scheduler::Call ack;
      ack.set_type(scheduler::Call::ACKNOWLEDGE);
      *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
      *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
      ack.mutable_acknowledge()->set_uuid(status.uuid());
      client_->send(ack);
    }
    if (isTerminal(status.state())) {
      finish(status.state() == v1::TASK_FINISHED ? 0 : 1, "");
    }
  }

  const ExecuteOptions& options_;
  Resources wanted_;
  client::SchedulerClient* client_ = nullptr;
  bool launched_ = false;  // callback thread only

  std::mutex mutex_;
  std::condition_variable changed_;
  bool subscribed_ = false;
  std::optional<int> exit_code_;
};

}  // namespace

int execute(const ExecuteOptions& options) {
  auto wanted = Resources::parse(options.resources);
  if (!wanted) {
    fmt::print(stderr, "Error: invalid --resources: {}\n", wanted.error().message());
    return 2;
  }
  if (options.name.empty() || options.command.empty()) {
    fmt::print(stderr, "Error: --name and --command are required\n");
    return 2;
  }
  client::SchedulerOptions scheduler_options{.master = options.master};
  auto credentials = currentCredentials();
  if (!credentials) {
    fmt::print(stderr, "Error: {}\n", credentials.error().message());
    return 2;
  }
  scheduler_options.principal = credentials->principal;
  scheduler_options.secret = credentials->secret;
  auto* info = &scheduler_options.framework;
  const char* user = std::getenv("USER");
  info->set_user(!options.user.empty() ? options.user : user != nullptr ? user : "root");
  info->set_name(options.framework_name);
  info->set_role(options.role);
  if (wanted->scalar("gpus") > 0) {
    // Like mesos-execute --framework_capabilities=GPU_RESOURCES: GPU agents offer only to these.
    info->add_capabilities()->set_type(mesos::v1::FrameworkInfo::Capability::GPU_RESOURCES);
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  info->set_hostname(host);

  Execute run(options, *wanted);
  auto client = client::SchedulerClient::create(
      std::move(scheduler_options),
      {.connected = nullptr,
       .disconnected =
           [&run](const std::string& why) {
             run.finish(1, fmt::format("Lost the connection to the master: {}", why));
           },
       .received = [&run](const scheduler::Event& event) { run.handle(event); }});
  if (!client) {
    fmt::print(stderr, "Error: invalid --master: {}\n", client.error());
    return 2;
  }
  run.attach(client->get());
  int code = run.wait();
  // TEARDOWN after the acknowledgements already queued; the destructor waits for them.
  (*client)->stop(true);
  client->reset();
  return code;
}

}  // namespace plateau::cli
