#include "jobs/scheduler.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "jobs/run_record.h"

namespace plateau::jobs {

namespace {

// The task of one run: the job, and the environment Chronos gives its tasks plus Plateau's.
LaunchSpec launchSpecFor(const Job& j, const Run& run) {
  LaunchSpec spec{
      .job = j, .task_id = run.task_id, .arguments = run.arguments.value_or(j.arguments)};
  spec.environment["mesos_task_id"] = run.task_id;
  spec.environment["CHRONOS_JOB_NAME"] = j.name;
  spec.environment["CHRONOS_JOB_OWNER"] = j.owner;
  spec.environment["CHRONOS_RESOURCE_CPU"] = fmt::format("{}", j.cpus);
  spec.environment["CHRONOS_RESOURCE_MEM"] = fmt::format("{}", j.mem);
  spec.environment["CHRONOS_RESOURCE_DISK"] = fmt::format("{}", j.disk);
  spec.environment["PLATEAU_JOB_ATTEMPT"] = std::to_string(run.attempt);
  spec.environment["PLATEAU_JOB_TRIGGER"] = std::string(triggerName(run.trigger));
  if (run.scheduled > 0) {
    spec.environment["PLATEAU_JOB_SCHEDULED_TIME"] = formatTimestamp(run.scheduled);
    spec.environment["PLATEAU_JOB_SCHEDULED_EPOCH"] = fmt::format("{:.3f}", run.scheduled);
  }
  return spec;
}

}  // namespace

Scheduler::Scheduler(const Clock& clock, Timers& timers, service::KvStore& store, Driver& driver,
                     std::shared_ptr<spdlog::logger> log, SchedulerOptions options)
    : clock_(clock),
      timers_(timers),
      store_(store),
      driver_(driver),
      log_(std::move(log)),
      options_(options) {}

Scheduler::~Scheduler() {
  *alive_ = false;
  if (wake_timer_ != 0) {
    timers_.cancel(wake_timer_);
  }
  if (reconcile_timer_ != 0) {
    timers_.cancel(reconcile_timer_);
  }
}

service::Write Scheduler::writeOf(const Run& run) const {
  return {runKey(run.job, run.seq), storeRun(run)};
}

service::Write Scheduler::writeOf(const Job& job) const {
  return {jobKey(job.name), storeJob(job)};
}

bool Scheduler::commit(const Writes& writes, std::string_view what) {
  if (writes.empty()) {
    return true;
  }
  Status s = store_.apply(writes);
  if (!s.isOk()) {
    log_->error("state_write_failed what={} error=\"{}\"", what, s.message());
    return false;
  }
  return true;
}

Status Scheduler::recover() {
  auto fid = store_.load(std::string(kFrameworkIdKey));
  if (!fid) {
    return fid.error();
  }
  if (auto it = fid->find(std::string(kFrameworkIdKey)); it != fid->end()) {
    framework_id_ = it->second;
  }
  auto jobs = store_.load(std::string(kJobPrefix));
  if (!jobs) {
    return jobs.error();
  }
  for (const auto& [key, value] : *jobs) {
    auto job = loadJob(value);
    if (!job) {
      log_->warn("stored_job_unreadable key={} error=\"{}\"", key, job.error().message());
      continue;
    }
    jobs_[job->name] = std::move(*job);
  }
  auto runs = store_.load(std::string(kRunPrefix));
  if (!runs) {
    return runs.error();
  }
  for (const auto& [key, value] : *runs) {
    auto run = loadRun(value);
    if (!run) {
      log_->warn("stored_run_unreadable key={}", key);
      continue;
    }
    next_seq_ = std::max(next_seq_, run->seq + 1);
    if (!run->task_id.empty()) {
      by_task_[run->task_id] = {run->job, run->seq};
    }
    runs_[run->job][run->seq] = std::move(*run);
  }
  log_->info("jobs_recovered jobs={} runs={} framework_id={}", jobs_.size(), runs->size(),
             framework_id_);
  auto alive = alive_;
  reconcile_timer_ = timers_.every(options_.reconciliation_interval, [this, alive] {
    if (*alive && connected_) {
      reconcileActive();
    }
  });
  evaluate();
  return {};
}

const Job* Scheduler::job(const std::string& name) const {
  auto it = jobs_.find(name);
  return it == jobs_.end() ? nullptr : &it->second;
}

std::vector<const Run*> Scheduler::runsOf(const std::string& name) const {
  std::vector<const Run*> out;
  if (auto it = runs_.find(name); it != runs_.end()) {
    for (const auto& [seq, run] : it->second) {
      out.push_back(&run);
    }
  }
  return out;
}

double Scheduler::epsilonOf(const Job& job) const {
  return epsilonSeconds(job, options_.default_epsilon_seconds);
}

Run& Scheduler::newRun(const Job& job, Trigger trigger, double scheduled, int attempt,
                       RunState state, Writes& writes) {
  double now = wall();
  Run r;
  r.seq = next_seq_++;
  r.job = job.name;
  r.trigger = trigger;
  r.scheduled = scheduled;
  r.attempt = attempt;
  r.state = state;
  r.created = now;
  if (state != RunState::kSkipped) {
    r.task_id = taskIdFor(job.name, scheduled > 0 ? scheduled : now, attempt, r.seq);
    by_task_[r.task_id] = {job.name, r.seq};
  }
  Run& stored = runs_[job.name][r.seq] = std::move(r);
  writes.push_back(writeOf(stored));
  return stored;
}

void Scheduler::advance(Job& job) {
  if (job.runs_left) {
    *job.runs_left -= 1;
    if (*job.runs_left <= 0) {
      job.next_due = 0;
      return;
    }
  }
  auto s = jobSchedule(job, job.next_due);
  if (!s) {
    job.next_due = 0;
    return;
  }
  double next = nextAfter(*s, job.next_due);
  job.next_due = next > job.next_due ? next : 0;
}

// Moves the schedule past every time before `until` without recording each (for a new or
// changed job, and for a long outage with a short period).
void Scheduler::fastForward(Job& job, double until) {
  auto s = jobSchedule(job, job.next_due);
  if (!s) {
    job.next_due = 0;
    return;
  }
  bool fixed = !s->cron && s->period.years == 0 && s->period.months == 0 && s->period.days == 0;
  if (fixed && job.next_due > 0 && job.next_due < until) {
    auto steps = static_cast<int64_t>(std::floor((until - job.next_due) / s->period.seconds));
    if (job.runs_left) {
      steps = std::min(steps, *job.runs_left);
      *job.runs_left -= steps;
    }
    job.skipped_count += steps;
    job.next_due += static_cast<double>(steps) * s->period.seconds;
    if (job.runs_left && *job.runs_left <= 0) {
      job.next_due = 0;
    }
  }
  for (int i = 0; i < 1'000'000 && job.next_due > 0 && job.next_due < until; ++i) {
    job.skipped_count += 1;
    advance(job);
  }
}

void Scheduler::takeDueTimes(Job& job, double now, Writes& writes) {
  if (!job.scheduled() || job.next_due <= 0 || job.next_due > now) {
    return;
  }
  double eps = epsilonOf(job);
  int recorded = 0;
  while (job.next_due > 0 && job.next_due <= now) {
    double t = job.next_due;
    if (job.disabled) {
      advance(job);
      continue;
    }
    if (now - t > eps) {
      if (recorded >= static_cast<int>(options_.history_limit)) {
        fastForward(job, now - eps);
        continue;
      }
      Run& r = newRun(job, Trigger::kSchedule, t, 0, RunState::kSkipped, writes);
      r.ended = now;
      r.message = fmt::format("missed by {:.3f}s, beyond epsilon {}s", now - t, eps);
      writes.back() = writeOf(r);
      job.skipped_count += 1;
      ++recorded;
      log_->warn("job_run_skipped job={} scheduled={} late_s={:.3f}", job.name, formatTimestamp(t),
                 now - t);
    } else {
      newRun(job, Trigger::kSchedule, t, 0, RunState::kQueued, writes);
      log_->info("job_run_due job={} scheduled={}", job.name, formatTimestamp(t));
    }
    advance(job);
  }
  writes.push_back(writeOf(job));
}

bool Scheduler::busy(const std::string& name) const {
  auto it = runs_.find(name);
  if (it == runs_.end()) {
    return false;
  }
  return std::any_of(it->second.begin(), it->second.end(),
                     [](const auto& p) { return p.second.active(); });
}

bool Scheduler::launchable(const Run& run, double now) const {
  if (run.state != RunState::kQueued &&
      !(run.state == RunState::kRetryWait && run.not_before <= now)) {
    return false;
  }
  const Job* j = job(run.job);
  if (j == nullptr || (j->disabled && run.trigger != Trigger::kManual)) {
    return false;
  }
  return j->concurrent || !busy(run.job);
}

bool Scheduler::dueSoon(double now) const {
  double lead = std::chrono::duration<double>(options_.offer_lead).count();
  return std::any_of(jobs_.begin(), jobs_.end(), [&](const auto& p) {
    const Job& j = p.second;
    return !j.disabled && j.next_due > 0 && j.next_due - now <= lead;
  });
}

void Scheduler::evaluate() {
  double now = wall();
  Writes writes;
  for (auto& [name, job] : jobs_) {
    takeDueTimes(job, now, writes);
  }
  for (auto& [name, runs] : runs_) {
    const Job* j = job(name);
    double eps = j != nullptr ? epsilonOf(*j) : options_.default_epsilon_seconds;
    for (auto& [seq, run] : runs) {
      if (run.state == RunState::kQueued && run.trigger == Trigger::kSchedule && run.attempt == 0 &&
          now - run.scheduled > eps) {
        run.state = RunState::kSkipped;
        run.ended = now;
        run.message = fmt::format("not launched within epsilon {}s (no offer fitted)", eps);
        writes.push_back(writeOf(run));
        if (auto it = jobs_.find(name); it != jobs_.end()) {
          it->second.skipped_count += 1;
          writes.push_back(writeOf(it->second));
        }
        log_->warn("job_run_skipped job={} scheduled={} reason=no_launch_within_epsilon", name,
                   formatTimestamp(run.scheduled));
      }
    }
  }
  for (auto& [name, runs] : runs_) {
    trim(name, writes);
  }
  commit(writes, "evaluate");
  launchOnHeld();
  updateOffersWanted(false);
  arm();
}

void Scheduler::trim(const std::string& name, Writes& writes) {
  auto it = runs_.find(name);
  if (it == runs_.end()) {
    return;
  }
  size_t finished = 0;
  for (const auto& [seq, run] : it->second) {
    finished += run.done() ? 1 : 0;
  }
  for (auto r = it->second.begin(); finished > options_.history_limit && r != it->second.end();) {
    if (r->second.done()) {
      writes.push_back({runKey(name, r->first), std::nullopt});
      by_task_.erase(r->second.task_id);
      r = it->second.erase(r);
      --finished;
    } else {
      ++r;
    }
  }
}

std::vector<Run*> Scheduler::readyRuns(double now) {
  std::vector<Run*> ready;
  for (auto& [name, runs] : runs_) {
    for (auto& [seq, run] : runs) {
      if (run.waiting() && (run.state == RunState::kQueued || run.not_before <= now) &&
          jobs_.contains(run.job)) {
        ready.push_back(&run);
      }
    }
  }
  std::stable_sort(ready.begin(), ready.end(), [this](const Run* a, const Run* b) {
    bool ha = jobs_.at(a->job).high_priority;
    bool hb = jobs_.at(b->job).high_priority;
    if (ha != hb) {
      return ha;
    }
    return a->created < b->created;
  });
  return ready;
}

void Scheduler::launchOnHeld() {
  if (!connected_ || held_.empty()) {
    return;
  }
  double now = wall();
  std::vector<Run*> ready = readyRuns(now);
  if (ready.empty()) {
    return;
  }
  std::vector<OfferView> still_held;
  for (auto& offer : held_) {
    std::vector<LaunchSpec> specs;
    std::vector<Run*> taken;
    double cpus = offer.cpus;
    double mem = offer.mem;
    double disk = offer.disk;
    for (Run* run : ready) {
      if (!run->waiting() || !launchable(*run, now)) {
        continue;
      }
      const Job& j = jobs_.at(run->job);
      if (j.cpus > cpus + 1e-9 || j.mem > mem + 1e-9 || j.disk > disk + 1e-9 ||
          !constraintsMatch(j, offer)) {
        continue;
      }
      cpus -= j.cpus;
      mem -= j.mem;
      disk -= j.disk;
      run->state = RunState::kStaging;
      run->launched = now;
      run->agent_id = offer.agent_id;
      run->hostname = offer.hostname;
      taken.push_back(run);
      specs.push_back(launchSpecFor(j, *run));
    }
    if (specs.empty()) {
      still_held.push_back(offer);
      continue;
    }
    Writes writes;
    for (Run* run : taken) {
      writes.push_back(writeOf(*run));
    }
    // Stored as STAGING before the task is sent: a restart reconciles it, never resends it.
    bool sent = commit(writes, "launch") && driver_.launch(offer.id, specs);
    for (Run* run : taken) {
      if (sent) {
        log_->info("job_run_launched job={} task_id={} agent_id={} late_s={:.3f}", run->job,
                   run->task_id, run->agent_id, run->scheduled > 0 ? now - run->scheduled : 0.0);
      } else {
        run->state = run->attempt > 0 ? RunState::kRetryWait : RunState::kQueued;
        run->launched = 0;
        run->agent_id.clear();
        run->hostname.clear();
      }
    }
    if (!sent) {
      Writes revert;
      for (Run* run : taken) {
        revert.push_back(writeOf(*run));
      }
      commit(revert, "launch_revert");
    }
  }
  held_ = std::move(still_held);
}

void Scheduler::updateOffersWanted(bool force) {
  if (!connected_) {
    return;
  }
  double now = wall();
  bool wanted = dueSoon(now);
  for (const auto& [name, runs] : runs_) {
    for (const auto& [seq, run] : runs) {
      wanted = wanted || launchable(run, now);
    }
  }
  if (!wanted && !held_.empty()) {
    for (const auto& offer : held_) {
      driver_.decline(offer.id, options_.decline_seconds);
    }
    held_.clear();
  }
  if (force || offers_wanted_ != wanted) {
    offers_wanted_ = wanted;
    driver_.wantOffers(wanted);
    log_->debug("offers_wanted value={}", wanted);
  }
}

void Scheduler::arm() {
  double now = wall();
  double lead = std::chrono::duration<double>(options_.offer_lead).count();
  std::optional<double> next;
  auto consider = [&](double t) {
    if (t > now && (!next || t < *next)) {
      next = t;
    }
  };
  for (const auto& [name, job] : jobs_) {
    if (job.next_due > 0 && !job.disabled) {
      consider(job.next_due - lead);
      consider(job.next_due);
    } else if (job.next_due > 0) {
      consider(job.next_due);
    }
  }
  for (const auto& [name, runs] : runs_) {
    const Job* j = job(name);
    double eps = j != nullptr ? epsilonOf(*j) : options_.default_epsilon_seconds;
    for (const auto& [seq, run] : runs) {
      if (run.state == RunState::kRetryWait) {
        consider(run.not_before);
      } else if (run.state == RunState::kQueued && run.trigger == Trigger::kSchedule) {
        consider(run.scheduled + eps + 0.001);
      }
    }
  }
  if (wake_timer_ != 0) {
    timers_.cancel(wake_timer_);
    wake_timer_ = 0;
  }
  if (!next) {
    return;
  }
  auto delay = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(*next - now));
  auto alive = alive_;
  wake_timer_ = timers_.after(delay, [this, alive] {
    if (*alive) {
      wake_timer_ = 0;
      evaluate();
    }
  });
}

