#pragma once

// The heart of plateau-jobs: jobs and their runs, kept durable in a KvStore, and the decisions
// of a fault-tolerant cron. A state machine over a Clock and Timers with no sockets and no
// protobuf; the shell (framework.h) turns its Driver calls into scheduler calls and feeds
// offers and status updates back. Loop thread only.
//
// Guarantees:
//  1. Each scheduled time of a job becomes at most one run (per attempt): the run is stored,
//     and the job's schedule moves past that time, in one atomic write before anything is
//     launched; a run is stored as STAGING before its task is sent. After a restart, runs
//     that were sent are reconciled with the master, never sent again.
//  2. A scheduled time is taken up to `epsilon` late (the job's, or the default); later than
//     that, or not launched by then, it is recorded as SKIPPED.
//  3. A failed run is retried `retries` times, each after `failure_retry`; then the job
//     records the error (and is disabled after `disable_after_failures` errors in a row).
//  4. A job with a run staging or running starts no other unless `concurrent`.
//  5. A dependent job runs once each time all of its parents have succeeded since its last
//     run.
//  6. Offers are wanted (REVIVE) only while a run can launch or a scheduled time is within
//     `offer_lead`; otherwise SUPPRESS. Offers received within that lead are held (as many as
//     the runs due need), so a run starts at its time rather than at the next allocation.
//  7. A disabled job's scheduled and dependent runs do not launch (a manual run does).
//  8. An `async` job's run does not end with its task, as in Chronos 2.x: when the task
//     finishes the run waits (REPORT_WAIT, still counting as active) for a completion report
//     (reportTask, Chronos's PUT /scheduler/task/{taskId}); a failed task fails at once.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "common/status.h"
#include "jobs/job.h"
#include "runtime/clock.h"
#include "runtime/timers.h"
#include "service/kv_store.h"

namespace plateau::jobs {

// What the scheduler reads of an offer.
struct OfferView {
  std::string id;
  std::string agent_id;
  std::string hostname;
  double cpus = 0;
  double mem = 0;
  double disk = 0;
  std::map<std::string, std::string> attributes;  // text form of each attribute
};

// One task to launch.
struct LaunchSpec {
  Job job;
  std::string task_id;
  std::vector<std::string> arguments;
  std::map<std::string, std::string> environment;  // added to the job's
};

// What the scheduler asks of the scheduler connection.
class Driver {
 public:
  virtual ~Driver() = default;
  // ACCEPT the offer with these tasks; false when nothing was sent (the offer is gone).
  virtual bool launch(const std::string& offer_id, const std::vector<LaunchSpec>& tasks) = 0;
  virtual void decline(const std::string& offer_id, double refuse_seconds) = 0;
  virtual void kill(const std::string& task_id, const std::string& agent_id) = 0;
  // REVIVE when true, SUPPRESS when false.
  virtual void wantOffers(bool wanted) = 0;
  // RECONCILE these (task id, agent id) pairs.
  virtual void reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) = 0;
};

struct StatusView {
  std::string task_id;
  std::string agent_id;
  std::string state;  // TaskState name
  std::string message;
  std::string reason;
};

enum class RunState {
  kQueued,
  kRetryWait,
  kStaging,
  kRunning,
  kFinished,
  kFailed,
  kKilled,
  kSkipped,
  kReportWait  // an async job's task finished; the run waits for its completion report
};
enum class Trigger { kSchedule, kManual, kDependency };

std::string_view runStateName(RunState s);
std::string_view triggerName(Trigger t);

// One run of a job: one task (or none, when skipped).
struct Run {
  uint64_t seq = 0;
  std::string job;
  std::string task_id;
  Trigger trigger = Trigger::kSchedule;
  double scheduled = 0;  // the scheduled time it stands for (kSchedule), else 0
  int attempt = 0;       // 0 for the first try, n for the nth retry
  RunState state = RunState::kQueued;
  double created = 0;
  double not_before = 0;  // kRetryWait: when it may launch
  double launched = 0;
  double started = 0;
  double ended = 0;
  std::string agent_id;
  std::string hostname;
  std::string message;
  std::optional<std::vector<std::string>> arguments;  // PUT job/{name}?arguments=
  bool kill_requested = false;

  // Holds the job (not concurrent): a task staging or running, or awaiting its report.
  bool active() const { return taskAlive() || state == RunState::kReportWait; }
  // Its task is on an agent (or on its way).
  bool taskAlive() const { return state == RunState::kStaging || state == RunState::kRunning; }
  bool waiting() const { return state == RunState::kQueued || state == RunState::kRetryWait; }
  bool done() const { return !active() && !waiting(); }
};

