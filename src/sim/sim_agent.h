#pragma once

// One simulated agent's state machine: the tasks it was given, their status updates and the
// acknowledgements it waits for, exactly as the real agent speaks the master's agent protocol
// (proto/plateau/agent.proto), with no processes: RUN_TASK is answered with TASK_STARTING at
// once, TASK_RUNNING after the start delay and TASK_FINISHED after the task's duration (the
// label `plateau-sim/duration_ms`; a task without it runs until killed); KILL_TASK with
// TASK_KILLED. Updates of a task go out one at a time and the next only after the master
// relays the scheduler's ACKNOWLEDGE (Mesos's status update stream); an unacknowledged update
// goes out again after the retry interval, doubled at each resend up to kMaxRetryInterval (as
// Mesos's agent backs off: a backlog of acknowledgements must not multiply the updates), and
// after a new registration.
// After a terminal update is acknowledged the task is forgotten and EXECUTOR_EXITED reports
// its command executor gone, as the real agent does.
//
// No I/O: calls leave through Hooks::send, time through Clock and Timers, so it runs in virtual
// time (tests/unit/sim/sim_agent_test.cc). Loop thread only.
//
// Memory: a live task keeps only what the agent answers with (its id, framework, state, the
// resources it reports on re-registration, its queued updates as state, reason, uuid and time)
// and its next transition; not the TaskInfo it came with. Resources are held once per distinct
// shape, the framework id once per framework, a task's name only where it differs from its id.
// The agent arms at most one timer, for its earliest due transition (tasks' transitions wait in
// a heap, a killed task's entry is dropped when it comes due or when the heap is compacted).

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <plateau/agent.pb.h>

#include "runtime/clock.h"
#include "runtime/timers.h"
#include "sim/workload.h"

namespace plateau::sim {

struct AgentSpec {
  std::string hostname;
  std::string ip = "127.0.0.1";
  double cpus = 8;
  double mem = 16384;
  double disk = 0;
  std::map<std::string, std::string> attributes;
};

class SimAgent {
 public:
  struct Hooks {
    std::function<void(const plateau::internal::AgentCall& call)> send;
    // RUN_TASK arrived for `task_id` (for the run's latency bookkeeping); may be empty.
    std::function<void(const std::string& task_id)> task_received;
  };
  struct Options {
    std::chrono::nanoseconds start_delay{std::chrono::milliseconds(5)};
    std::chrono::nanoseconds retry_interval{std::chrono::seconds(10)};
  };
  // Mesos's agent's longest wait between resends of one status update.
  static constexpr std::chrono::nanoseconds kMaxRetryInterval{std::chrono::minutes(10)};
  // To a master that takes batches, the updates made within this long go in one call: the
  // RUN_TASKs of one ACCEPT arrive as separate chunks, each read in a turn of its own.
  static constexpr std::chrono::nanoseconds kBatchWindow{std::chrono::milliseconds(1)};

  SimAgent(const Clock& clock, Timers& timers, AgentSpec spec, Options options, uint64_t seed,
           Hooks hooks);
  // Cancels every timer.
  ~SimAgent();
  SimAgent(const SimAgent&) = delete;
  SimAgent& operator=(const SimAgent&) = delete;

  // The REGISTER call: agent info (resources, attributes, the id once known) and, on
  // re-registration, the frameworks and tasks it still runs.
  plateau::internal::AgentCall registration() const;
  // REGISTERED: the id to use; every unacknowledged update goes out again. With `batches` (the
  // master's Registered.batches) the updates made within kBatchWindow go in one call.
  void registered(const std::string& agent_id, bool batches = false);
  // The link to the master is down: updates wait until registered() again.
  void disconnected() { connected_ = false; }
  // Any event other than REGISTERED and HEARTBEAT.
  void handle(const plateau::internal::AgentEvent& event);
  // Sends the HEARTBEAT call (while connected) and re-sends updates unacknowledged for longer
  // than their retry interval (doubled at each resend). The link calls it every heartbeat period.
  void heartbeat();

