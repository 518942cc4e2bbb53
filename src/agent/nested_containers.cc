#include "agent/nested_containers.h"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/nested_io.h"
#include "agent/nested_launch.h"
#include "agent/nested_state.h"
#include "common/process.h"
#include "common/recordio.h"

namespace plateau::agent {

namespace v1 = mesos::v1;
namespace agent_api = mesos::v1::agent;

// Mesos's rules for a ContainerID: each value non-empty, at most 255 characters, printable,
// without '/' or '.' (the separator of its text form).
std::optional<std::string> invalidContainerId(const v1::ContainerID& id) {
  const std::string& value = id.value();
  if (value.empty()) {
    return "'ContainerID.value' must not be empty";
  }
  if (value.size() > 255) {
    return "'ContainerID.value' must not be longer than 255 characters";
  }
  for (char c : value) {
    if (c == '/' || c == '.' || c == '\\' || !std::isprint(static_cast<unsigned char>(c))) {
      return fmt::format("'ContainerID.value' '{}' contains an invalid character", value);
    }
  }
  if (id.has_parent()) {
    if (auto bad = invalidContainerId(id.parent())) {
      return "'ContainerID.parent' is invalid: " + *bad;
    }
  }
  return std::nullopt;
}

std::pair<std::string, std::vector<std::string>> programOf(const v1::CommandInfo& command) {
  if (command.shell()) {
    return {"/bin/sh", {"sh", "-c", command.value()}};
  }
  std::string program = command.value().empty() ? command.arguments(0) : command.value();
  std::vector<std::string> argv(command.arguments().begin(), command.arguments().end());
  if (argv.empty()) {
    argv.push_back(program);
  }
  return {program, argv};
}

namespace {

// How long an exited container's output may keep flowing (from processes it left behind that
// escaped its session) before its streams are closed anyway.
constexpr auto kDrainGrace = std::chrono::seconds(5);

// Writes `io` to every output stream, encoded at most once per content type.
template <class Outputs>
void writeAll(Outputs& outputs, const agent_api::ProcessIO& io) {
  std::string encoded[2];
  for (auto& out : outputs) {
    std::string& record = encoded[out.type == http::ContentType::kJson ? 0 : 1];
    if (record.empty()) {
      record = recordio::encode(http::encode(io, out.type));
    }
    out.stream->write(record);
  }
}

http::Response badRequest(std::string message) {
  return http::Response::text(400, std::move(message));
}

http::Response notFound(const v1::ContainerID& id) {
  return http::Response::text(404, fmt::format("Container {} cannot be found", keyOf(id)));
}

// The parent's environment, then the command's own variables over it.
std::vector<std::string> environmentOf(pid_t target, const v1::CommandInfo& command) {
  std::vector<std::string> env = processEnvironment(target);
  for (const auto& var : command.environment().variables()) {
    if (var.type() == v1::Environment::Variable::SECRET) {
      continue;
    }
    std::string prefix = var.name() + "=";
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
    env.push_back(prefix + var.value());
  }
  return env;
}

// The checks Mesos makes on a launch: the id, a parent, a command.
std::optional<std::string> invalidLaunch(const std::string& field, const v1::ContainerID& id,
                                         const v1::CommandInfo* command) {
  if (auto bad = invalidContainerId(id)) {
    return fmt::format("'{}.container_id' is invalid: {}", field, *bad);
  }
  if (!id.has_parent()) {
    return fmt::format("Expecting '{}.container_id.parent' to be present", field);
  }
  if (command == nullptr || (command->value().empty() && command->arguments_size() == 0)) {
    return fmt::format("Expecting '{}.command' to be present: a nested container runs a command",
                       field);
  }
  return std::nullopt;
}

}  // namespace

NestedContainers::NestedContainers(Timers& timers, std::shared_ptr<spdlog::logger> log,
                                   FindParent find_parent, std::chrono::nanoseconds heartbeat)
    : timers_(timers),
      log_(std::move(log)),
      find_parent_(std::move(find_parent)),
      heartbeat_(heartbeat),
      alive_(std::make_shared<bool>(true)) {}

NestedContainers::~NestedContainers() {
  if (recovered_timer_ != 0) {
    timers_.cancel(recovered_timer_);
  }
  for (auto& [key, container] : containers_) {
    bool outlives = container->standalone ? standalone_.outlive_agent : container->outlives_agent;
    if (!container->status && !outlives) {
      signalTree(container->pid, SIGKILL);
    }
    for (auto timer : {container->drain_timer, container->heartbeat_timer}) {
      if (timer != 0) {
        timers_.cancel(timer);
      }
    }
  }
}

bool NestedContainers::streams(int type) {
  return type == agent_api::Call::LAUNCH_NESTED_CONTAINER_SESSION ||
         type == agent_api::Call::ATTACH_CONTAINER_OUTPUT;
}

bool NestedContainers::handles(int type) {
  switch (type) {
    case agent_api::Call::LAUNCH_NESTED_CONTAINER:
    case agent_api::Call::WAIT_NESTED_CONTAINER:
    case agent_api::Call::KILL_NESTED_CONTAINER:
    case agent_api::Call::REMOVE_NESTED_CONTAINER:
    case agent_api::Call::LAUNCH_NESTED_CONTAINER_SESSION:
    case agent_api::Call::ATTACH_CONTAINER_OUTPUT:
    case agent_api::Call::LAUNCH_CONTAINER:
    case agent_api::Call::WAIT_CONTAINER:
    case agent_api::Call::KILL_CONTAINER:
    case agent_api::Call::REMOVE_CONTAINER:
      return true;
    default:
      return false;
  }
}

void NestedContainers::call(const agent_api::Call& call, http::StreamAccept accept,
                            http::Responder responder) {
  auto missing = [&](const char* field) {
    responder.respond(badRequest(fmt::format("Expecting '{}' to be present", field)));
  };
  // Every launch message has container_id, command and container.
  auto launchFrom = [&](const auto& l, const char* field, bool session) {
    if (auto bad =
            invalidLaunch(field, l.container_id(), l.has_command() ? &l.command() : nullptr)) {
      return responder.respond(badRequest(*bad));
    }
    launch(l.container_id(), &l.command(), &l.container(), session, accept, std::move(responder));
  };
  switch (call.type()) {
    case agent_api::Call::LAUNCH_NESTED_CONTAINER:
      if (!call.has_launch_nested_container()) {
        return missing("launch_nested_container");
      }
      return launchFrom(call.launch_nested_container(), "launch_nested_container", false);
    case agent_api::Call::LAUNCH_NESTED_CONTAINER_SESSION:
      if (!call.has_launch_nested_container_session()) {
        return missing("launch_nested_container_session");
      }
      return launchFrom(call.launch_nested_container_session(), "launch_nested_container_session",
                        true);
    case agent_api::Call::LAUNCH_CONTAINER:
      if (!call.has_launch_container()) {
        return missing("launch_container");
      }
      if (!call.launch_container().container_id().has_parent()) {
        return launchStandalone(call, std::move(responder));
      }
      if (call.launch_container().container_id().parent().has_parent() &&
          call.launch_container().resources_size() > 0) {
        return responder.respond(
            badRequest("'launch_container' is invalid: containers nested at the second level or "
                       "greater cannot specify resources"));
      }
      return launchFrom(call.launch_container(), "launch_container", false);
    default:
      return control(call, accept, std::move(responder));
  }
}

void NestedContainers::control(const agent_api::Call& call, http::StreamAccept accept,
                               http::Responder responder) {
  auto missing = [&](const char* field) {
    responder.respond(badRequest(fmt::format("Expecting '{}' to be present", field)));
  };
  switch (call.type()) {
    case agent_api::Call::WAIT_NESTED_CONTAINER:
      if (!call.has_wait_nested_container()) {
        return missing("wait_nested_container");
      }
      return wait(call.wait_nested_container().container_id(), true, accept.message,
                  std::move(responder));
    case agent_api::Call::WAIT_CONTAINER:
      if (!call.has_wait_container()) {
        return missing("wait_container");
      }
      return wait(call.wait_container().container_id(), false, accept.message,
                  std::move(responder));
    case agent_api::Call::KILL_NESTED_CONTAINER:
      if (!call.has_kill_nested_container()) {
        return missing("kill_nested_container");
      }
      return responder.respond(kill(call.kill_nested_container().container_id(),
                                    call.kill_nested_container().has_signal()
                                        ? call.kill_nested_container().signal()
                                        : SIGKILL));
    case agent_api::Call::KILL_CONTAINER:
      if (!call.has_kill_container()) {
        return missing("kill_container");
      }
      return responder.respond(
          kill(call.kill_container().container_id(),
               call.kill_container().has_signal() ? call.kill_container().signal() : SIGKILL));
    case agent_api::Call::REMOVE_NESTED_CONTAINER:
      if (!call.has_remove_nested_container()) {
        return missing("remove_nested_container");
      }
      return responder.respond(remove(call.remove_nested_container().container_id()));
    case agent_api::Call::REMOVE_CONTAINER:
      if (!call.has_remove_container()) {
        return missing("remove_container");
      }
      return responder.respond(remove(call.remove_container().container_id()));
    case agent_api::Call::ATTACH_CONTAINER_OUTPUT:
      if (!call.has_attach_container_output()) {
        return missing("attach_container_output");
      }
      return attachOutput(call.attach_container_output().container_id(), accept,
                          std::move(responder));
    default:
      return responder.respond(
          http::Response::text(501, fmt::format("Agent call '{}' is not implemented yet",
                                                agent_api::Call::Type_Name(call.type()))));
  }
}

std::optional<NestedContainers::Parent> NestedContainers::parentOf(const v1::ContainerID& id) {
  auto it = containers_.find(keyOf(id));
  if (it == containers_.end()) {
    return id.has_parent() ? std::nullopt : find_parent_(id.value());
  }
  if (it->second->status) {
    return std::nullopt;
  }
  if (it->second->standalone) {
    return Parent{it->second->pid, it->second->sandbox};
  }
  std::optional<Parent> above = parentOf(id.parent());
  if (!above) {
    return std::nullopt;
  }
  // Mesos's layout: a nested container's sandbox is containers/<id> in its parent's.
  return Parent{it->second->pid, above->sandbox + "/containers/" + id.value()};
}

void NestedContainers::killNestedUnder(const std::string& key) {
  std::string prefix = key + ".";
  for (auto it = containers_.lower_bound(prefix);
       it != containers_.end() && it->first.starts_with(prefix); ++it) {
    if (!it->second->status) {
      if (it->second->message.empty()) {
        it->second->message = "Its parent container ended";
      }
      signalTree(it->second->pid, SIGKILL);
    }
  }
}

void NestedContainers::launch(const v1::ContainerID& id, const v1::CommandInfo* command,
                              const v1::ContainerInfo* info, bool session,
                              http::StreamAccept accept, http::Responder responder) {
  const std::string key = keyOf(id);
  if (containers_.contains(key) || launching_.contains(key)) {
    // Mesos: 202 when the id is in use already (the launch is not repeated).
    return responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
  }
  std::optional<Parent> parent = parentOf(id.parent());
  std::optional<pid_t> target = parent ? joinTarget(parent->pid) : std::nullopt;
  if (!target) {
    return responder.respond(badRequest(
        fmt::format("Parent container {} does not exist (or has terminated)", keyOf(id.parent()))));
  }
  if (info->has_mesos() && info->mesos().has_image()) {
    return launchInImage(id, *command, *info, session, accept, std::move(responder));
  }
  start(id, *command, *info, *parent, *target, session, nullptr, accept, std::move(responder));
}

void NestedContainers::start(const v1::ContainerID& id, const v1::CommandInfo& command,
                             const v1::ContainerInfo& info, const Parent& parent, pid_t target,
                             bool session, const ImageCommand* image, http::StreamAccept accept,
                             http::Responder responder) {
  const std::string key = keyOf(id);
  NestedSpec spec;
  spec.target = target;
  if (image != nullptr) {
    spec.program = image->program;
    spec.argv = image->argv;
    spec.env = image->env;
    spec.join_mount = false;  // the program enters the image's root filesystem itself
  } else {
    std::tie(spec.program, spec.argv) = programOf(command);
    spec.env = environmentOf(target, command);
  }
  bool tty = info.has_tty_info();
  auto owned = std::make_unique<Container>();
  Container& container = *owned;
  container.id = id;
  container.parent = rootOf(id).value();
  container.image = image != nullptr;
  // As Mesos: the container has its own sandbox under its parent's (its output goes to files
  // there unless it streams it).
  container.sandbox = parent.sandbox + "/containers/" + id.value();
  std::error_code ec;
  std::filesystem::create_directories(container.sandbox, ec);
  if (tty) {
    spec.stdio = NestedStdio::kTty;
    const auto& size = info.tty_info().window_size();
    if (info.tty_info().has_window_size()) {
      spec.window = {static_cast<uint16_t>(size.rows()), static_cast<uint16_t>(size.columns())};
    }
  } else if (!session) {
    spec.stdio = NestedStdio::kFiles;
    spec.stdout_path = container.sandbox + "/stdout";
    spec.stderr_path = container.sandbox + "/stderr";
  }
  Fd status_fd;
  spec.relay_dir = checkpoint_ ? container.sandbox : std::string();
  Status prepared = checkpoint_ ? prepareCheckpoint(key, spec, &status_fd) : Status();
  auto started =
      prepared.isOk() ? launchNested(spec) : Result<NestedProcess>(std::unexpected(prepared));
  status_fd.reset();
  if (!started) {
    forgetCheckpoint(key, container);
    if (container.image && images_.release) {
      images_.release(key);
    }
    return responder.respond(badRequest(
        fmt::format("Failed to launch nested container {}: {}", key, started.error().message())));
  }
  container.pid = started->pid;
  pids_[started->pid] = key;
  checkpointLaunched(container, spec);
  containers_[key] = std::move(owned);
  log_->info("nested_container_launched container_id={} pid={} session={} tty={} image={}", key,
             started->pid, session, tty, image != nullptr);
  if (spec.stdio == NestedStdio::kFiles) {
    return responder.respond(http::Response{.status = 200, .headers = {}, .body = {}});
  }
  startIo(container, *started, tty, session ? &responder : nullptr, accept.message);
  if (!session) {
    responder.respond(http::Response{.status = 200, .headers = {}, .body = {}});
  }
}

void NestedContainers::startIo(Container& container, NestedProcess& process, bool tty,
                               http::Responder* session, http::ContentType accept) {
  const std::string key = keyOf(container.id);
  container.tty = tty;
  container.io_ended = false;
  std::weak_ptr<bool> alive = alive_;
  auto post = [this, alive](std::function<void()> fn) {
    timers_.post([alive, fn = std::move(fn)] {
      if (alive.lock()) {
        fn();
      }
    });
  };
  container.io = std::make_unique<NestedIo>(
      std::move(process.output), std::move(process.error), std::move(process.input), tty, post,
      [this, key](bool error, std::string data) { output(key, error, std::move(data)); },
      [this, key] { ioEnded(key); });
  container.heartbeat_timer = timers_.every(heartbeat_, [this, key] { heartbeat(key); });
  if (session == nullptr) {
    return;
  }
  auto stream = session->stream(200, {{"content-type", http::mediaType(accept)}});
  container.outputs.push_back({stream, accept});
  // The connection going first ends the container, as Mesos ties a session to its connection.
  stream->onClosed([this, key, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.lock()) {
      return;
    }
    auto it = containers_.find(key);
    if (it != containers_.end() && !it->second->status) {
      it->second->message = "The session's connection closed";
      signalTree(it->second->pid, SIGKILL);
    }
  });
}

