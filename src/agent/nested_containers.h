#pragma once

// The nested containers the agent runs inside its executors' containers, and the agent operator
// API calls that manage them: LAUNCH_NESTED_CONTAINER(_SESSION), WAIT/KILL/REMOVE_NESTED_CONTAINER,
// their LAUNCH/WAIT/KILL/REMOVE_CONTAINER forms, and ATTACH_CONTAINER_INPUT/OUTPUT. Loop thread
// only.
//
// Guarantees:
// - A nested container runs in its parent's namespaces, root filesystem and cgroups, as the
//   parent's user (agent/nested_launch.h); its parent is an executor's container found through
//   the FindParent callback, or a running nested container (nesting has no depth limit). It
//   lives no longer than its parent (parentEnded(), or its nested parent exiting).
// - A session's output streams back on its own connection as ProcessIO records, in the order the
//   process wrote it; the stream closes once the process has exited and its output is drained.
//   The connection closing first kills the container, as Mesos does. Every output stream (the
//   session's and ATTACH_CONTAINER_OUTPUT's) also carries a CONTROL HEARTBEAT record every
//   heartbeat interval (Mesos's --http_heartbeat_interval).
// - ATTACH_CONTAINER_INPUT's body is used as it arrives: each record reaches the process when it
//   has arrived, and the body is read no faster than the process takes its input (at most
//   kMaxQueuedInput bytes wait for it). One input connection per container at a time (409 for
//   another); it is answered when its body ends, or when the container ends first.
// - The wait status stays readable (WAIT_*) until REMOVE_* or the parent ends; at most
//   kMaxEnded ended containers are kept, the oldest forgotten first.
// - A standalone container (no parent) runs as a container of its own through the Standalone
//   hooks, in <root>/<id> with its own resources, and may be the parent of nested containers.
//   With `outlive_agent` it keeps running when the agent goes, and a restarted agent takes it
//   over (recoverStandalone()).
// - Bad input is answered as Mesos answers it: 400 naming the field, 404 for an unknown container.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "agent/checkpoint.h"
#include "http/content.h"
#include "http/server.h"
#include "http/stream_accept.h"
#include "http/streamed_body.h"
#include "runtime/timers.h"

namespace mesos::v1 {
class ContainerID;
class CommandInfo;
class ContainerInfo;
}  // namespace mesos::v1
namespace mesos::v1::agent {
class Call;
class Response;
}  // namespace mesos::v1::agent

namespace plateau::agent {

class NestedIo;

class NestedContainers {
 public:
  // An executor's container, as the agent knows it.
  struct Parent {
    pid_t pid = 0;        // its first process
    std::string sandbox;  // its sandbox on the host
  };
  using FindParent = std::function<std::optional<Parent>(const std::string& container_id)>;

  static constexpr size_t kMaxEnded = 256;
  static constexpr size_t kMaxQueuedInput = 1 << 20;

  // `heartbeat`: the interval of output streams' HEARTBEAT records (positive).
  NestedContainers(Timers& timers, std::shared_ptr<spdlog::logger> log, FindParent find_parent,
                   std::chrono::nanoseconds heartbeat = std::chrono::seconds(30));
  ~NestedContainers();
  NestedContainers(const NestedContainers&) = delete;
  NestedContainers& operator=(const NestedContainers&) = delete;

  // Whether the agent's server hands `head` over before its body (http/streamed_body.h): the
  // operator API's RecordIO requests (ATTACH_CONTAINER_INPUT), used as they arrive.
  static bool streamsBody(const http::Request& head);
  // Whether the call type `type` answers with a stream.
  static bool streams(int type);
  // Whether the call type `type` is one this component answers.
  static bool handles(int type);
  // Answers a call handles() names, in `accept` (the responder already frames a RecordIO stream).
  void call(const mesos::v1::agent::Call& call, http::StreamAccept accept,
            http::Responder responder);
  // ATTACH_CONTAINER_INPUT: a request whose body is RecordIO of calls (Content-Type
  // application/recordio, each record in Message-Content-Type), read as it arrives when the
  // server streams it (http::streamedBody()), else whole. Answered once the body has ended.
  // `refuse` (when set) sees the first call once decoded: the answer it returns is given instead.
  using Refuse = std::function<std::optional<http::Response>(const mesos::v1::agent::Call&)>;
  void attachInput(const http::Request& request, http::Responder responder, Refuse refuse = {});
  // A child process ended; false when it was not a nested container's.
  bool childExited(pid_t pid, int status);
  // The executor's container `container_id` ended: its nested containers are killed and forgotten.
  void parentEnded(const std::string& container_id);
  // GET_CONTAINERS: adds to the executors' containers `containers` lists the running ones of
  // this component: with `nested`, those nested under a listed executor's container (with its
  // framework and executor); with `standalone`, the standalone containers (without framework
  // or executor), and those nested under them when `nested` too. Resource statistics are left
  // to the caller.
  void list(mesos::v1::agent::Response* containers, bool nested, bool standalone) const;
  // The nested containers known now (running or ended, not removed).
  size_t size() const { return containers_.size(); }

