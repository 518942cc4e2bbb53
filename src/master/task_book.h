#pragma once

// The master's tasks: every live task of every framework, indexed by framework and by agent, and
// each framework's latest completed tasks and tasks on unreachable agents (kept while the
// framework is, completed or not).
//
// Guarantees:
//  - a live task is in both indexes (its framework's and its agent's) or in neither, and a task
//    id is live at most once per framework: add() of a live id is a broken invariant;
//  - a task's state changes only through update(), which keeps the latest state, the state and
//    uuid of the update that carried it, and a history of at most kMaxStatuses statuses with no
//    state twice in a row; update() reports a task's first move into a terminal state exactly
//    once, so what follows from it (counters, freeing resources) happens once;
//  - a live task is kept compact (see Task) and Task::copyInfo() gives it whole, exactly as it
//    came and as its statuses were applied; a task that leaves the book (completed(),
//    unreachable()) is whole again;
//  - a live task's framework id and agent id are the book's, one of each per framework and per
//    agent, shared by all their live tasks (read through `info` as any field; never written:
//    a live task's `info` is changed only by update());
//  - complete() moves a live task to its framework's completed tasks, which keep the newest
//    `max_completed` (the oldest go first); markUnreachable() moves one to its unreachable tasks
//    (as Mesos's `unreachable_tasks`), which keep the newest `max_unreachable`; forget() drops
//    everything of a framework, and forgetUnreachable() the unreachable record of a task that is
//    live again, so that a task is listed once;
//  - the number of live tasks in each state, and of unreachable records, is kept as tasks come,
//    change and go, in all and per framework: liveIn() and unreachableCount() cost nothing,
//    whatever the number of tasks (the metrics read them at every scrape).
// Pure bookkeeping on the loop thread: no I/O, no time of its own, no events sent.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mesos/v1/mesos.pb.h>

#include "common/resources.h"

namespace plateau::master {

// A live task, kept small: the master holds one per task of the cluster.
struct Task {
  Task() = default;
  ~Task();
  Task(Task&& other) noexcept;
  Task& operator=(Task&&) = delete;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  // The task as /master/state shows it, with two differences while it is live (the book makes
  // them in add() and undoes them when the task leaves): the fields read only to render it or
  // on rare calls (name, resources, limits, labels, discovery, container, health check, kill
  // policy) are kept encoded, in details(); and each kept status leaves out the task, agent and
  // executor ids equal to the task's own (its executor id, or its task id for a command task),
  // the latest one its uuid while that is the task's status_update_uuid; and only the latest
  // status stays in `info`, the older ones (up to kMaxStatuses in all) being kept encoded after
  // the fields above. Its framework_id and
  // agent_id, once in the book, are the book's own messages, shared by every live task of the
  // framework and of the agent (read them, never write them). What stays is what the master
  // reads per event (ids, state, user, statuses); copyInfo() gives the whole task.
  mesos::v1::Task info;
  std::string role;                 // the role its resources are allocated to
  bool resources_released = false;  // given back once the task is terminal

  // Writes the whole task: `info` with its encoded fields and its statuses' ids restored.
  void copyInfo(mesos::v1::Task* out) const;
  // The encoded fields alone (a task with nothing else set; its older statuses among them).
  mesos::v1::Task details() const;
  // The timestamp of its oldest kept status (0 with none): when it started, as /tasks sorts.
  double startedAt() const;
  // What the task holds: details().resources() (parsed again: on release and rare checks, not
  // per event).
  Resources resources() const;

 private:
  friend class TaskBook;
  // Per kept status, kIdBits bits: which of its ids were left out (the top bit: the uuid).
  static constexpr int kIdBits = 3;
  // Moves the fields read only to render the task into `details_`.
  void encodeDetails();
  // `index`: the status's place in the whole history; `latest`: whether it is the last.
  void elideIds(mesos::v1::TaskStatus* status, int index, bool latest);
  // Appends a status (its ids already elided) to the encoded older ones.
  void encodeStatus(mesos::v1::TaskStatus* status);
  // Drops the oldest encoded status (the history is past TaskBook::kMaxStatuses).
  void dropOldestStatus();
  // Gives `out` (a copy of info, or info itself) back what encodeDetails() and elideIds() took.
  void restore(mesos::v1::Task* out) const;
  // Points info's framework and agent ids at the book's (the task's own are freed); ownIds()
  // gives it copies of its own again (before it leaves the book).
  void shareIds(mesos::v1::FrameworkID* framework_id, mesos::v1::AgentID* agent_id);
  void ownIds();