void NestedContainers::output(const std::string& key, bool error, std::string data) {
  auto it = containers_.find(key);
  if (it == containers_.end()) {
    return;
  }
  agent_api::ProcessIO io;
  io.set_type(agent_api::ProcessIO::DATA);
  io.mutable_data()->set_type(error ? agent_api::ProcessIO::Data::STDERR
                                    : agent_api::ProcessIO::Data::STDOUT);
  io.mutable_data()->set_data(std::move(data));
  writeAll(it->second->outputs, io);
}

// As Mesos's I/O switchboard: a CONTROL HEARTBEAT naming the interval, to every output stream.
void NestedContainers::heartbeat(const std::string& key) {
  auto it = containers_.find(key);
  if (it == containers_.end() || it->second->outputs.empty()) {
    return;
  }
  agent_api::ProcessIO io;
  io.set_type(agent_api::ProcessIO::CONTROL);
  io.mutable_control()->set_type(agent_api::ProcessIO::Control::HEARTBEAT);
  io.mutable_control()->mutable_heartbeat()->mutable_interval()->set_nanoseconds(
      heartbeat_.count());
  writeAll(it->second->outputs, io);
}

void NestedContainers::ioEnded(const std::string& key) {
  auto it = containers_.find(key);
  if (it != containers_.end()) {
    it->second->io_ended = true;
    maybeFinish(*it->second);
  }
}

