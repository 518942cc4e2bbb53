#pragma once

// What NestedContainers (agent/nested_containers.h) keeps for each nested container and each
// ATTACH_CONTAINER_INPUT connection. Private to the nested_*.cc files.

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mesos/v1/mesos.pb.h>

#include "agent/nested_containers.h"
#include "agent/nested_io.h"
#include "common/recordio.h"

namespace plateau::agent {

// Mesos's ContainerID text: the ancestors' values first, joined by '.' (the containers' key).
inline std::string keyOf(const mesos::v1::ContainerID& id) {
  return id.has_parent() ? keyOf(id.parent()) + "." + id.value() : id.value();
}

// The container at the top of `id`'s ancestry (an executor's, or a standalone one).
inline const mesos::v1::ContainerID& rootOf(const mesos::v1::ContainerID& id) {
  return id.has_parent() ? rootOf(id.parent()) : id;
}

// Mesos's rules for a ContainerID (each value non-empty, short, printable, without '/' or '.'):
// what is wrong, or nullopt.
std::optional<std::string> invalidContainerId(const mesos::v1::ContainerID& id);
// What a CommandInfo runs, as Mesos reads it: (program, argv).
std::pair<std::string, std::vector<std::string>> programOf(const mesos::v1::CommandInfo& command);

struct NestedContainers::Container {
  mesos::v1::ContainerID id;
  std::string parent;   // the executor's container id
  std::string sandbox;  // its own folder under the parent's sandbox (file output only)
  pid_t pid = 0;
  std::unique_ptr<NestedIo> io;  // none when its output goes to files
  struct Output {
    std::shared_ptr<http::Stream> stream;
    http::ContentType type;
  };
  std::vector<Output> outputs;   // the session's stream first, then attached ones
  std::shared_ptr<Input> input;  // the input connection attached now, if any
  bool tty = false;
  bool standalone = false;      // launched without a parent (its sandbox is its own)
  bool outlives_agent = false;  // a checkpointed nested container left running by the agent
  bool image = false;           // a nested container in an image of its own
  bool io_ended = true;
  std::optional<int> status;    // the wait status, once exited (0 when not known)
  bool status_unknown = false;  // it ended while no agent ran, without a recorded status
  int kill_signal = 0;          // the last signal KILL_* sent
  std::string message;          // why the agent ended it, if it did
  bool finished = false;
  Timers::TimerId drain_timer = 0;
  Timers::TimerId heartbeat_timer = 0;
  std::vector<Waiter> waiters;
};

// One ATTACH_CONTAINER_INPUT connection: its body, read record by record, and its answer.
struct NestedContainers::Input {
  std::shared_ptr<http::RequestBody> body;
  std::optional<http::Responder> responder;  // empty once answered
  http::ContentType type = http::ContentType::kJson;
  recordio::Decoder decoder{16 << 20};  // a record of stdin is rarely over a few KiB
  std::string key;                      // the container, once the first record named it
  Refuse refuse;                        // the ACL check of the first call, if any
};

}  // namespace plateau::agent