  std::string details_;            // the encoded fields, in protobuf's wire form of a v1::Task
  uint32_t elided_ids_ = 0;        // kIdBits bits per status
  uint32_t agent_slot_ = 0;        // its place in its agent's list
  uint16_t encoded_statuses_ = 0;  // how many older statuses details_ holds, oldest first
  // Which of info's ids are the book's (not to be freed with the task).
  bool shares_framework_id_ = false;
  bool shares_agent_id_ = false;
};

class TaskBook {
 public:
  using Tasks = std::unordered_map<std::string, Task>;                  // task id -> task
  using AgentTasks = std::vector<std::pair<std::string, std::string>>;  // (framework id, task id)
  static constexpr int kMaxStatuses = 10;
  static_assert(kMaxStatuses * Task::kIdBits <= 32, "Task::elided_ids_ holds every status's bits");

  explicit TaskBook(size_t max_completed, size_t max_unreachable = 1000)
      : max_completed_(max_completed), max_unreachable_(max_unreachable) {}

  // Adds a live task of `framework_id` on the agent its info names.
  Task& add(const std::string& framework_id, Task task);
  Task* find(const std::string& framework_id, const std::string& task_id);
  const Task* find(const std::string& framework_id, const std::string& task_id) const;
  bool contains(const std::string& framework_id, const std::string& task_id) const {
    return find(framework_id, task_id) != nullptr;
  }
  // A framework's live tasks (empty when it has none).
  const Tasks& of(const std::string& framework_id) const;
  // The live tasks on an agent, sorted (a copy: linear in the agent's tasks).
  AgentTasks on(const std::string& agent_id) const;
  // How many live tasks are on an agent.
  size_t countOn(const std::string& agent_id) const;
  // A framework's completed tasks, oldest first.
  const std::deque<mesos::v1::Task>& completed(const std::string& framework_id) const;
  // A framework's tasks whose agent was marked unreachable, oldest first.
  const std::deque<mesos::v1::Task>& unreachable(const std::string& framework_id) const;
  size_t size() const { return live_; }
  // How many live tasks are in `state` now.
  size_t liveIn(mesos::v1::TaskState state) const;
  // How many of a framework's live tasks are in each state now, by TaskState number (one lookup
  // of the framework; all 0 for one without live tasks).
  using StateCounts = std::array<uint32_t, mesos::v1::TaskState_ARRAYSIZE>;
  StateCounts liveByState(const std::string& framework_id) const;
  // How many tasks all frameworks' unreachable lists hold now.
  size_t unreachableCount() const { return unreachable_count_; }

  // Applies a status to a live task: `latest` is the task's state now (the agent may report an
  // older update still unacknowledged). True when the task became terminal with it.
  bool update(Task& task, const mesos::v1::TaskStatus& status, mesos::v1::TaskState latest);
  // Moves a live task to its framework's completed tasks; false when it is not live.
  bool complete(const std::string& framework_id, const std::string& task_id);
  // Moves a live task to its framework's unreachable tasks; false when it is not live.
  bool markUnreachable(const std::string& framework_id, const std::string& task_id);
  // Drops the framework's live and completed tasks (its record is gone).
  void forget(const std::string& framework_id);
  // Drops the unreachable record of a task that is live again (its agent came back), so that
  // the task is listed once, as in Mesos. Linear in the framework's unreachable tasks (at most
  // `max_unreachable`); true when a record was dropped.
  bool forgetUnreachable(const std::string& framework_id, const std::string& task_id);

 private:
  struct FrameworkTasks {
    mesos::v1::FrameworkID id;  // shared by its live tasks' infos
    Tasks live;
    StateCounts live_by_state{};
    std::deque<mesos::v1::Task> completed;
    std::deque<mesos::v1::Task> unreachable;
  };

  // Takes a live task out of both indexes into `into`, which keeps the newest `max`.
  bool retire(const std::string& framework_id, const std::string& task_id,
              std::deque<mesos::v1::Task> FrameworkTasks::*into, size_t max);
  // Takes a task out of its agent's list.
  void unlist(const Task& task);
  // Counts a live task of `framework` out of (-1) or into (+1) its state, in all and there.
  void countState(FrameworkTasks& framework, mesos::v1::TaskState state, int delta);

  size_t max_completed_;
  size_t max_unreachable_;
  size_t live_ = 0;
  size_t unreachable_count_ = 0;
  std::array<size_t, mesos::v1::TaskState_ARRAYSIZE> live_by_state_{};
  std::unordered_map<std::string, FrameworkTasks> frameworks_;
  struct AgentTasksOn {
    mesos::v1::AgentID id;     // shared by its live tasks' infos
    std::vector<Task*> tasks;  // in no order (Task::agent_slot_ is each one's place)
  };
  // Each agent's live tasks (an entry lives while the agent has one).
  std::unordered_map<std::string, AgentTasksOn> agents_;
};

}  // namespace plateau::master
