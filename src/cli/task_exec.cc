#include "cli/task_exec.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <optional>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <mesos/v1/agent/agent.pb.h>

#include "cli/credentials.h"
#include "cli/ops.h"
#include "cli/tls_options.h"
#include "common/json_codec.h"
#include "common/recordio.h"
#include "common/uuid.h"
#include "http/client.h"
#include "http/content.h"
#include "http/stream_accept.h"
#include "http/upload.h"

namespace plateau::cli {

namespace {

using namespace std::chrono_literals;
namespace v1 = mesos::v1;
namespace agent_api = mesos::v1::agent;

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return 1;
}

std::string authorization() {
  auto credentials = currentCredentials();
  return credentials ? credentials->authorization() : std::string();
}

http::ClientRequest agentCall(const agent_api::Call& call, bool stream) {
  http::ClientRequest request{.method = "POST", .path = "/api/v1", .headers = {}, .body = {}};
  request.headers["content-type"] = http::kJsonMediaType;
  request.headers["accept"] = stream ? http::kRecordioMediaType : http::kJsonMediaType;
  if (stream) {
    request.headers["message-accept"] = http::kJsonMediaType;
  }
  if (std::string auth = authorization(); !auth.empty()) {
    request.headers["authorization"] = auth;
  }
  request.body = toJson(call);
  return request;
}

// One non-streaming agent call; the decoded response or a message for the user.
Result<agent_api::Response> callAgent(const http::Endpoint& agent, const agent_api::Call& call,
                                      std::chrono::milliseconds timeout = 10s) {
  auto r = http::fetchSync(agent, agentCall(call, false), timeout);
  if (!r) {
    return unavailable(connectionFailure("the agent", agent.toString(), r.error().message()));
  }
  if (r->status != 200) {
    return unavailable(fmt::format("agent {} answered {} to {}: {}", agent.toString(), r->status,
                                   agent_api::Call::Type_Name(call.type()), r->body));
  }
  agent_api::Response response;
  if (!r->body.empty()) {
    if (Status s = fromJson(r->body, &response); !s.isOk()) {
      return unavailable(fmt::format("agent {} answered an undecodable response: {}",
                                     agent.toString(), s.message()));
    }
  }
  return response;
}

// The container the task's executor runs in, as its agent reports it.
Result<v1::ContainerID> taskContainer(const TaskPlace& place) {
  agent_api::Call call;
  call.set_type(agent_api::Call::GET_CONTAINERS);
  auto r = callAgent(place.agent, call);
  if (!r) {
    return std::unexpected(r.error());
  }
  for (const auto& c : r->get_containers().containers()) {
    if (c.framework_id().value() == place.task["framework_id"].asString() &&
        c.executor_id().value() == place.executor_id) {
      return c.container_id();
    }
  }
  return notFound(fmt::format("agent {} runs no container for task '{}' (executor '{}')",
                              place.agent.toString(), place.task["id"].asString(),
                              place.executor_id));
}

// Puts this terminal in raw mode while it lives (a remote pty does the line editing).
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      struct termios raw = saved_;
      ::cfmakeraw(&raw);
      active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
  }
  ~RawTerminal() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
  }

 private:
  struct termios saved_ {};
  bool active_ = false;
};

// One ATTACH_CONTAINER_INPUT call for the whole session, as Mesos's CLI makes it: a chunked
// request whose first record names the container and whose next ones carry stdin as it is read;
// an empty DATA record ends the input, and the agent answers once the body has ended.
class InputPump {
 public:
  InputPump(http::Endpoint agent, v1::ContainerID id)
      : agent_(std::move(agent)), id_(std::move(id)) {}
  bool open() const { return open_; }
  // Reads what is ready on stdin within `wait` and sends it. False when the agent refused it.
  bool pump(std::chrono::milliseconds wait) {
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    if (!open_ || ::poll(&fd, 1, static_cast<int>(wait.count())) <= 0) {
      return true;
    }
    char buffer[4096];
    ssize_t n = ::read(STDIN_FILENO, buffer, sizeof(buffer));
    return send(n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string());
  }

 private:
  static std::string record(const agent_api::Call& call) { return recordio::encode(toJson(call)); }