void Scheduler::onSubscribed(const std::string& framework_id) {
  connected_ = true;
  held_.clear();
  if (framework_id != framework_id_) {
    framework_id_ = framework_id;
    commit({{std::string(kFrameworkIdKey), framework_id}}, "framework_id");
  }
  reconcileActive();
  updateOffersWanted(true);
  evaluate();
}

void Scheduler::onDisconnected() {
  connected_ = false;
  held_.clear();
  offers_wanted_.reset();
}

void Scheduler::reconcileActive() {
  std::vector<std::pair<std::string, std::string>> tasks;
  for (const auto& [name, runs] : runs_) {
    for (const auto& [seq, run] : runs) {
      if (run.taskAlive()) {
        tasks.emplace_back(run.task_id, run.agent_id);
      }
    }
  }
  if (!tasks.empty()) {
    driver_.reconcile(tasks);
  }
}

void Scheduler::onOffers(std::vector<OfferView> offers) {
  for (auto& o : offers) {
    held_.push_back(std::move(o));
  }
  launchOnHeld();
  trimHeld();
  updateOffersWanted(false);
}

// Keeps only as many held offers as the runs falling due within the lead need (all of them
// when one of those jobs has constraints, which an offer may not meet); declines the rest.
void Scheduler::trimHeld() {
  double now = wall();
  double lead = std::chrono::duration<double>(options_.offer_lead).count();
  double cpus = 0;
  double mem = 0;
  double disk = 0;
  bool constrained = false;
  for (const auto& [name, j] : jobs_) {
    if (!j.disabled && j.next_due > 0 && j.next_due - now <= lead) {
      cpus += j.cpus;
      mem += j.mem;
      disk += j.disk;
      constrained = constrained || !j.constraints.empty();
    }
  }
  bool any = cpus > 0 || mem > 0 || disk > 0 || constrained || dueSoon(now);
  std::vector<OfferView> keep;
  double held_cpus = 0;
  double held_mem = 0;
  double held_disk = 0;
  for (auto& offer : held_) {
    bool enough = held_cpus >= cpus && held_mem >= mem && held_disk >= disk && !keep.empty();
    if (!any || (enough && !constrained)) {
      driver_.decline(offer.id, options_.decline_seconds);
      continue;
    }
    held_cpus += offer.cpus;
    held_mem += offer.mem;
    held_disk += offer.disk;
    keep.push_back(std::move(offer));
  }
  held_ = std::move(keep);
}

