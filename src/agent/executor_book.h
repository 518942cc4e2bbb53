#pragma once

// The agent's executors book: the frameworks that run work here, their executors, each
// executor's tasks, and the history of what completed. Guarantees:
//  - a framework is in the book only while it has at least one executor; an executor belongs
//    to exactly one framework, and its id is unique within it;
//  - an executor's life only moves forward: kRegistering -> kRunning -> kTerminating, or
//    kRegistering -> kTerminating; retire() is TERMINATED: the executor leaves the book for the
//    completed history, and its framework with it when it was the last;
//  - a task of an executor is in at most one place: queued (alone or in a queued group, only
//    while the executor has not subscribed), launched (handed to the executor), or completed
//    (terminal and acknowledged); every queued or launched task has a state, STAGING until an
//    update says otherwise; what is queued is handed over once, when the executor subscribes
//    (tasks by id, then groups and deferred kills as they came), and never to a terminating
//    executor;
//  - the first termination reason recorded for an executor stays;
//  - history is bounded: completed tasks per executor, completed executors (of each framework
//    and over all) and completed frameworks (each framework once, the latest last) keep only
//    the newest, oldest dropped; so are the status updates kept for each task (TaskHistory);
//  - a task's status history is kept only while the task has a state, and follows it into the
//    completed history.
// Pure bookkeeping: it sends, checkpoints and launches nothing; its methods return what the
// agent must do (tasks to hand over, updates to send, an executor to shut down). Records are
// read through const accessors and changed only by the book's methods. References to an
// executor stay valid until it is retired. Loop thread only.

#include <sys/types.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mesos/v1/executor/executor.pb.h>
#include <mesos/v1/mesos.pb.h>

#include "agent/checkpoint.h"
#include "common/resources.h"
#include "common/status.h"

namespace plateau::agent {

namespace v1 = mesos::v1;
namespace executor = mesos::v1::executor;

enum class ExecutorState { kRegistering, kRunning, kTerminating };

// The status updates kept for one task, as Mesos's agent keeps them on its Task (`statuses`,
// `status_update_state`, `status_update_uuid`).
struct TaskHistory {
  // At most this many statuses per task, the newest kept: an update in the same state as the
  // latest replaces it (as Mesos's agent does), so a task's life (STARTING, RUNNING, KILLING,
  // a terminal state) fits with room to spare.
  static constexpr size_t kMaxStatuses = 8;

  // The updates the agent took for the task, oldest first, their `data` dropped (a framework's
  // payload, which could be large: Mesos's master drops it too).
  std::deque<v1::TaskStatus> statuses;
  // The latest update forwarded to the master: its state and uuid; unset until one was.
  std::optional<v1::TaskState> forwarded_state;
  std::string forwarded_uuid;
};

// A task that ended: its info, the state it ended in and its status history.
struct CompletedTask {
  v1::TaskInfo info;
  v1::TaskState state = v1::TASK_LOST;
  TaskHistory history;
};

// One executor as the book keeps it; changed only by ExecutorBook.
class Executor {
 public:
  const v1::ExecutorInfo& info() const { return info_; }
  const std::string& id() const { return info_.executor_id().value(); }
  const std::string& frameworkId() const { return framework_id_; }
  const std::string& containerId() const { return container_id_; }
  // The sandbox; empty until the agent made it.
  const std::string& directory() const { return directory_; }
  // The executor's process; 0 until it started.
  pid_t pid() const { return pid_; }
  // A command executor, made by the agent for a task that named none.
  bool commandExecutor() const { return command_executor_; }
  // Found by a restarted agent: not its child.
  bool recovered() const { return recovered_; }
  ExecutorState state() const { return state_; }

  const std::map<std::string, v1::TaskInfo>& queuedTasks() const { return queued_tasks_; }
  const std::vector<v1::TaskGroupInfo>& queuedGroups() const { return queued_groups_; }
  const std::map<std::string, v1::TaskInfo>& launchedTasks() const { return launched_tasks_; }
  // The latest state of each task given to (or reported by) the executor and not yet
  // acknowledged as terminal.
  const std::map<std::string, v1::TaskState>& taskStates() const { return task_states_; }
  // A task's latest state; `otherwise` when it has none.
  v1::TaskState taskState(const std::string& task_id, v1::TaskState otherwise) const;
  // The status history of a queued or launched task (or one with a state); an empty one when
  // the task is not the executor's.
  const TaskHistory& history(const std::string& task_id) const;
  // Terminal and acknowledged, oldest first (bounded).
  const std::deque<CompletedTask>& completedTasks() const { return completed_tasks_; }
  // The tasks of the queued groups, in the order they came.
  std::vector<const v1::TaskInfo*> queuedGroupTasks() const;
  // What the executor holds, as Mesos's agent counts it: its own resources, its launched tasks'
  // that have no terminal state and its queued tasks' (alone or in a group); a resource that
  // does not parse counts as none.
  Resources allocatedResources() const;
  // Why the container ended, when the agent knows better than the executor (a limitation, a
  // launch failure): unfinished tasks fail with it.
  const std::optional<v1::TaskStatus::Reason>& terminationReason() const {
    return termination_reason_;
  }
  const std::string& terminationMessage() const { return termination_message_; }
  // The state its unfinished tasks end in when a termination reason is recorded (FAILED, or
  // LOST/GONE for a QoS preemption).
  v1::TaskState terminationState() const { return termination_state_; }
  // No task queued (alone or in a group) or launched.
  bool idle() const;

