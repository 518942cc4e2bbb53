#pragma once

// The agent's checkpoint under --work_dir/meta: what a restarted agent needs to find the
// executors and tasks of checkpointing frameworks again. Layout:
//   meta/agent_id
//   meta/agent.info                                         AgentInfo it registered with
//   meta/frameworks/<fw>/framework.info                      FrameworkInfo (binary protobuf)
//   meta/frameworks/<fw>/executors/<ex>/executor.info        ExecutorInfo
//   meta/frameworks/<fw>/executors/<ex>/run                  "container_id\npid\ncommand\ndir\n"
//   meta/frameworks/<fw>/executors/<ex>/tasks/<task>/task.info   TaskInfo
//   meta/frameworks/<fw>/executors/<ex>/tasks/<task>/updates     append log of updates and acks
// Whole files are written atomically (temporary file, fsync, rename); the update log is
// appended and fsynced record by record, and a torn last record is ignored on recovery.
// Not thread-safe: the agent calls it from its loop thread.

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <mesos/v1/mesos.pb.h>

#include "common/status.h"

namespace plateau::agent {

struct RecoveredTask {
  mesos::v1::TaskInfo info;
  std::vector<mesos::v1::TaskStatus> updates;  // in the order they were received
  std::set<std::string> acknowledged;          // uuids
};

struct RecoveredExecutor {
  mesos::v1::ExecutorInfo info;
  std::string container_id;
  std::string directory;
  pid_t pid = 0;
  bool command_executor = false;
  std::vector<RecoveredTask> tasks;
};

struct RecoveredFramework {
  mesos::v1::FrameworkInfo info;
  std::vector<RecoveredExecutor> executors;
};

struct RecoveredState {
  std::optional<std::string> agent_id;
  std::vector<RecoveredFramework> frameworks;
  // Entries skipped because a file is missing: an agent stopped while writing them (never an
  // error, as in Mesos).
  std::vector<std::string> partial;
};

class Checkpoint {
 public:
  explicit Checkpoint(std::string work_dir);

  // Reads everything under meta/. Entries with a file that is there but unreadable are skipped
  // and named in `errors`; those missing a file are skipped and named in `partial`.
  RecoveredState recover(std::vector<std::string>* errors) const;
  // Removes meta/ entirely (--recover=cleanup, or an agent starting over).
  Status wipe() const;

  Status writeAgentId(const std::string& agent_id) const;
  // meta/agent.info: the AgentInfo (flag-given resources, attributes, hostname, port) the agent
  // registered with, which --reconfiguration_policy compares a restarted agent's with; nullopt
  // when absent or unreadable.
  Status writeAgentInfo(const mesos::v1::AgentInfo& info) const;
  std::optional<mesos::v1::AgentInfo> readAgentInfo() const;
  // The session secret of the agent's last REGISTERED, so that a restarted agent may take its
  // place while the master still holds its old stream open ("" when none was written).
  Status writeSession(const std::string& session) const;
  std::string readSession() const;
  Status writeFramework(const mesos::v1::FrameworkInfo& info) const;
  Status writeExecutor(const std::string& framework_id, const mesos::v1::ExecutorInfo& info,
                       const std::string& container_id, const std::string& directory, pid_t pid,
                       bool command_executor) const;
  Status writeTask(const std::string& framework_id, const std::string& executor_id,
                   const mesos::v1::TaskInfo& task) const;
  Status appendUpdate(const std::string& framework_id, const std::string& executor_id,
                      const mesos::v1::TaskStatus& status) const;
  Status appendAck(const std::string& framework_id, const std::string& executor_id,
                   const std::string& task_id, const std::string& uuid) const;

  void removeTask(const std::string& framework_id, const std::string& executor_id,
                  const std::string& task_id) const;
  // Removes the executor, and its framework once it holds no executor.
  void removeExecutor(const std::string& framework_id, const std::string& executor_id) const;
  void removeFramework(const std::string& framework_id) const;

 private:
  std::string frameworkDir(const std::string& framework_id) const;
  std::string executorDir(const std::string& framework_id, const std::string& executor_id) const;
  std::string taskDir(const std::string& framework_id, const std::string& executor_id,
                      const std::string& task_id) const;

  std::string meta_;
};

// What became of a checkpointed process: it still runs with its working directory at
// `directory` (its sandbox), it is gone (a zombie counts as gone), or its pid now belongs to an
// unrelated process. Defined in recovery.cc.
enum class Liveness { kAlive, kGone, kReused };
Liveness processLiveness(pid_t pid, const std::string& directory);

// The whole content of the file at `path`; nullopt when it cannot be read.
std::optional<std::string> readFile(const std::string& path);

// Writes `data` to `path` atomically: a temporary file beside it, fsync, rename.
Status writeFileAtomic(const std::string& path, const std::string& data);

}  // namespace plateau::agent
