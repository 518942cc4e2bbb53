// The job scheduler's changes asked for through the API: adding, replacing and removing jobs,
// manual runs, marking success and killing a job's tasks (scheduler.h).

#include "jobs/scheduler.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "jobs/run_record.h"

namespace plateau::jobs {

Status Scheduler::putJob(Job job) {
  for (const auto& p : job.parents) {
    if (!jobs_.contains(p)) {
      return {StatusCode::kInvalidArgument, fmt::format("parent job '{}' does not exist", p)};
    }
  }
  // A cycle: the job is an ancestor of one of its new parents.
  std::vector<std::string> stack(job.parents.begin(), job.parents.end());
  std::set<std::string> seen;
  while (!stack.empty()) {
    std::string name = stack.back();
    stack.pop_back();
    if (name == job.name) {
      return {StatusCode::kInvalidArgument,
              fmt::format("parents of '{}' would form a cycle", job.name)};
    }
    if (!seen.insert(name).second) {
      continue;
    }
    if (const Job* j = this->job(name)) {
      stack.insert(stack.end(), j->parents.begin(), j->parents.end());
    }
  }
  double now = wall();
  const Job* old = this->job(job.name);
  if (old != nullptr) {
    job.success_count = old->success_count;
    job.error_count = old->error_count;
    job.errors_since_last_success = old->errors_since_last_success;
    job.skipped_count = old->skipped_count;
    job.last_success = old->last_success;
    job.last_error = old->last_error;
    for (const auto& p : old->parents_done) {
      if (std::find(job.parents.begin(), job.parents.end(), p) != job.parents.end()) {
        job.parents_done.insert(p);
      }
    }
  }
  if (job.scheduled()) {
    if (old != nullptr && old->schedule == job.schedule &&
        old->schedule_time_zone == job.schedule_time_zone && old->scheduled()) {
      job.next_due = old->next_due;
      job.runs_left = old->runs_left;
    } else {
      auto s = jobSchedule(job, now);
      if (!s) {
        return s.error();
      }
      job.runs_left = s->repeats;
      job.next_due = s->repeats && *s->repeats <= 0 ? 0 : s->start;
      // Times already past epsilon when the job arrives are not owed.
      int64_t skipped_before = job.skipped_count;
      fastForward(job, now - epsilonOf(job));
      job.skipped_count = skipped_before;
    }
  } else {
    job.next_due = 0;
    job.runs_left.reset();
  }
  Writes writes{writeOf(job)};
  if (!commit(writes, "put_job")) {
    return {StatusCode::kUnavailable, "the state store failed; the job was not stored"};
  }
  log_->info("job_stored job={} schedule=\"{}\" parents={} next={}", job.name, job.schedule,
             fmt::join(job.parents, ","), job.next_due > 0 ? formatTimestamp(job.next_due) : "-");
  jobs_[job.name] = std::move(job);
  evaluate();
  return {};
}

Status Scheduler::removeJob(const std::string& name) {
  auto it = jobs_.find(name);
  if (it == jobs_.end()) {
    return {StatusCode::kNotFound, fmt::format("Job '{}' not found", name)};
  }
  Job gone = it->second;
  Writes writes{{jobKey(name), std::nullopt}};
  std::vector<Job> changed;
  for (const auto& [child_name, child] : jobs_) {
    if (std::find(child.parents.begin(), child.parents.end(), name) == child.parents.end()) {
      continue;
    }
    Job c = child;
    std::erase(c.parents, name);
    c.parents_done.erase(name);
    if (gone.scheduled()) {
      // As Chronos does: the children of a scheduled job take over its schedule.
      c.parents.clear();
      c.parents_done.clear();
      c.schedule = gone.schedule;
      c.schedule_time_zone = gone.schedule_time_zone;
      c.next_due = gone.next_due;
      c.runs_left = gone.runs_left;
    } else {
      for (const auto& p : gone.parents) {
        if (std::find(c.parents.begin(), c.parents.end(), p) == c.parents.end()) {
          c.parents.push_back(p);
        }
      }
    }
    writes.push_back(writeOf(c));
    changed.push_back(std::move(c));
  }
  std::vector<std::pair<std::string, std::string>> kills;
  if (auto r = runs_.find(name); r != runs_.end()) {
    for (const auto& [seq, run] : r->second) {
      writes.push_back({runKey(name, seq), std::nullopt});
      if (run.taskAlive()) {
        kills.emplace_back(run.task_id, run.agent_id);
      }
    }
  }
  if (!commit(writes, "remove_job")) {
    return {StatusCode::kUnavailable, "the state store failed; the job was not removed"};
  }
  if (auto r = runs_.find(name); r != runs_.end()) {
    for (const auto& [seq, run] : r->second) {
      by_task_.erase(run.task_id);
    }
    runs_.erase(r);
  }
  jobs_.erase(name);
  for (auto& c : changed) {
    jobs_[c.name] = std::move(c);
  }
  for (const auto& [task, agent] : kills) {
    driver_.kill(task, agent);
  }
  log_->info("job_removed job={} tasks_killed={}", name, kills.size());
  evaluate();
  return {};
}

Status Scheduler::runNow(const std::string& name,
                         std::optional<std::vector<std::string>> arguments) {
  auto it = jobs_.find(name);
  if (it == jobs_.end()) {
    return {StatusCode::kNotFound, fmt::format("Job '{}' not found", name)};
  }
  Writes writes;
  Run& r = newRun(it->second, Trigger::kManual, 0, 0, RunState::kQueued, writes);
  r.arguments = std::move(arguments);
  writes.back() = writeOf(r);
  if (!commit(writes, "run_now")) {
    return {StatusCode::kUnavailable, "the state store failed; the run was not queued"};
  }
  log_->info("job_run_requested job={} task_id={}", name, r.task_id);
  evaluate();
  return {};
}

Status Scheduler::markSuccess(const std::string& name) {
  auto it = jobs_.find(name);
  if (it == jobs_.end()) {
    return {StatusCode::kNotFound, fmt::format("Job '{}' not found", name)};
  }
  Writes writes;
  succeed(nullptr, it->second, writes);
  if (!commit(writes, "mark_success")) {
    return {StatusCode::kUnavailable, "the state store failed"};
  }
  evaluate();
  return {};
}

Status Scheduler::killTasks(const std::string& name) {
  auto it = runs_.find(name);
  if (!jobs_.contains(name)) {
    return {StatusCode::kNotFound, fmt::format("Job '{}' not found", name)};
  }
  if (it == runs_.end()) {
    return {};
  }
  Writes writes;
  double now = wall();
  for (auto& [seq, run] : it->second) {
    if (run.state == RunState::kReportWait) {
      run.state = RunState::kKilled;
      run.message = "killed while waiting for its report";
      writes.push_back(writeOf(run));
    } else if (run.active()) {
      run.kill_requested = true;
      writes.push_back(writeOf(run));
      driver_.kill(run.task_id, run.agent_id);
    } else if (run.waiting()) {
      run.state = RunState::kKilled;
      run.ended = now;
      run.message = "killed before launch";
      writes.push_back(writeOf(run));
    }
  }
  commit(writes, "kill_tasks");
  evaluate();
  return {};
}

Status Scheduler::reportTask(const std::string& task_id, int status_code) {
  auto where = by_task_.find(task_id);
  if (where == by_task_.end()) {
    return {StatusCode::kNotFound, fmt::format("Task '{}' not found", task_id)};
  }
  auto& [job_name, seq] = where->second;
  auto job_it = jobs_.find(job_name);
  auto runs_it = runs_.find(job_name);
  if (job_it == jobs_.end() || runs_it == runs_.end() || !runs_it->second.contains(seq)) {
    return {StatusCode::kNotFound, fmt::format("Task '{}' not found", task_id)};
  }
  Run& run = runs_it->second.at(seq);
  if (!job_it->second.async || !run.active()) {
    return {StatusCode::kFailedPrecondition,
            fmt::format("Task '{}' is not a running or finished task of an async job awaiting its "
                        "report",
                        task_id)};
  }
  double now = wall();
  if (run.ended <= 0) {
    run.ended = now;
  }
  Writes writes;
  log_->info("job_run_reported job={} task_id={} status_code={}", job_name, task_id, status_code);
  if (status_code == 0) {
    run.state = RunState::kFinished;
    run.message = "reported success";
    succeed(&run, job_it->second, writes);
  } else {
    run.state = RunState::kFailed;
    run.message = fmt::format("reported statusCode {}", status_code);
    fail(run, job_it->second, writes);
  }
  commit(writes, "report");
  evaluate();
  return {};
}

}  // namespace plateau::jobs