bool NestedContainers::childExited(pid_t pid, int status) {
  auto found = pids_.find(pid);
  if (found == pids_.end()) {
    return false;
  }
  std::string key = found->second;
  pids_.erase(found);
  auto it = containers_.find(key);
  if (it == containers_.end() || it->second->pid != pid) {
    return true;  // forgotten with its parent
  }
  Container& container = *it->second;
  // Its first process (or relay) recorded the command's own status: as the init of a pid
  // namespace it cannot end by the command's signal itself.
  if (auto recorded = recordedStatus(key, container)) {
    status = *recorded;
  }
  exited(container, status);
  return true;
}

void NestedContainers::exited(Container& container, std::optional<int> status) {
  const std::string key = keyOf(container.id);
  container.status = status.value_or(0);
  container.status_unknown = !status;
  // What the command left running in its session goes with it, as a container's processes do,
  // and so do the containers nested under it.
  signalTree(container.pid, SIGKILL);
  killNestedUnder(key);
  if (container.standalone && standalone_.destroy) {
    standalone_.destroy(key);
  }
  if (container.image && images_.release) {
    images_.release(key);  // its root filesystem goes
  }
  log_->info("nested_container_exited container_id={} status=\"{}\"", key,
             status ? describeWaitStatus(*status) : "unknown");
  if (!container.io_ended) {
    container.drain_timer = timers_.after(kDrainGrace, [this, key] {
      auto it = containers_.find(key);
      if (it != containers_.end()) {
        it->second->drain_timer = 0;
        it->second->io_ended = true;
        maybeFinish(*it->second);
      }
    });
  }
  maybeFinish(container);
}