void Scheduler::onRescind(const std::string& offer_id) {
  std::erase_if(held_, [&](const OfferView& o) { return o.id == offer_id; });
}

void Scheduler::onStatus(const StatusView& status) {
  auto where = by_task_.find(status.task_id);
  if (where == by_task_.end()) {
    if (!terminalState(status.state)) {
      log_->warn("unknown_task_killed task_id={} state={}", status.task_id, status.state);
      driver_.kill(status.task_id, status.agent_id);
    }
    return;
  }
  auto& [job_name, seq] = where->second;
  auto runs_it = runs_.find(job_name);
  if (runs_it == runs_.end() || !runs_it->second.contains(seq)) {
    return;
  }
  Run& run = runs_it->second.at(seq);
  auto job_it = jobs_.find(job_name);
  if (run.done() || run.state == RunState::kReportWait || job_it == jobs_.end()) {
    return;  // a report-wait run's task has ended: only its report ends the run
  }
  double now = wall();
  Writes writes;
  if (!status.agent_id.empty()) {
    run.agent_id = status.agent_id;
  }
  if (status.state == "TASK_RUNNING") {
    if (run.state != RunState::kRunning) {
      run.state = RunState::kRunning;
      run.started = now;
      writes.push_back(writeOf(run));
      log_->info("job_run_running job={} task_id={} late_s={:.3f}", job_name, run.task_id,
                 run.scheduled > 0 ? now - run.scheduled : 0.0);
    }
  } else if (status.state == "TASK_FINISHED" && job_it->second.async) {
    run.state = RunState::kReportWait;
    run.ended = now;
    run.message = "task finished; waiting for its report (PUT /scheduler/task/" + run.task_id + ")";
    writes.push_back(writeOf(run));
    log_->info("job_run_awaiting_report job={} task_id={}", job_name, run.task_id);
  } else if (status.state == "TASK_FINISHED") {
    run.state = RunState::kFinished;
    run.ended = now;
    run.message = status.message;
    succeed(&run, job_it->second, writes);
  } else if (terminalState(status.state)) {
    run.state = status.state == "TASK_KILLED" ? RunState::kKilled : RunState::kFailed;
    run.ended = now;
    run.message = fmt::format("{}{}{}{}", status.state, status.reason.empty() ? "" : " ",
                              status.reason, status.message.empty() ? "" : ": " + status.message);
    fail(run, job_it->second, writes);
  }
  commit(writes, "status");
  evaluate();
}

