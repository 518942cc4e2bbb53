#pragma once

// The agent's status update streams, one per task. Guarantees:
//  - at least once: an update stays at the head of its stream until the scheduler acknowledges
//    its uuid, and is re-sent with exponential backoff (the retry interval, doubling, at most
//    10 minutes) until then, and once more whenever the link to the master comes back (the
//    backoff starting over from the retry interval);
//  - in order: only the head of a stream is ever sent; the next goes out when it is acked;
//  - nothing after the end: a stream refuses updates once its terminal update is queued, and
//    disappears once that update is acknowledged;
//  - durable when asked: a checkpointing stream hands each update, and each acknowledgement,
//    to the checkpoint hook before it is sent or forgotten;
//  - it knows which update of a task a master was last sent (lastSent()), which the agent
//    reports when it registers again, as Mesos's agent reports status_update_state and uuid.
// It knows nothing of executors, the master link or disk: those reach it through Hooks, and time
// through Timers, so it runs in virtual time (tests/unit/agent/status_update_manager_test.cc).
// Single-threaded: every call on the agent's loop thread.

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include <mesos/v1/mesos.pb.h>

#include "runtime/timers.h"

namespace plateau::agent {

class StatusUpdateManager {
 public:
  struct Hooks {
    // Sends the head of a stream to the master; called only while connected.
    std::function<void(const std::string& framework_id, const mesos::v1::TaskStatus& status,
                       mesos::v1::TaskState latest)>
        forward;
    // For checkpointing streams: the update must be on disk before it is sent...
    std::function<void(const std::string& framework_id, const std::string& executor_id,
                       const mesos::v1::TaskStatus& status)>
        checkpoint_update;
    // ...and the acknowledgement before the update is forgotten.
    std::function<void(const std::string& framework_id, const std::string& executor_id,
                       const std::string& task_id, const std::string& uuid)>
        checkpoint_ack;
  };

  StatusUpdateManager(Timers& timers, std::chrono::nanoseconds retry_interval, Hooks hooks);
  ~StatusUpdateManager();
  StatusUpdateManager(const StatusUpdateManager&) = delete;
  StatusUpdateManager& operator=(const StatusUpdateManager&) = delete;

  // Whether the master link is up. While it is down nothing is sent (retry timers keep running);
  // when it comes up, the head of every stream is sent again.
  void setConnected(bool connected);

  // Queues `status` on its task's stream and sends it if it is the head. `executor_id` and
  // `checkpoint` are taken when the stream starts. False, with nothing queued, when the stream's
  // terminal update is still unacknowledged.
  bool update(const std::string& framework_id, const std::string& executor_id,
              mesos::v1::TaskStatus status, bool checkpoint);

  // A stream restored from checkpoints by a restarted agent: `pending` (oldest first) waits for
  // the link to the master; `acknowledged` holds the uuids already acknowledged.
  void recover(const std::string& framework_id, const std::string& executor_id,
               const std::string& task_id, mesos::v1::TaskState latest,
               std::set<std::string> acknowledged, std::deque<mesos::v1::TaskStatus> pending);

  struct Acknowledged {
    mesos::v1::TaskStatus status;  // the update the scheduler acknowledged
    std::string executor_id;       // its stream's executor
    bool checkpoint = false;       // its stream checkpoints
    bool stream_ended = false;     // it was terminal and the last: the stream is gone
  };
  // Acknowledges the head of a task's stream when `uuid` is its uuid, and sends the next one.
  // Nullopt, changing nothing, for any other uuid (a duplicate or stale acknowledgement).
  std::optional<Acknowledged> acknowledge(const std::string& framework_id,
                                          const std::string& task_id, const std::string& uuid);

  // The state and uuid of the task's update that a master was last sent: the head of its stream
  // once forwarded, or else the latest acknowledged one. For a stream recovered from checkpoints
  // (nothing sent since the restart): the head when updates are pending, else the latest state
  // with no uuid (which update was acknowledged last is not kept). Nullopt for a task whose
  // stream never sent anything, or that has no stream.
  struct Sent {
    mesos::v1::TaskState state = mesos::v1::TASK_STAGING;
    std::string uuid;  // empty when unknown
  };
  std::optional<Sent> lastSent(const std::string& framework_id, const std::string& task_id) const;

  // Whether `uuid` waits in the task's stream / was acknowledged on it.
  bool isPending(const std::string& framework_id, const std::string& task_id,
                 const std::string& uuid) const;
  bool wasAcknowledged(const std::string& framework_id, const std::string& task_id,
                       const std::string& uuid) const;
  // Whether a checkpointing stream of this executor still waits for acknowledgements.
  bool hasPendingCheckpointed(const std::string& framework_id,
                              const std::string& executor_id) const;

  // Drops a framework's streams (its updates will never be acknowledged), or every stream.
  void removeFramework(const std::string& framework_id);
  void clear();

  size_t streams() const { return streams_.size(); }

 private:
  struct Stream {
    std::string framework_id;
    std::string executor_id;
    bool checkpoint = false;
    std::set<std::string> acknowledged;
    std::deque<mesos::v1::TaskStatus> pending;
    mesos::v1::TaskState latest = mesos::v1::TASK_STAGING;
    std::optional<Sent> sent;  // see lastSent()
    Timers::TimerId retry_timer = 0;
    std::chrono::nanoseconds backoff{0};
  };

  static std::string key(const std::string& framework_id, const std::string& task_id);
  const Stream* find(const std::string& framework_id, const std::string& task_id) const;
  // Sends the stream's head (when connected) and arms its retry.
  void forward(const std::string& key);
  void cancelRetry(Stream& stream);

  Timers& timers_;
  const std::chrono::nanoseconds retry_interval_;
  const Hooks hooks_;
  bool connected_ = false;
  std::unordered_map<std::string, Stream> streams_;  // key: framework id + '/' + task id
};

}  // namespace plateau::agent