void NestedContainers::maybeFinish(Container& container) {
  if (container.finished || !container.status || !container.io_ended) {
    return;
  }
  container.finished = true;
  for (auto* timer : {&container.drain_timer, &container.heartbeat_timer}) {
    if (*timer != 0) {
      timers_.cancel(*timer);
      *timer = 0;
    }
  }
  container.io.reset();
  if (auto input = std::move(container.input)) {
    // As Mesos: the input connection is answered once the container's I/O has ended.
    answerInput(*input, http::Response{.status = 200, .headers = {}, .body = {}});
  }
  auto outputs = std::move(container.outputs);
  for (auto& out : outputs) {
    out.stream->close();
  }
  auto waiters = std::move(container.waiters);
  for (auto& waiter : waiters) {
    answerWaiter(waiter, container);
  }
  ended_[ends_++] = keyOf(container.id);
  while (ended_.size() > kMaxEnded) {
    forgetOldest();
  }
}

void NestedContainers::forgetOldest() {
  auto oldest = ended_.begin();
  auto it = containers_.find(oldest->second);
  if (it != containers_.end()) {
    forgetCheckpoint(it->first, *it->second);
  }
  containers_.erase(oldest->second);
  ended_.erase(oldest);
}

void NestedContainers::answerWaiter(Waiter& waiter, const Container& container) {
  agent_api::Response response;
  auto fill = [&](auto* wait) {
    if (!container.message.empty()) {
      wait->set_message(container.message);
    }
    if (container.status_unknown) {
      return;  // as Mesos: no exit_status when it is not known
    }
    wait->set_exit_status(*container.status);
    if (!container.message.empty()) {
      wait->set_state(v1::TASK_KILLED);  // the agent ended it
    }
  };
  if (waiter.nested_call) {
    response.set_type(agent_api::Response::WAIT_NESTED_CONTAINER);
    fill(response.mutable_wait_nested_container());
  } else {
    response.set_type(agent_api::Response::WAIT_CONTAINER);
    fill(response.mutable_wait_container());
  }
  waiter.responder.respond(http::messageResponse(response, waiter.accept));
}