  const std::string& id() const { return id_; }
  const AgentSpec& spec() const { return spec_; }
  size_t liveTasks() const { return tasks_.size(); }
  // The latest state of a live task (nullopt once forgotten or never known).
  std::optional<mesos::v1::TaskState> taskState(const std::string& task_id) const;
  // Updates sent and not yet acknowledged, or waiting behind those.
  size_t pendingUpdates() const;
  int64_t updatesSent() const { return updates_sent_; }

 private:
  // A queued status update: the status is built from it and the task when it goes out.
  struct Update {
    mesos::v1::TaskState state = mesos::v1::TASK_STAGING;
    int reason = -1;  // a TaskStatus::Reason, -1 for none
    std::array<char, 16> uuid{};
    double timestamp = 0;
  };
  struct Task {
    const std::string* framework_id = nullptr;  // a key of framework_ids_
    const std::string* resources = nullptr;     // a key of shapes_: a v1::Task with its resources
    mesos::v1::TaskState state = mesos::v1::TASK_STAGING;
    int resends = 0;           // of the update in front: its retry interval doubles each time
    int64_t duration_ms = -1;  // from RUNNING to FINISHED; -1: until killed
    uint64_t due = 0;          // the sequence number of its entry in due_, 0: none
    Clock::TimePoint sent_at{};
    std::vector<Update> updates;  // front: sent, waiting for its ACKNOWLEDGE
  };
  // A task's next transition (RUNNING after the start delay, FINISHED after its duration).
  struct Due {
    Clock::TimePoint at;
    uint64_t seq;  // ties fire in the order they were scheduled
    std::string task_id;
    bool operator>(const Due& other) const {
      return at != other.at ? at > other.at : seq > other.seq;
    }
  };

  void runTask(const plateau::internal::AgentEvent::RunTask& run);
  void killTask(const std::string& task_id, mesos::v1::TaskStatus::Reason reason);
  void acknowledge(const plateau::internal::AgentEvent::Acknowledge& ack);
  void shutdownFramework(const std::string& framework_id);
  void forgetAll();
  // Removes a task and releases its resource shape.
  void erase(std::unordered_map<std::string, Task>::iterator it);
  // Moves the task to `state` and queues its update (sent now if nothing is ahead of it).
  void transition(const std::string& task_id, mesos::v1::TaskState state, int reason = -1);
  void sendHead(const std::string& task_id, Task& task);
  void flushUpdates();
  // Schedules the task's next transition `delay` from now (replacing any earlier one).
  void schedule(const std::string& task_id, Task& task, std::chrono::nanoseconds delay);
  // Fires every transition that is due, then arms the timer for the next one.
  void fireDue();
  void armTimer();
  std::array<char, 16> nextUuid();

  const Clock& clock_;
  Timers& timers_;
  const AgentSpec spec_;
  const Options options_;
  const Hooks hooks_;
  uint64_t uuid_state_;
  std::string id_;
  bool connected_ = false;
  std::unordered_map<std::string, Task> tasks_;
  std::unordered_map<std::string, mesos::v1::FrameworkInfo> frameworks_;
  std::set<std::string> framework_ids_;   // every framework a task came from
  std::map<std::string, size_t> shapes_;  // resources (serialized) → tasks using them
  std::unordered_map<std::string, std::string> names_;  // task id → name, where they differ
  std::vector<Due> due_;                                // a min-heap on (at, seq)
  uint64_t next_seq_ = 1;
  Timers::TimerId timer_ = 0;
  Clock::TimePoint timer_at_{};
  int64_t updates_sent_ = 0;
  bool batches_ = false;                   // the master takes several updates per call
  plateau::internal::AgentCall outgoing_;  // updates waiting for the end of the loop turn
  Timers::TimerId flush_timer_ = 0;
};

}  // namespace plateau::sim