 private:
  friend class ExecutorBook;

  v1::ExecutorInfo info_;
  std::string framework_id_;
  std::string container_id_;
  std::string directory_;
  pid_t pid_ = 0;
  bool command_executor_ = false;
  bool recovered_ = false;
  ExecutorState state_ = ExecutorState::kRegistering;
  std::map<std::string, v1::TaskInfo> queued_tasks_;
  std::vector<v1::TaskGroupInfo> queued_groups_;
  std::map<std::string, v1::TaskInfo> launched_tasks_;
  std::map<std::string, v1::TaskState> task_states_;
  std::map<std::string, TaskHistory> histories_;
  std::deque<CompletedTask> completed_tasks_;
  std::vector<executor::Event> deferred_kills_;
  std::optional<v1::TaskStatus::Reason> termination_reason_;
  std::string termination_message_;
  v1::TaskState termination_state_ = v1::TASK_FAILED;
};

// A framework with executors on this agent.
class Framework {
 public:
  const v1::FrameworkInfo& info() const { return info_; }
  const std::map<std::string, Executor>& executors() const { return executors_; }

 private:
  friend class ExecutorBook;

  v1::FrameworkInfo info_;
  std::map<std::string, Executor> executors_;
};

// An executor that has terminated: kept for /state, the operator API and /files while its
// sandbox is on disk.
struct CompletedExecutor {
  std::string framework_id;
  v1::ExecutorInfo info;
  std::string container_id;
  std::string directory;
  std::vector<CompletedTask> tasks;
};

class ExecutorBook {
 public:
  struct Bounds {
    size_t completed_tasks_per_executor = 200;  // as Mesos's
    size_t completed_executors = 1000;          // over all frameworks
    size_t completed_frameworks = 50;           // Mesos's default for the agent
    // --max_completed_executors_per_framework (Mesos's default).
    size_t completed_executors_per_framework = 150;
  };

  ExecutorBook() = default;
  explicit ExecutorBook(Bounds bounds) : bounds_(bounds) {}
  ExecutorBook(const ExecutorBook&) = delete;
  ExecutorBook& operator=(const ExecutorBook&) = delete;

  // ---- Reading ----
  const std::unordered_map<std::string, Framework>& frameworks() const { return frameworks_; }
  const Framework* framework(const std::string& framework_id) const;
  Executor* find(const std::string& framework_id, const std::string& executor_id);
  const Executor* find(const std::string& framework_id, const std::string& executor_id) const;
  Executor* findByContainer(const std::string& container_id);
  // Whether the framework is here and checkpoints.
  bool checkpointing(const std::string& framework_id) const;
  size_t executorCount() const;
  // Oldest first.
  const std::deque<CompletedExecutor>& completedExecutors() const { return completed_executors_; }
  // Frameworks whose last executor terminated, oldest first; one may be back in frameworks().
  const std::deque<v1::FrameworkInfo>& completedFrameworks() const { return completed_frameworks_; }

  // ---- Tasks arriving ----
  struct Admission {
    Executor& executor;
    bool new_executor = false;       // the agent must launch it
    bool framework_changed = false;  // its info differs from what the book had (or is new)
  };
  // Takes the framework's latest info and finds its executor, adding it (REGISTERING, with the
  // container id `new_container_id` gives) when absent.
  Admission admit(const v1::FrameworkInfo& framework, const v1::ExecutorInfo& info,
                  bool command_executor, const std::function<std::string()>& new_container_id);
  // Marks the task (or each task of the group) STAGING. FailedPrecondition, changing nothing,
  // when the executor is terminating: the task will not run.
  Status stage(Executor& executor, const v1::TaskInfo& task);
  Status stage(Executor& executor, const v1::TaskGroupInfo& group);