void NestedContainers::wait(const v1::ContainerID& id, bool nested_call, http::ContentType accept,
                            http::Responder responder) {
  auto it = containers_.find(keyOf(id));
  if (it == containers_.end()) {
    return responder.respond(notFound(id));
  }
  Waiter waiter{std::move(responder), accept, nested_call};
  if (it->second->finished) {
    return answerWaiter(waiter, *it->second);
  }
  it->second->waiters.push_back(std::move(waiter));
}

http::Response NestedContainers::kill(const v1::ContainerID& id, int signal) {
  auto it = containers_.find(keyOf(id));
  if (it == containers_.end() || it->second->status) {
    return http::Response::text(
        404, fmt::format("Container {} cannot be found (or is already killed)", keyOf(id)));
  }
  if (signal <= 0 || signal >= NSIG) {
    return badRequest(fmt::format("'signal' {} is not a signal number", signal));
  }
  it->second->message = fmt::format("Killed by the operator API (signal {})", signal);
  it->second->kill_signal = signal;
  signalTree(it->second->pid, signal);
  log_->info("nested_container_killed container_id={} signal={}", keyOf(id), signal);
  return http::Response{.status = 200, .headers = {}, .body = {}};
}

http::Response NestedContainers::remove(const v1::ContainerID& id) {
  auto it = containers_.find(keyOf(id));
  if (it == containers_.end()) {
    if (!id.has_parent() || !parentOf(id.parent())) {
      return http::Response{.status = 200, .headers = {}, .body = {}};  // as Mesos: parent gone
    }
    return http::Response::text(500, fmt::format("Container {} does not exist", keyOf(id)));
  }
  if (!it->second->finished) {
    return http::Response::text(500, fmt::format("Container {} is still running", keyOf(id)));
  }
  if (!it->second->sandbox.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(it->second->sandbox, ec);
  }
  forgetCheckpoint(it->first, *it->second);
  std::erase_if(ended_, [&](const auto& e) { return e.second == it->first; });
  containers_.erase(it);
  return http::Response{.status = 200, .headers = {}, .body = {}};
}