  Status connect() {
    http::ClientRequest request{.method = "POST", .path = "/api/v1", .headers = {}, .body = {}};
    request.headers["content-type"] = http::kRecordioMediaType;
    request.headers["message-content-type"] = http::kJsonMediaType;
    request.headers["accept"] = http::kJsonMediaType;
    if (std::string auth = authorization(); !auth.empty()) {
      request.headers["authorization"] = auth;
    }
    auto upload = http::BlockingUpload::open(agent_, std::move(request), 10s);
    if (!upload) {
      return upload.error();
    }
    upload_ = std::move(*upload);
    agent_api::Call first;
    first.set_type(agent_api::Call::ATTACH_CONTAINER_INPUT);
    first.mutable_attach_container_input()->set_type(
        agent_api::Call::AttachContainerInput::CONTAINER_ID);
    *first.mutable_attach_container_input()->mutable_container_id() = id_;
    return upload_->write(record(first), 10s);
  }

  // Sends `data` ("": the end of input). A refusal ends the input; only an error answer fails.
  bool send(const std::string& data) {
    if (!upload_ && !connect().isOk()) {
      return upload_ != nullptr && refused();  // not even connected: the input is lost
    }
    agent_api::Call io;
    io.set_type(agent_api::Call::ATTACH_CONTAINER_INPUT);
    auto* in = io.mutable_attach_container_input();
    in->set_type(agent_api::Call::AttachContainerInput::PROCESS_IO);
    in->mutable_process_io()->set_type(agent_api::ProcessIO::DATA);
    in->mutable_process_io()->mutable_data()->set_type(agent_api::ProcessIO::Data::STDIN);
    in->mutable_process_io()->mutable_data()->set_data(data);
    if (!upload_->write(record(io), 10s).isOk()) {
      return refused();
    }
    if (data.empty()) {
      open_ = false;
      auto answer = upload_->finish(10s);
      if (answer && answer->status != 200) {
        fmt::print(stderr, "The agent refused the input: {} {}\n", answer->status, answer->body);
        return false;
      }
    }
    return true;
  }

  // The upload stopped. The command's exit status tells the rest; only an error answer (a
  // refusal with a reason) fails the call.
  bool refused() {
    open_ = false;
    auto answer = upload_->answer();
    if (answer && *answer && (*answer)->status != 200) {
      fmt::print(stderr, "The agent refused the input: {} {}\n", (*answer)->status,
                 (*answer)->body);
      return false;
    }
    return true;
  }

  http::Endpoint agent_;
  v1::ContainerID id_;
  std::unique_ptr<http::BlockingUpload> upload_;
  bool open_ = true;
};

// Prints the ProcessIO records of `stream` until it ends, feeding `input` meanwhile.
Status follow(http::BlockingStream& stream, InputPump* input) {
  recordio::Decoder decoder;
  while (!stream.ended()) {
    if (input != nullptr && input->open() && !input->pump(20ms)) {
      return {StatusCode::kUnavailable, "the agent refused the input"};
    }
    auto data = stream.read(input != nullptr && input->open() ? 30ms : 500ms);
    if (!data) {
      continue;  // nothing yet, or the end (ended() says which)
    }
    auto records = decoder.decode(*data);
    if (!records) {
      return records.error();
    }
    for (const auto& record : *records) {
      agent_api::ProcessIO io;
      if (Status s = fromJson(record, &io); !s.isOk()) {
        return s;
      }
      if (io.type() == agent_api::ProcessIO::DATA) {
        FILE* out = io.data().type() == agent_api::ProcessIO::Data::STDERR ? stderr : stdout;
        std::fwrite(io.data().data().data(), 1, io.data().data().size(), out);
        std::fflush(out);
      }
    }
  }
  return {};
}

// The exit code of a wait(2) status, as a shell reports it.
int exitCode(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

// Streams `call`'s output, then asks for the container's exit status.
int streamAndWait(const http::Endpoint& agent, const agent_api::Call& call,
                  const v1::ContainerID& id, bool tty, bool interactive) {
  auto stream = http::BlockingStream::open(agent, agentCall(call, true), 10s);
  if (!stream) {
    return fail(connectionFailure("the agent", agent.toString(), stream.error().message()));
  }
  if ((*stream)->head().status != 200) {
    std::string body;
    while (auto more = (*stream)->read(1s)) {
      body += *more;
    }
    return fail(
        fmt::format("agent {} answered {}: {}", agent.toString(), (*stream)->head().status, body));
  }
  std::optional<RawTerminal> raw;
  if (tty && interactive) {
    raw.emplace();
  }
  InputPump input(agent, id);
  Status followed = follow(**stream, interactive ? &input : nullptr);
  raw.reset();
  if (!followed.isOk()) {
    return fail(followed.message());
  }
  agent_api::Call wait;
  wait.set_type(agent_api::Call::WAIT_CONTAINER);
  *wait.mutable_wait_container()->mutable_container_id() = id;
  auto waited = callAgent(agent, wait, 30s);
  if (!waited) {
    return fail(waited.error().message());
  }
  return exitCode(waited->wait_container().exit_status());
}

}  // namespace