struct SchedulerOptions {
  double default_epsilon_seconds = 60;
  std::chrono::milliseconds failure_retry{60000};
  std::chrono::milliseconds offer_lead{2000};
  double decline_seconds = 5;
  size_t history_limit = 100;  // finished runs kept per job
  int disable_after_failures = 0;
  std::chrono::milliseconds reconciliation_interval{600000};
};

class Scheduler {
 public:
  Scheduler(const Clock& clock, Timers& timers, service::KvStore& store, Driver& driver,
            std::shared_ptr<spdlog::logger> log, SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Loads jobs, runs and the framework id; starts the timers.
  Status recover();
  std::string frameworkId() const { return framework_id_; }

  // Adds or replaces a job. InvalidArgument for a parent that does not exist or a cycle;
  // Unavailable when the store fails. Nothing changes unless it returns OK. A replaced job
  // keeps its counters and runs, and its schedule's progress when the schedule is unchanged.
  Status putJob(Job job);
  // NotFound, or removes the job (its children are re-parented as Chronos does) and kills
  // its tasks.
  Status removeJob(const std::string& name);
  // Queues a run now (PUT job/{name}); NotFound.
  Status runNow(const std::string& name, std::optional<std::vector<std::string>> arguments);
  // Counts a success and triggers dependents, as if a run had finished; NotFound.
  Status markSuccess(const std::string& name);
  // Kills the job's tasks and drops its waiting runs; NotFound.
  Status killTasks(const std::string& name);
  // An async job's completion report for the run of `task_id`: status 0 succeeds it, any
  // other fails it (with retries, as a failed task). NotFound for an unknown task;
  // FailedPrecondition for a run that is not an async job's, or has already ended.
  Status reportTask(const std::string& task_id, int status_code);

  // The scheduler connection's side.
  void onSubscribed(const std::string& framework_id);
  void onDisconnected();
  void onOffers(std::vector<OfferView> offers);
  void onRescind(const std::string& offer_id);
  void onStatus(const StatusView& status);

  // Views.
  const std::map<std::string, Job>& jobs() const { return jobs_; }
  const Job* job(const std::string& name) const;
  // The job's runs, oldest first.
  std::vector<const Run*> runsOf(const std::string& name) const;
  double epsilonOf(const Job& job) const;
  bool connected() const { return connected_; }
  bool offersWanted() const { return offers_wanted_.value_or(false); }
  size_t heldOffers() const { return held_.size(); }
  double defaultEpsilon() const { return options_.default_epsilon_seconds; }

  // Runs the decisions now (they also run on every event and at every due time).
  void evaluate();

 private:
  using Writes = std::vector<service::Write>;

  Run& newRun(const Job& job, Trigger trigger, double scheduled, int attempt, RunState state,
              Writes& writes);
  void takeDueTimes(Job& job, double now, Writes& writes);
  void fastForward(Job& job, double until);
  void advance(Job& job);
  void succeed(Run* run, Job& job, Writes& writes);
  void fail(Run& run, Job& job, Writes& writes);
  void triggerChildren(const std::string& parent, Writes& writes);
  bool launchable(const Run& run, double now) const;
  bool busy(const std::string& job) const;
  // The runs that may launch now: high-priority jobs first, then oldest first.
  std::vector<Run*> readyRuns(double now);
  void launchOnHeld();
  void trimHeld();
  void updateOffersWanted(bool force);
  void arm();
  void trim(const std::string& job, Writes& writes);
  bool commit(const Writes& writes, std::string_view what);
  void reconcileActive();
  service::Write writeOf(const Run& run) const;
  service::Write writeOf(const Job& job) const;
  bool dueSoon(double now) const;
  double wall() const { return clock_.wallSeconds(); }

  const Clock& clock_;
  Timers& timers_;
  service::KvStore& store_;
  Driver& driver_;
  std::shared_ptr<spdlog::logger> log_;
  SchedulerOptions options_;

  std::string framework_id_;
  std::map<std::string, Job> jobs_;
  std::map<std::string, std::map<uint64_t, Run>> runs_;              // job -> seq -> run
  std::map<std::string, std::pair<std::string, uint64_t>> by_task_;  // task id -> (job, seq)
  std::vector<OfferView> held_;
  uint64_t next_seq_ = 1;
  bool connected_ = false;
  std::optional<bool> offers_wanted_;
  Timers::TimerId wake_timer_ = 0;
  Timers::TimerId reconcile_timer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Chronos's task id: "ct:<milliseconds>:<attempt>:<job>:<seq>".
std::string taskIdFor(const std::string& job, double when, int attempt, uint64_t seq);
// Whether the offer's attributes satisfy the job's constraints (EQUALS, LIKE, UNLIKE; the
// hostname is an attribute unless the agent has one of that name).
bool constraintsMatch(const Job& job, const OfferView& offer);

}  // namespace plateau::jobs