void NestedContainers::attachOutput(const v1::ContainerID& id, http::StreamAccept accept,
                                    http::Responder responder) {
  auto it = containers_.find(keyOf(id));
  if (it == containers_.end()) {
    return responder.respond(notFound(id));
  }
  Container& container = *it->second;
  if (!container.io) {
    return responder.respond(badRequest(fmt::format(
        "Container {} has no output to attach to: {}", keyOf(id),
        container.finished ? "it has terminated"
                           : "it was launched without a session or a TTY, its output goes to "
                             "its sandbox's stdout and stderr files")));
  }
  auto stream = responder.stream(200, {{"content-type", http::mediaType(accept.message)}});
  container.outputs.push_back({stream, accept.message});
  std::string key = it->first;
  stream->onClosed([this, key, stream = std::weak_ptr<http::Stream>(stream),
                    alive = std::weak_ptr<bool>(alive_)] {
    auto it = alive.lock() ? containers_.find(key) : containers_.end();
    if (it != containers_.end()) {
      std::erase_if(it->second->outputs,
                    [&](const auto& out) { return out.stream == stream.lock(); });
    }
  });
}

void NestedContainers::list(agent_api::Response* containers, bool nested, bool standalone) const {
  auto* list = containers->mutable_get_containers();
  std::map<std::string, int> executors;  // the executors' containers listed: id -> index
  for (int i = 0; i < list->containers_size(); i++) {
    executors[list->containers(i).container_id().value()] = i;
  }
  for (const auto& [key, container] : containers_) {
    if (container->status || (container->id.has_parent() && !nested)) {
      continue;
    }
    const std::string& root = rootOf(container->id).value();
    auto top = containers_.find(root);
    bool standalone_tree = top != containers_.end() && top->second->standalone;
    auto executor = executors.find(root);
    if (standalone_tree ? !standalone : executor == executors.end()) {
      continue;  // not asked for, or under an executor the caller may not see
    }
    auto* entry = list->add_containers();
    if (!standalone_tree) {
      // As Mesos: a nested container names the framework and executor of its root container.
      const auto& parent = list->containers(executor->second);
      *entry->mutable_framework_id() = parent.framework_id();
      *entry->mutable_executor_id() = parent.executor_id();
      entry->set_executor_name(parent.executor_name());
    }
    *entry->mutable_container_id() = container->id;
    *entry->mutable_container_status()->mutable_container_id() = container->id;
    entry->mutable_container_status()->set_executor_pid(static_cast<uint32_t>(container->pid));
  }
}

void NestedContainers::parentEnded(const std::string& container_id) {
  std::string prefix = container_id + ".";
  for (auto it = containers_.lower_bound(prefix);
       it != containers_.end() && it->first.starts_with(prefix);) {
    Container& container = *it->second;
    if (!container.status) {
      signalTree(container.pid, SIGKILL);  // reaped later: childExited() finds no container
      container.status = SIGKILL;          // a wait status: killed by SIGKILL
      container.message = "Its parent container ended";
    }
    container.io_ended = true;
    maybeFinish(container);
    forgetCheckpoint(it->first, container);
    std::erase_if(ended_, [&](const auto& e) { return e.second == it->first; });
    it = containers_.erase(it);
  }
}

}  // namespace plateau::agent
