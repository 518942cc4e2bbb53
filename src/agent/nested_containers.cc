#include "agent/nested_containers.h"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/nested_io.h"
#include "agent/nested_launch.h"
#include "common/process.h"
#include "common/recordio.h"

namespace plateau::agent {

namespace v1 = mesos::v1;
namespace agent_api = mesos::v1::agent;

namespace {

// How long an exited container's output may keep flowing (from processes it left behind that
// escaped its session) before its streams are closed anyway.
constexpr auto kDrainGrace = std::chrono::seconds(5);

// Mesos's ContainerID text: the ancestors' values first, joined by '.'.
std::string keyOf(const v1::ContainerID& id) {
  return id.has_parent() ? keyOf(id.parent()) + "." + id.value() : id.value();
}

// Mesos's rules for a ContainerID: each value non-empty, at most 255 characters, printable,
// without '/' or '.' (the separator of its text form).
std::optional<std::string> invalidId(const v1::ContainerID& id) {
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
    if (auto bad = invalidId(id.parent())) {
      return "'ContainerID.parent' is invalid: " + *bad;
    }
  }
  return std::nullopt;
}

http::Response badRequest(std::string message) {
  return http::Response::text(400, std::move(message));
}

http::Response notFound(const v1::ContainerID& id) {
  return http::Response::text(404, fmt::format("Container {} cannot be found", keyOf(id)));
}

// What a CommandInfo runs, as Mesos reads it: `sh -c value` for a shell command; else the
// program `value` with `arguments` as its whole argv (argv[0] included; [value] when empty).
void commandOf(const v1::CommandInfo& command, NestedSpec& spec) {
  if (command.shell()) {
    spec.program = "/bin/sh";
    spec.argv = {"sh", "-c", command.value()};
    return;
  }
  spec.program = command.value().empty() ? command.arguments(0) : command.value();
  spec.argv.assign(command.arguments().begin(), command.arguments().end());
  if (spec.argv.empty()) {
    spec.argv.push_back(spec.program);
  }
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

std::string processIo(bool error, std::string data, http::ContentType type) {
  agent_api::ProcessIO io;
  io.set_type(agent_api::ProcessIO::DATA);
  io.mutable_data()->set_type(error ? agent_api::ProcessIO::Data::STDERR
                                    : agent_api::ProcessIO::Data::STDOUT);
  io.mutable_data()->set_data(std::move(data));
  return recordio::encode(http::encode(io, type));
}

// The checks Mesos makes on a launch: the id, a parent, a command, no image of its own.
std::optional<std::string> invalidLaunch(const std::string& field, const v1::ContainerID& id,
                                         const v1::CommandInfo* command,
                                         const v1::ContainerInfo* info) {
  if (auto bad = invalidId(id)) {
    return fmt::format("'{}.container_id' is invalid: {}", field, *bad);
  }
  if (!id.has_parent()) {
    return fmt::format("Expecting '{}.container_id.parent' to be present", field);
  }
  if (command == nullptr || (command->value().empty() && command->arguments_size() == 0)) {
    return fmt::format(
        "Expecting '{}.command' to be present: a nested container runs a command "
        "in its parent's root filesystem",
        field);
  }
  if (info != nullptr && info->has_mesos() && info->mesos().has_image()) {
    return fmt::format(
        "'{}.container' is not supported: nested containers share their parent's "
        "root filesystem and cannot have an image of their own",
        field);
  }
  return std::nullopt;
}

}  // namespace

struct NestedContainers::Container {
  v1::ContainerID id;
  std::string parent;   // the executor's container id
  std::string sandbox;  // its own folder under the parent's sandbox (file output only)
  pid_t pid = 0;
  std::unique_ptr<NestedIo> io;  // none when its output goes to files
  struct Output {
    std::shared_ptr<http::Stream> stream;
    http::ContentType type;
  };
  std::vector<Output> outputs;  // the session's stream first, then attached ones
  bool tty = false;
  bool io_ended = true;
  std::optional<int> status;  // the wait status, once exited
  std::string message;        // why the agent ended it, if it did
  bool finished = false;
  Timers::TimerId drain_timer = 0;
  std::vector<Waiter> waiters;
};

NestedContainers::NestedContainers(Timers& timers, std::shared_ptr<spdlog::logger> log,
                                   FindParent find_parent)
    : timers_(timers),
      log_(std::move(log)),
      find_parent_(std::move(find_parent)),
      alive_(std::make_shared<bool>(true)) {}

NestedContainers::~NestedContainers() {
  for (auto& [key, container] : containers_) {
    if (!container->status) {
      signalTree(container->pid, SIGKILL);
    }
    if (container->drain_timer != 0) {
      timers_.cancel(container->drain_timer);
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
    if (auto bad = invalidLaunch(field, l.container_id(), l.has_command() ? &l.command() : nullptr,
                                 l.has_container() ? &l.container() : nullptr)) {
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
        return responder.respond(badRequest(
            "Standalone containers (a 'launch_container.container_id' without a parent) are not "
            "supported: Plateau runs containers for executors and their nested containers only"));
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

void NestedContainers::launch(const v1::ContainerID& id, const v1::CommandInfo* command,
                              const v1::ContainerInfo* info, bool session,
                              http::StreamAccept accept, http::Responder responder) {
  const std::string key = keyOf(id);
  if (containers_.contains(key)) {
    // Mesos: 202 when the id is in use already (the launch is not repeated).
    return responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
  }
  if (id.parent().has_parent() || containers_.contains(keyOf(id.parent()))) {
    return responder.respond(badRequest(fmt::format(
        "Parent container {} is a nested container: Plateau nests containers one level deep, "
        "under an executor's container",
        keyOf(id.parent()))));
  }
  std::optional<Parent> parent = find_parent_(id.parent().value());
  std::optional<pid_t> target = parent ? joinTarget(parent->pid) : std::nullopt;
  if (!target) {
    return responder.respond(badRequest(
        fmt::format("Parent container {} does not exist (or has terminated)", keyOf(id.parent()))));
  }
  NestedSpec spec;
  spec.target = *target;
  commandOf(*command, spec);
  spec.env = environmentOf(*target, *command);
  bool tty = info->has_tty_info();
  auto owned = std::make_unique<Container>();
  Container& container = *owned;
  container.id = id;
  container.parent = id.parent().value();
  if (tty) {
    spec.stdio = NestedStdio::kTty;
    const auto& size = info->tty_info().window_size();
    if (info->tty_info().has_window_size()) {
      spec.window = {static_cast<uint16_t>(size.rows()), static_cast<uint16_t>(size.columns())};
    }
  } else if (!session) {
    // As Mesos: the container's output goes to files in its own sandbox, under its parent's.
    container.sandbox = parent->sandbox + "/containers/" + id.value();
    std::error_code ec;
    std::filesystem::create_directories(container.sandbox, ec);
    spec.stdio = NestedStdio::kFiles;
    spec.stdout_path = container.sandbox + "/stdout";
    spec.stderr_path = container.sandbox + "/stderr";
  }
  auto started = launchNested(spec);
  if (!started) {
    return responder.respond(badRequest(
        fmt::format("Failed to launch nested container {}: {}", key, started.error().message())));
  }
  container.pid = started->pid;
  pids_[started->pid] = key;
  containers_[key] = std::move(owned);
  log_->info("nested_container_launched container_id={} pid={} session={} tty={}", key,
             started->pid, session, tty);
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
  std::string encoded[2];  // per content type: each record is encoded at most once per type
  for (auto& out : it->second->outputs) {
    std::string& record = encoded[out.type == http::ContentType::kJson ? 0 : 1];
    if (record.empty()) {
      record = processIo(error, data, out.type);
    }
    out.stream->write(record);
  }
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
  container.status = status;
  // What the command left running in its session goes with it, as a container's processes do.
  signalTree(pid, SIGKILL);
  log_->info("nested_container_exited container_id={} status=\"{}\"", key,
             describeWaitStatus(status));
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
  return true;
}

void NestedContainers::maybeFinish(Container& container) {
  if (container.finished || !container.status || !container.io_ended) {
    return;
  }
  container.finished = true;
  if (container.drain_timer != 0) {
    timers_.cancel(container.drain_timer);
    container.drain_timer = 0;
  }
  container.io.reset();
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
  containers_.erase(oldest->second);
  ended_.erase(oldest);
}

void NestedContainers::answerWaiter(Waiter& waiter, const Container& container) {
  agent_api::Response response;
  auto fill = [&](auto* wait) {
    wait->set_exit_status(*container.status);
    if (!container.message.empty()) {
      wait->set_state(v1::TASK_KILLED);
      wait->set_message(container.message);
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
  signalTree(it->second->pid, signal);
  log_->info("nested_container_killed container_id={} signal={}", keyOf(id), signal);
  return http::Response{.status = 200, .headers = {}, .body = {}};
}

http::Response NestedContainers::remove(const v1::ContainerID& id) {
  auto it = containers_.find(keyOf(id));
  if (it == containers_.end()) {
    if (!id.has_parent() || !find_parent_(id.parent().value())) {
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

void NestedContainers::listRunning(agent_api::Response* containers) const {
  auto* list = containers->mutable_get_containers();
  const int parents = list->containers_size();
  for (int i = 0; i < parents; i++) {
    std::string prefix = list->containers(i).container_id().value() + ".";
    for (auto it = containers_.lower_bound(prefix);
         it != containers_.end() && it->first.starts_with(prefix); ++it) {
      if (it->second->status) {
        continue;
      }
      auto* entry = list->add_containers();
      *entry = list->containers(i);
      entry->clear_resource_statistics();  // the parent's: nested ones share its limits
      *entry->mutable_container_id() = it->second->id;
      *entry->mutable_container_status()->mutable_container_id() = it->second->id;
      entry->mutable_container_status()->set_executor_pid(static_cast<uint32_t>(it->second->pid));
    }
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
    std::erase_if(ended_, [&](const auto& e) { return e.second == it->first; });
    it = containers_.erase(it);
  }
}

void NestedContainers::attachInput(const http::Request& request, http::Responder responder,
                                   const Refuse& refuse) {
  std::string message_type = request.header("message-content-type");
  if (message_type.empty()) {
    return responder.respond(
        badRequest("Expecting 'Message-Content-Type' to be set for streaming requests"));
  }
  http::Request as_message = request;
  as_message.headers["content-type"] = message_type;
  auto type = http::bodyType(as_message);
  if (!type) {
    return responder.respond(
        http::Response::text(415, fmt::format("Expecting 'Message-Content-Type' of {} or {}",
                                              http::kJsonMediaType, http::kProtobufMediaType)));
  }
  recordio::Decoder decoder;
  auto records = decoder.decode(request.body);
  if (!records || !decoder.atRecordBoundary()) {
    return responder.respond(badRequest("Failed to decode the RecordIO request body"));
  }
  if (records->empty()) {
    return responder.respond(badRequest("Received EOF while reading request body"));
  }
  std::vector<agent_api::Call> calls(records->size());
  for (size_t i = 0; i < records->size(); i++) {
    if (Status s = http::decode((*records)[i], *type, &calls[i]); !s.isOk()) {
      return responder.respond(
          badRequest(fmt::format("Failed to parse body into Call protobuf: {}", s.message())));
    }
  }
  if (calls[0].type() != agent_api::Call::ATTACH_CONTAINER_INPUT) {
    return responder.respond(http::Response::text(
        415, fmt::format("Streaming 'Content-Type' {} is not supported for {} call",
                         http::kRecordioMediaType, agent_api::Call::Type_Name(calls[0].type()))));
  }
  if (auto refused = refuse ? refuse(calls[0]) : std::nullopt) {
    return responder.respond(std::move(*refused));
  }
  responder.respond(input(calls));
}

http::Response NestedContainers::input(const std::vector<agent_api::Call>& calls) {
  const auto& first = calls[0].attach_container_input();
  if (first.type() != agent_api::Call::AttachContainerInput::CONTAINER_ID ||
      !first.has_container_id()) {
    return badRequest(
        "Expecting 'attach_container_input.type' to be CONTAINER_ID, with 'container_id', in "
        "the first message");
  }
  auto it = containers_.find(keyOf(first.container_id()));
  if (it == containers_.end()) {
    return notFound(first.container_id());
  }
  NestedIo* io = it->second->io.get();
  if (io == nullptr || it->second->status) {
    return badRequest(fmt::format(
        "Container {} takes no input: {}", it->first,
        it->second->status ? "it has terminated" : "it was launched without a session or a TTY"));
  }
  for (size_t i = 1; i < calls.size(); i++) {
    const auto& in = calls[i].attach_container_input();
    if (calls[i].type() != agent_api::Call::ATTACH_CONTAINER_INPUT ||
        in.type() != agent_api::Call::AttachContainerInput::PROCESS_IO) {
      return badRequest(
          "Expecting 'attach_container_input.type' to be PROCESS_IO after the "
          "first message");
    }
    const auto& pio = in.process_io();
    if (pio.type() == agent_api::ProcessIO::DATA) {
      if (pio.data().type() != agent_api::ProcessIO::Data::STDIN) {
        return badRequest("Expecting 'process_io.data.type' to be STDIN");
      }
      io->write(pio.data().data());  // empty: the end of input
    } else if (pio.type() == agent_api::ProcessIO::CONTROL &&
               pio.control().type() == agent_api::ProcessIO::Control::TTY_INFO &&
               pio.control().tty_info().has_window_size()) {
      const auto& size = pio.control().tty_info().window_size();
      io->resize(static_cast<uint16_t>(size.rows()), static_cast<uint16_t>(size.columns()));
    }
  }
  return http::Response{.status = 200, .headers = {}, .body = {}};
}

}  // namespace plateau::agent