void Scheduler::succeed(Run* run, Job& job, Writes& writes) {
  job.success_count += 1;
  job.errors_since_last_success = 0;
  job.last_success = formatTimestamp(wall());
  if (run != nullptr) {
    writes.push_back(writeOf(*run));
    log_->info("job_run_succeeded job={} task_id={}", job.name, run->task_id);
  }
  writes.push_back(writeOf(job));
  triggerChildren(job.name, writes);
}

void Scheduler::triggerChildren(const std::string& parent, Writes& writes) {
  for (auto& [name, child] : jobs_) {
    if (std::find(child.parents.begin(), child.parents.end(), parent) == child.parents.end()) {
      continue;
    }
    child.parents_done.insert(parent);
    bool all = std::all_of(child.parents.begin(), child.parents.end(),
                           [&](const std::string& p) { return child.parents_done.contains(p); });
    if (all) {
      child.parents_done.clear();
      if (!child.disabled) {
        Run& r = newRun(child, Trigger::kDependency, 0, 0, RunState::kQueued, writes);
        log_->info("job_run_triggered job={} by={} task_id={}", name, parent, r.task_id);
      }
    }
    writes.push_back(writeOf(child));
  }
}

void Scheduler::fail(Run& run, Job& job, Writes& writes) {
  writes.push_back(writeOf(run));
  if (!run.kill_requested && run.attempt < job.retries) {
    Run& retry =
        newRun(job, run.trigger, run.scheduled, run.attempt + 1, RunState::kRetryWait, writes);
    retry.not_before = wall() + std::chrono::duration<double>(options_.failure_retry).count();
    retry.arguments = run.arguments;
    writes.back() = writeOf(retry);
    log_->warn("job_run_failed job={} task_id={} attempt={} retry_in_ms={} message=\"{}\"",
               job.name, run.task_id, run.attempt, options_.failure_retry.count(), run.message);
    return;
  }
  job.error_count += 1;
  job.errors_since_last_success += 1;
  job.last_error = formatTimestamp(wall());
  if (options_.disable_after_failures > 0 && !job.soft_error &&
      job.errors_since_last_success >= options_.disable_after_failures) {
    job.disabled = true;
    log_->warn("job_disabled job={} errors_since_last_success={}", job.name,
               job.errors_since_last_success);
  }
  writes.push_back(writeOf(job));
  log_->warn("job_failed job={} task_id={} attempts={} message=\"{}\"", job.name, run.task_id,
             run.attempt + 1, run.message);
}

}  // namespace plateau::jobs
