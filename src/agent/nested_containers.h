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
// - With checkpointNested(), every nested container is checkpointed under meta/nested
//   (agent/standalone_checkpoint.h) and runs under a relay that records its wait status
//   (agent/nested_launch.h). With `outlive_agent`, those whose output goes to their sandbox's
//   files keep running when the agent goes, and a restarted agent takes them over
//   (recoverNested()); sessions and those with a TTY end with the agent, as in Mesos.
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
#include "agent/standalone_checkpoint.h"
#include "common/fd.h"
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

  // A nested container whose ContainerInfo names an image of its own (`mesos.image`) runs in
  // that image's root filesystem, in its own mount namespace and its parent's other namespaces.
  // What enters the image and runs the command there (plateau-rootfs, agent/images/
  // enter_rootfs.h), once the image is provisioned.
  struct ImageCommand {
    std::string program;            // a host path
    std::vector<std::string> argv;  // argv[0] included
    std::vector<std::string> env;
  };
  struct Images {
    using Prepared = std::function<void(Result<ImageCommand>)>;
    // Provisions the image `info` names for the container `key` (sandbox: its host sandbox) and
    // answers with how to run `command` in it as `user` (empty: the image's default).
    std::function<void(const std::string& key, const std::string& sandbox,
                       const mesos::v1::CommandInfo& command, const mesos::v1::ContainerInfo& info,
                       const std::string& user, Prepared done)>
        prepare;
    std::function<void(const std::string& key)> release;  // once the container ended
  };
  // Unset: a nested container with an image is refused (400).
  void setImages(Images images) { images_ = std::move(images); }

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

  // Checkpoints nested containers under <work_dir>/meta/nested; with `outlive_agent` (the
  // agent's --recover=reconnect), those that can outlive the agent are left running when this
  // component goes.
  void checkpointNested(const std::string& work_dir, bool outlive_agent);
  // Takes the nested containers of an earlier agent over, once the executors' and standalone
  // containers are recovered and before any call is answered: one whose parent runs again is
  // listed, waited for (one that ended meanwhile answers with its recorded status), killed and
  // removed as if launched by this agent. The others (their parent gone, sessions, or all of them
  // with `cleanup`) are killed and forgotten. Returns the running ones taken over (their images'
  // root filesystems are to be kept).
  std::vector<std::string> recoverNested(bool cleanup);

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
  // nested_image.cc: a launch whose ContainerInfo names an image: provisions it, then start()s.
  void launchInImage(const mesos::v1::ContainerID& id, const mesos::v1::CommandInfo& command,
                     const mesos::v1::ContainerInfo& info, bool session, http::StreamAccept accept,
                     http::Responder responder);
  // Starts the container once its parent is known (and its image provisioned, `image` set).
  void start(const mesos::v1::ContainerID& id, const mesos::v1::CommandInfo& command,
             const mesos::v1::ContainerInfo& info, const Parent& parent, pid_t target, bool session,
             const ImageCommand* image, http::StreamAccept accept, http::Responder responder);
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
  // nested_standalone.cc: watches the recovered containers' first processes.
  void pollRecovered();
  // nested_standalone.cc: a container of an earlier agent, known again (running or ended).
  void adopt(const mesos::v1::ContainerID& id, const std::string& sandbox, pid_t pid,
             Liveness liveness, bool standalone);
  // The wait status the container's first process (or relay) recorded, if it did.
  std::optional<int> recordedStatus(const std::string& key, const Container& container) const;
  // Forgets the container's checkpoint, if it has one.
  void forgetCheckpoint(const std::string& key, const Container& container);
  // Checkpoints a nested container once its relay runs.
  void checkpointLaunched(Container& container, const struct NestedSpec& spec);
  // Prepares the checkpoint of the nested container `key`, whose relay (spec.relay_dir set)
  // records its status in it through `status_fd`.
  Status prepareCheckpoint(const std::string& key, struct NestedSpec& spec, Fd* status_fd);

  Timers& timers_;
  std::shared_ptr<spdlog::logger> log_;
  FindParent find_parent_;
  std::chrono::nanoseconds heartbeat_;
  Standalone standalone_;
  Images images_;
  std::optional<StandaloneCheckpoint> checkpoint_;  // the nested containers'
  bool outlive_ = false;                            // checkpointed ones outlive the agent
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