int taskExec(const TaskExecOptions& options) {
  if (options.command.empty()) {
    return fail("no command: write it after `--`, as in `plateau task exec TASK -- ls -l`");
  }
  auto place = locateTask(options.master, options.task_id);
  if (!place) {
    return fail(place.error().message());
  }
  if (std::string state = place->task["state"].asString(); state != "TASK_RUNNING") {
    return fail(fmt::format("task '{}' is {}: a command runs only in a running task",
                            options.task_id, state));
  }
  auto parent = taskContainer(*place);
  if (!parent) {
    return fail(parent.error().message());
  }
  v1::ContainerID id;
  id.set_value(UuidGenerator(std::random_device{}()).text());
  *id.mutable_parent() = *parent;
  agent_api::Call call;
  call.set_type(agent_api::Call::LAUNCH_NESTED_CONTAINER_SESSION);
  auto* launch = call.mutable_launch_nested_container_session();
  *launch->mutable_container_id() = id;
  launch->mutable_command()->set_shell(false);
  launch->mutable_command()->set_value(options.command[0]);
  for (const auto& arg : options.command) {
    launch->mutable_command()->add_arguments(arg);
  }
  if (options.tty) {
    auto* container = launch->mutable_container();
    container->set_type(v1::ContainerInfo::MESOS);
    auto* size = container->mutable_tty_info()->mutable_window_size();
    struct winsize ws {};
    bool known = ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0;
    size->set_rows(known ? ws.ws_row : 24);
    size->set_columns(known ? ws.ws_col : 80);
  }
  return streamAndWait(place->agent, call, id, options.tty, options.interactive);
}

namespace {

// The nested container to attach to: `container` (alone or as "<parent>.<id>") under `parent`,
// or with none given, the one nested container running there.
Result<v1::ContainerID> attachTarget(const TaskPlace& place, const v1::ContainerID& parent,
                                     const std::string& container) {
  v1::ContainerID id;
  *id.mutable_parent() = parent;
  if (!container.empty()) {
    std::string prefix = parent.value() + ".";
    id.set_value(container.starts_with(prefix) ? container.substr(prefix.size()) : container);
    return id;
  }
  agent_api::Call call;
  call.set_type(agent_api::Call::GET_CONTAINERS);
  call.mutable_get_containers()->set_show_nested(true);
  auto listed = callAgent(place.agent, call);
  if (!listed) {
    return std::unexpected(listed.error());
  }
  std::vector<std::string> found;
  for (const auto& c : listed->get_containers().containers()) {
    if (c.container_id().has_parent() && c.container_id().parent().value() == parent.value()) {
      found.push_back(c.container_id().value());
    }
  }
  if (found.size() == 1) {
    id.set_value(found[0]);
    return id;
  }
  if (found.empty()) {
    return notFound(
        fmt::format("nothing runs in task '{}' to attach to: start a command with "
                    "`plateau task exec`",
                    place.task["id"].asString()));
  }
  return invalidArgument(
      fmt::format("several commands run in task '{}': name one with "
                  "--container ({})",
                  place.task["id"].asString(), fmt::join(found, ", ")));
}

}  // namespace

int taskAttach(const std::string& master, const std::string& task_id, const std::string& container,
               bool interactive) {
  auto place = locateTask(master, task_id);
  if (!place) {
    return fail(place.error().message());
  }
  auto parent = taskContainer(*place);
  if (!parent) {
    return fail(parent.error().message());
  }
  auto id = attachTarget(*place, *parent, container);
  if (!id) {
    return fail(id.error().message());
  }
  agent_api::Call call;
  call.set_type(agent_api::Call::ATTACH_CONTAINER_OUTPUT);
  *call.mutable_attach_container_output()->mutable_container_id() = *id;
  return streamAndWait(place->agent, call, *id, false, interactive);
}

}  // namespace plateau::cli
