#pragma once

// The checkpoint of the agent's standalone containers (LAUNCH_CONTAINER without a parent) and of
// its nested containers, beside the executors' under --work_dir/meta, so that a restarted agent
// finds them again (<folder> is "containers" for standalone ones, "nested" for nested ones):
//   meta/<folder>/<id>/container     "pid\nsandbox\ncpus mem_mb disk_mb\n[session\n]" (written
//                                    atomically; "session": a nested container whose output
//                                    went to its launch's connection)
//   meta/<folder>/<id>/exit_status   the wait status of its command, in decimal, written by
//                                    the container's first process (plateau-container-launch, or
//                                    a nested container's relay, agent/nested_launch.h) when the
//                                    command ends; empty until then
// Container ids are Mesos's (no '/' or '.', agent/nested_state.h), and a nested container's <id>
// is its ContainerID's text ("parent.child"), so they are safe folder names.
// Not thread-safe: the agent calls it from its loop thread.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace plateau::agent {

// A standalone container as checkpointed.
struct StandaloneRecord {
  std::string container_id;
  std::string sandbox;
  pid_t pid = 0;  // its first process
  double cpus = 0;
  double mem_mb = 0;
  double disk_mb = 0;
  bool session = false;  // a nested container session (it ends with the agent)
};

class StandaloneCheckpoint {
 public:
  // `folder`: under meta, "containers" for standalone containers, "nested" for nested ones.
  explicit StandaloneCheckpoint(const std::string& work_dir,
                                const std::string& folder = "containers");

  // Makes the container's folder and its empty exit status file, owned by `user` when the agent
  // runs as root and `user` is not empty (the container's first process runs as that user and
  // writes it). Returns the exit status file's path.
  Result<std::string> prepare(const std::string& container_id, const std::string& user) const;
  // Writes the container's record (once its first process runs).
  Status write(const StandaloneRecord& record) const;
  // Every container checkpointed; unreadable ones are named in `errors` and skipped.
  std::vector<StandaloneRecord> recover(std::vector<std::string>* errors) const;
  // The wait status its first process wrote, if it did.
  std::optional<int> exitStatus(const std::string& container_id) const;
  // Forgets the container (REMOVE_CONTAINER).
  void remove(const std::string& container_id) const;

 private:
  std::string dir(const std::string& container_id) const;

  std::string root_;  // meta/<folder>
};

}  // namespace plateau::agent