  // A standalone container (LAUNCH_CONTAINER without a parent) to start: what it runs, as whom,
  // with which resources, in which sandbox (its working directory, holding stdout and stderr),
  // in which image (when its ContainerInfo names one).
  struct StandaloneSpec {
    std::string container_id;
    std::string sandbox;
    std::string program;
    std::vector<std::string> argv;  // argv[0] included
    std::vector<std::string> env;
    std::string user;  // empty: the agent's own
    double cpus = 0;
    double mem_mb = 0;
    double disk_mb = 0;
    std::shared_ptr<const mesos::v1::CommandInfo> command;      // as the call gave it
    std::shared_ptr<const mesos::v1::ContainerInfo> container;  // null when the call has none
  };
  // How standalone containers run (the agent's containerizer) and are checkpointed. Unset:
  // they are refused (400).
  struct Standalone {
    // Starts it (at once, or once its image is provisioned) and calls `done` with its first
    // process, or why it could not start.
    using Launched = std::function<void(Result<pid_t>)>;
    std::function<void(const StandaloneSpec& spec, Launched done)> launch;
    std::function<void(const std::string& container_id)> destroy;  // once its process exited
    // The wait status its command ended with, as its first process recorded it (if it did).
    std::function<std::optional<int>(const std::string& container_id)> exit_status;
    std::function<void(const std::string& container_id)> forget;  // removed: its checkpoint goes
    std::string root;            // their sandboxes are <root>/<container id>
    bool outlive_agent = false;  // running ones are left running when this component goes
  };
  void setStandalone(Standalone standalone) { standalone_ = std::move(standalone); }

  // A standalone container of an earlier agent, found in its checkpoint: running (its first
  // process, no child of this agent, is then watched until it ends) or ended meanwhile.
  struct RecoveredStandalone {
    std::string container_id;
    std::string sandbox;
    pid_t pid = 0;
    Liveness liveness = Liveness::kGone;
  };
  // Takes the standalone containers of an earlier agent over, before any call is answered:
  // they are listed, waited for, killed and removed as if launched by this one. One that ended
  // while no agent ran answers WAIT_CONTAINER with the status its first process recorded.
  void recoverStandalone(const std::vector<RecoveredStandalone>& containers);

 private:
  struct Container;
  struct Input;
  struct Waiter {
    http::Responder responder;
    http::ContentType accept;
    bool nested_call;  // WAIT_NESTED_CONTAINER (else WAIT_CONTAINER)
  };

  // The container a nested container under `id` joins: an executor's, or a running nested one.
  std::optional<Parent> parentOf(const mesos::v1::ContainerID& id);
  // Kills the running containers nested (at any depth) under the container `key`.
  void killNestedUnder(const std::string& key);
  // nested_standalone.cc: LAUNCH_CONTAINER without a parent.
  void launchStandalone(const mesos::v1::agent::Call& call, http::Responder responder);
  // The calls other than launches.
  void control(const mesos::v1::agent::Call& call, http::StreamAccept accept,
               http::Responder responder);
  void launch(const mesos::v1::ContainerID& id, const mesos::v1::CommandInfo* command,
              const mesos::v1::ContainerInfo* info, bool session, http::StreamAccept accept,
              http::Responder responder);
  void wait(const mesos::v1::ContainerID& id, bool nested_call, http::ContentType accept,
            http::Responder responder);
  http::Response kill(const mesos::v1::ContainerID& id, int signal);
  http::Response remove(const mesos::v1::ContainerID& id);
  void attachOutput(const mesos::v1::ContainerID& id, http::StreamAccept accept,
                    http::Responder responder);
  // nested_input.cc: an ATTACH_CONTAINER_INPUT connection, record by record.
  void readInput(const std::shared_ptr<Input>& input);
  void onInputPiece(const std::shared_ptr<Input>& input, http::BodyPiece piece);
  // Uses one record; an answer ends the connection (an error, or 200 once the container ended).
  std::optional<http::Response> inputRecord(const std::shared_ptr<Input>& input,
                                            const std::string& record);
  std::optional<http::Response> firstInput(const std::shared_ptr<Input>& input,
                                           const mesos::v1::agent::Call& call);
  void answerInput(Input& input, http::Response response);
  void heartbeat(const std::string& key);
  // Starts the container's I/O thread and opens its session stream (if any).
  void startIo(Container& container, struct NestedProcess& process, bool tty,
               http::Responder* session, http::ContentType accept);
  void output(const std::string& key, bool error, std::string data);
  void ioEnded(const std::string& key);
  // Once the process has exited and its output drained: streams close, waiters are answered.
  void maybeFinish(Container& container);
  void answerWaiter(Waiter& waiter, const Container& container);
  void forgetOldest();
  // The container's first process has ended (`status`: its wait status, when known): what it
  // left in its session goes, and so do the containers nested under it.
  void exited(Container& container, std::optional<int> status);
  // nested_standalone.cc: watches the recovered standalone containers' first processes.
  void pollRecovered();

  Timers& timers_;
  std::shared_ptr<spdlog::logger> log_;
  FindParent find_parent_;
  std::chrono::nanoseconds heartbeat_;
  Standalone standalone_;
  std::shared_ptr<bool> alive_;  // posted I/O callbacks run only while this lives
  std::map<std::string, std::unique_ptr<Container>> containers_;  // by "<parent>.<id>"
  std::map<pid_t, std::string> pids_;                             // running ones -> key
  std::map<uint64_t, std::string> ended_;                         // end order -> key
  uint64_t ends_ = 0;
  std::set<std::string> launching_;  // standalone containers waiting for their image
  std::set<std::string> recovered_;  // running standalone containers that are no children
  Timers::TimerId recovered_timer_ = 0;
};

}  // namespace plateau::agent
