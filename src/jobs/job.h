#pragma once

// A job in Chronos's JSON: its definition (command, schedule or parents, resources, retries,
// ...), its computed counters (successCount, lastError, ...), and the schedule's progress (the
// next scheduled time and the runs left), which is what makes "at most once per scheduled time"
// survive a restart. Parsing validates everything that does not depend on other jobs; the
// graph (parents exist, no cycle) is checked by the scheduler.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "jobs/schedule.h"

namespace plateau::jobs {

struct EnvVar {
  std::string name;
  std::string value;
};

struct FetchUri {
  std::string uri;
  bool cache = false;
  bool extract = true;
  bool executable = false;
  std::string output_file;
};

// Defaults a job gets for what it does not say (Chronos's --mesos_task_* and --user).
struct JobDefaults {
  double cpus = 0.1;
  double mem = 128;
  double disk = 256;
  std::string user;
};

// Chronos 3.0's `container`: a MESOS or DOCKER container, optionally in an image (run by the
// agent's unified containerizer, docs/images.md), with host networking and host volumes.
struct JobContainer {
  struct Volume {
    std::string container_path;
    std::string host_path;
    std::string mode = "RW";  // RW or RO
  };
  std::string type;  // "", "MESOS" or "DOCKER"
  std::string image;
  std::string network = "HOST";
  bool force_pull_image = false;
  std::vector<Volume> volumes;
};

struct Job {
  // Definition.
  std::string name;
  std::string description;
  std::string command;
  bool shell = true;
  std::vector<std::string> arguments;
  std::string schedule;  // as given; empty for a dependent job
  std::string schedule_time_zone;
  std::vector<std::string> parents;
  std::string epsilon;  // ISO 8601 duration; empty: --task_epsilon
  int retries = 2;
  std::string owner;
  std::string owner_name;
  bool async = false;
  bool disabled = false;
  bool concurrent = false;
  bool soft_error = false;
  bool high_priority = false;
  bool data_job = false;
  double cpus = 0;
  double mem = 0;
  double disk = 0;
  std::string run_as_user;
  std::string executor;
  std::string executor_flags;
  std::string task_info_data;
  std::vector<EnvVar> environment;
  std::vector<std::string> uris;
  std::vector<FetchUri> fetch;
  std::vector<std::vector<std::string>> constraints;
  JobContainer container;  // type "" when the job names none

  // Computed.
  int64_t success_count = 0;
  int64_t error_count = 0;
  int64_t errors_since_last_success = 0;
  int64_t skipped_count = 0;
  std::string last_success;
  std::string last_error;

  // The schedule's progress: the next scheduled time not yet taken (wall seconds; 0: none,
  // the schedule is over or the job is dependent) and the runs left for "Rn".
  double next_due = 0;
  std::optional<int64_t> runs_left;
  // Parents that succeeded since this dependent job last ran.
  std::set<std::string> parents_done;

  bool scheduled() const { return !schedule.empty(); }
};

enum class JobKind { kScheduled, kDependent, kEither };

// A job from a request body. InvalidArgument with a message a user can act on: malformed JSON,
// a field of the wrong type, a bad name (only letters, digits, '-', '_', '.', '#'), a missing
// command, a schedule or epsilon that does not parse, schedule and parents both or neither
// (for the kind), negative resources or retries. `now` resolves an empty schedule start.
Result<Job> parseJob(std::string_view body, JobKind kind, const JobDefaults& defaults, double now);
// The same from the stored form (which adds the computed fields and the progress).
Result<Job> loadJob(std::string_view stored);
// Chronos's JSON for the API.
void writeJob(json::Writer& w, const Job& job, double epsilon_default_seconds);
// The stored form.
std::string storeJob(const Job& job);
// The schedule parsed from the job's text (its start resolved to `now` when empty).
Result<Schedule> jobSchedule(const Job& job, double now);
// The job's epsilon in seconds (`fallback` when it gives none or it does not parse).
double epsilonSeconds(const Job& job, double fallback);
// Whether `name` is a valid job name.
bool validJobName(std::string_view name);

}  // namespace plateau::jobs