  enum class Placement { kQueued, kLaunched };
  // Puts a staged task (or group) in its place: launched when the executor runs (the agent
  // hands it over now), else queued until it subscribes.
  Placement place(Executor& executor, const v1::TaskInfo& task);
  Placement place(Executor& executor, const v1::TaskGroupInfo& group);

  // ---- The executor's life ----
  // The sandbox was made / the process started.
  void setDirectory(Executor& executor, std::string directory);
  void setPid(Executor& executor, pid_t pid);

  // The executor subscribed: REGISTERING becomes RUNNING. False when it is terminating (it is
  // to be told to shut down).
  bool subscribed(Executor& executor);
  // What waited for the executor to subscribe, in order, now handed over: queued tasks and
  // groups (launched from now on) and kills deferred. Only for a running executor.
  struct Handover {
    std::vector<v1::TaskInfo> tasks;
    std::vector<v1::TaskGroupInfo> groups;
    std::vector<executor::Event> kills;
  };
  Handover handOver(Executor& executor);

  // The executor is to shut down: TERMINATING. False when it was already.
  bool terminate(Executor& executor);
  // The framework is shutting down: its executors' queued tasks and groups will never run
  // (their states stay until the executor terminates). Returns its executors, to shut down.
  std::vector<Executor*> dropQueued(const std::string& framework_id);
  // Records why the container ended and the state its unfinished tasks end in; false, changing
  // nothing, when a reason is recorded.
  bool recordTermination(Executor& executor, v1::TaskStatus::Reason reason, std::string message,
                         v1::TaskState state = v1::TASK_FAILED);
  // TERMINATED: the executor leaves the book for the completed history, with its completed
  // tasks and those still queued or launched (in their latest state, LOST when none); its
  // framework leaves too when it was the last, and is remembered as completed.
  void retire(const std::string& framework_id, const std::string& executor_id);

  // ---- Task states ----
  // A task's latest state, from an update of the executor or the agent.
  void setTaskState(Executor& executor, const std::string& task_id, v1::TaskState state);
  // An update the agent took for a task that has a state here: added to the task's history
  // (TaskHistory says how it stays bounded). False, keeping nothing, for a task without a state.
  bool recordStatus(Executor& executor, const v1::TaskStatus& status);
  // An update of the task was forwarded to the master; nothing for a task without a state.
  void recordForwarded(Executor& executor, const std::string& task_id, v1::TaskState state,
                       const std::string& uuid);
  // Tasks without a terminal state, in task id order.
  std::vector<std::string> unfinishedTasks(const Executor& executor) const;
  // The launch failed: every unfinished task becomes FAILED. Returns those tasks.
  std::vector<std::string> failUnfinished(Executor& executor);
  // The terminal update of a task was acknowledged: the task is completed (kept, bounded, when
  // it was launched) and its state forgotten.
  void acknowledgedTerminal(Executor& executor, const std::string& task_id, v1::TaskState state);

  // ---- Kills ----
  struct Kill {
    enum class Kind {
      kUnknown,       // no executor of the framework has the task
      kKilledQueued,  // it (or its whole queued group) was queued: now KILLED
      kLaunched,      // the executor has it: the agent sends KILL (or defers it)
    };
    Kind kind = Kind::kUnknown;
    Executor* executor = nullptr;
    std::vector<std::string> killed;  // kKilledQueued: the tasks now KILLED
    bool group = false;               // kKilledQueued: they were a queued group
    bool now_idle = false;            // kKilledQueued: nothing left to run, shut it down
  };
  Kill kill(const std::string& framework_id, const std::string& task_id);
  // A KILL for a launched task of an executor that is not connected: handed over when it
  // subscribes.
  void deferKill(Executor& executor, executor::Event kill);

  // ---- Recovery ----
  struct Recovered {
    Executor& executor;
    std::vector<std::string> forgotten;  // terminal and acknowledged: their checkpoints can go
  };
  // An executor found in the checkpoints of a framework: REGISTERING (until it subscribes
  // again), with its tasks launched in their latest checkpointed state and their checkpointed
  // updates as history, except those that ended and were acknowledged.
  Recovered recover(const v1::FrameworkInfo& framework, const RecoveredExecutor& recovered);

 private:
  Bounds bounds_;
  std::unordered_map<std::string, Framework> frameworks_;
  std::deque<CompletedExecutor> completed_executors_;
  std::unordered_map<std::string, size_t> completed_per_framework_;  // counts of the above
  std::deque<v1::FrameworkInfo> completed_frameworks_;

  // Drops the oldest completed executor of `framework_id` (of all frameworks when empty).
  void dropOldestCompleted(const std::string& framework_id);
};

}  // namespace plateau::agent
