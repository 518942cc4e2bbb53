#include "jobs/job.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "common/json_fields.h"

namespace plateau::jobs {

namespace {

Status bad(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

// Reads the fields of one JSON object, remembering the first type error.
class Fields {
 public:
  explicit Fields(const json::Value& v) : v_(v) {}

  void str(std::string_view key, std::string& out) {
    const json::Value* f = v_.find(key);
    if (f == nullptr || f->isNull()) {
      return;
    }
    if (!f->isString()) {
      fail(key, "a string");
      return;
    }
    out = f->asString();
  }
  void boolean(std::string_view key, bool& out) {
    const json::Value* f = v_.find(key);
    if (f == nullptr || f->isNull()) {
      return;
    }
    if (f->isBool()) {
      out = f->asBool();
    } else if (f->isString() && (f->asString() == "true" || f->asString() == "false")) {
      out = f->asString() == "true";
    } else {
      fail(key, "a boolean");
    }
  }
  // Chronos accepts numbers written as strings ("cpus": "0.5").
  void number(std::string_view key, double& out) {
    const json::Value* f = v_.find(key);
    if (f == nullptr || f->isNull()) {
      return;
    }
    if (f->isNumber()) {
      out = f->asDouble();
      return;
    }
    if (f->isString() && !f->asString().empty()) {
      char* end = nullptr;
      double v = std::strtod(f->asString().c_str(), &end);
      if (end != nullptr && *end == '\0' && std::isfinite(v)) {
        out = v;
        return;
      }
    }
    fail(key, "a number");
  }
  void integer(std::string_view key, int64_t& out) {
    double v = static_cast<double>(out);
    number(key, v);
    if (v != std::floor(v)) {
      fail(key, "an integer");
      return;
    }
    out = static_cast<int64_t>(v);
  }
  void strings(std::string_view key, std::vector<std::string>& out) {
    const json::Value* f = v_.find(key);
    if (f == nullptr || f->isNull()) {
      return;
    }
    if (!f->isArray()) {
      fail(key, "an array of strings");
      return;
    }
    out.clear();
    for (const auto& e : f->asArray()) {
      if (!e.isString()) {
        fail(key, "an array of strings");
        return;
      }
      out.push_back(e.asString());
    }
  }
  const json::Value* find(std::string_view key) const {
    const json::Value* f = v_.find(key);
    return f == nullptr || f->isNull() ? nullptr : f;
  }
  void fail(std::string_view key, std::string_view what) {
    if (error_.empty()) {
      error_ = fmt::format("'{}' must be {}", key, what);
    }
  }
  const std::string& error() const { return error_; }

 private:
  const json::Value& v_;
  std::string error_;
};

// Chronos 3.0's container object: {"type", "image", "network", "forcePullImage", "volumes"}.
void readContainer(Fields& outer, JobContainer& out) {
  const json::Value* c = outer.find("container");
  if (c == nullptr) {
    return;
  }
  if (!c->isObject()) {
    outer.fail("container", "an object");
    return;
  }
  Fields f(*c);
  f.str("type", out.type);
  f.str("image", out.image);
  f.str("network", out.network);
  f.boolean("forcePullImage", out.force_pull_image);
  for (auto& ch : out.type) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  if (out.type.empty()) {
    out.type = "DOCKER";  // Chronos's default container type
  }
  if (out.type != "MESOS" && out.type != "DOCKER") {
    outer.fail("container.type", "MESOS or DOCKER");
  } else if (out.type == "DOCKER" && out.image.empty()) {
    outer.fail("container.image", "set for a DOCKER container");
  } else if (out.network != "HOST") {
    outer.fail("container.network", "HOST (other networks are not supported)");
  }
  if (const json::Value* volumes = f.find("volumes")) {
    for (const auto& v : volumes->isArray() ? volumes->asArray() : json::Array{}) {
      JobContainer::Volume volume;
      Fields vf(v);
      vf.str("containerPath", volume.container_path);
      vf.str("hostPath", volume.host_path);
      vf.str("mode", volume.mode);
      if (!v.isObject() || !vf.error().empty() || volume.container_path.empty() ||
          (volume.mode != "RW" && volume.mode != "RO")) {
        outer.fail("container.volumes", "an array of {containerPath, hostPath, mode RW or RO}");
        return;
      }
      out.volumes.push_back(std::move(volume));
    }
    if (!volumes->isArray()) {
      outer.fail("container.volumes", "an array");
    }
  }
  if (!f.error().empty()) {
    outer.fail("container", f.error());
  }
}

void readDefinition(Fields& f, Job& job) {
  f.str("name", job.name);
  f.str("description", job.description);
  f.str("command", job.command);
  f.boolean("shell", job.shell);
  f.strings("arguments", job.arguments);
  f.str("schedule", job.schedule);
  f.str("scheduleTimeZone", job.schedule_time_zone);
  f.strings("parents", job.parents);
  f.str("epsilon", job.epsilon);
  int64_t retries = job.retries;
  f.integer("retries", retries);
  job.retries = static_cast<int>(std::clamp<int64_t>(retries, -1, 1'000'000));
  f.str("owner", job.owner);
  f.str("ownerName", job.owner_name);
  f.boolean("async", job.async);
  f.boolean("disabled", job.disabled);
  f.boolean("concurrent", job.concurrent);
  f.boolean("softError", job.soft_error);
  f.boolean("highPriority", job.high_priority);
  f.boolean("dataJob", job.data_job);
  f.number("cpus", job.cpus);
  f.number("mem", job.mem);
  f.number("disk", job.disk);
  f.str("runAsUser", job.run_as_user);
  f.str("executor", job.executor);
  f.str("executorFlags", job.executor_flags);
  f.str("taskInfoData", job.task_info_data);
  f.strings("uris", job.uris);
  if (const auto* env = f.find("environmentVariables")) {
    if (!env->isArray()) {
      f.fail("environmentVariables", "an array of {\"name\", \"value\"}");
    }
    for (const auto& e : env->asArray()) {
      if (!e.isObject() || !e["name"].isString() || e["name"].asString().empty() ||
          !(e["value"].isString() || e["value"].isNull())) {
        f.fail("environmentVariables", "an array of {\"name\", \"value\"} with string values");
        break;
      }
      job.environment.push_back({e["name"].asString(), e["value"].asString()});
    }
  }
  if (const auto* fetch = f.find("fetch")) {
    if (!fetch->isArray()) {
      f.fail("fetch", "an array of {\"uri\", ...}");
    }
    for (const auto& e : fetch->asArray()) {
      if (!e.isObject() || !e["uri"].isString() || e["uri"].asString().empty()) {
        f.fail("fetch", "an array of objects with a string 'uri'");
        break;
      }
      FetchUri u{.uri = e["uri"].asString()};
      Fields ff(e);
      ff.boolean("cache", u.cache);
      ff.boolean("extract", u.extract);
      ff.boolean("executable", u.executable);
      ff.str("outputFile", u.output_file);
      if (!ff.error().empty()) {
        f.fail("fetch", "an array of objects with boolean cache, extract and executable");
      }
      job.fetch.push_back(std::move(u));
    }
  }
  if (const auto* cons = f.find("constraints")) {
    if (!cons->isArray()) {
      f.fail("constraints", "an array of [attribute, operator, value]");
    }
    for (const auto& c : cons->asArray()) {
      std::vector<std::string> parts;
      for (const auto& p : c.asArray()) {
        parts.push_back(p.asString());
      }
      if (!c.isArray() || parts.size() != 3 || parts[0].empty()) {
        f.fail("constraints", "an array of [attribute, operator, value]");
        break;
      }
      job.constraints.push_back(std::move(parts));
    }
  }
  readContainer(f, job.container);
}

}  // namespace

bool validJobName(std::string_view name) {
  if (name.empty() || name.size() > 200) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != '#') {
      return false;
    }
  }
  return true;
}

Result<Schedule> jobSchedule(const Job& job, double now) {
  return parseSchedule(job.schedule, now, job.schedule_time_zone);
}

double epsilonSeconds(const Job& job, double fallback) {
  if (job.epsilon.empty()) {
    return fallback;
  }
  auto p = parsePeriod(job.epsilon);
  return p ? p->approxSeconds() : fallback;
}

Result<Job> parseJob(std::string_view body, JobKind kind, const JobDefaults& defaults, double now) {
  auto v = json::parse(body);
  if (!v) {
    return std::unexpected(bad("malformed JSON: " + v.error().message()));
  }
  if (!v->isObject()) {
    return std::unexpected(bad("a job must be a JSON object"));
  }
  Job job;
  job.cpus = defaults.cpus;
  job.mem = defaults.mem;
  job.disk = defaults.disk;
  Fields f(*v);
  readDefinition(f, job);
  if (!f.error().empty()) {
    return std::unexpected(bad(f.error()));
  }
  if (!validJobName(job.name)) {
    return std::unexpected(
        bad(fmt::format("job name '{}' is invalid: it needs at least one character and only "
                        "letters, digits, '-', '_', '.' and '#' (no '/' or spaces)",
                        job.name)));
  }
  if (job.command.empty()) {
    return std::unexpected(bad("'command' is required"));
  }
  if (job.retries < 0) {
    return std::unexpected(bad("'retries' must not be negative"));
  }
  if (job.cpus < 0 || job.mem < 0 || job.disk < 0) {
    return std::unexpected(bad("'cpus', 'mem' and 'disk' must not be negative"));
  }
  bool has_schedule = !job.schedule.empty();
  bool has_parents = !job.parents.empty();
  if (has_schedule && has_parents) {
    return std::unexpected(bad("a job has either 'schedule' or 'parents', not both"));
  }
  if (kind == JobKind::kScheduled && !has_schedule) {
    return std::unexpected(bad("'schedule' is required (dependent jobs go to /dependency)"));
  }
  if (kind == JobKind::kDependent && !has_parents) {
    return std::unexpected(bad("'parents' is required and must not be empty"));
  }
  if (kind == JobKind::kEither && !has_schedule && !has_parents) {
    return std::unexpected(bad("a job needs a 'schedule' or 'parents'"));
  }
  for (const auto& p : job.parents) {
    if (p == job.name) {
      return std::unexpected(bad(fmt::format("job '{}' cannot be its own parent", p)));
    }
  }
  if (has_schedule) {
    auto s = jobSchedule(job, now);
    if (!s) {
      return std::unexpected(s.error());
    }
  } else if (!job.schedule_time_zone.empty()) {
    if (auto z = parseZone(job.schedule_time_zone); !z) {
      return std::unexpected(z.error());
    }
  }
  if (!job.epsilon.empty()) {
    if (auto e = parsePeriod(job.epsilon); !e) {
      return std::unexpected(bad("'epsilon': " + e.error().message()));
    }
  }
  for (const auto& c : job.constraints) {
    if (c[1] != "EQUALS" && c[1] != "LIKE" && c[1] != "UNLIKE") {
      return std::unexpected(
          bad(fmt::format("constraint operator '{}' is not one of EQUALS, LIKE and UNLIKE", c[1])));
    }
  }
  if (job.run_as_user.empty()) {
    job.run_as_user = defaults.user;
  }
  return job;
}

Result<Job> loadJob(std::string_view stored) {
  auto v = json::parse(stored);
  if (!v || !v->isObject()) {
    return std::unexpected(bad("stored job is not a JSON object"));
  }
  Job job;
  Fields f(*v);
  readDefinition(f, job);
  f.integer("successCount", job.success_count);
  f.integer("errorCount", job.error_count);
  f.integer("errorsSinceLastSuccess", job.errors_since_last_success);
  f.integer("skippedCount", job.skipped_count);
  f.str("lastSuccess", job.last_success);
  f.str("lastError", job.last_error);
  f.number("nextDue", job.next_due);
  if (const auto* left = f.find("runsLeft")) {
    job.runs_left = left->toInt64().value_or(0);
  }
  std::vector<std::string> done;
  f.strings("parentsDone", done);
  job.parents_done = {done.begin(), done.end()};
  if (!f.error().empty() || job.name.empty()) {
    return std::unexpected(bad("stored job: " + f.error()));
  }
  return job;
}

namespace {

void writeContainer(json::Writer& w, const JobContainer& c) {
  w.key("container");
  w.beginObject();
  field(w, "type", c.type);
  field(w, "image", c.image);
  field(w, "network", c.network);
  field(w, "forcePullImage", c.force_pull_image);
  w.key("volumes");
  w.beginArray();
  for (const auto& v : c.volumes) {
    w.beginObject();
    field(w, "containerPath", v.container_path);
    field(w, "hostPath", v.host_path);
    field(w, "mode", v.mode);
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

// What a run's task gets beyond the command: environment, fetched URIs, constraints, container.
void writeTaskParts(json::Writer& w, const Job& job) {
  w.key("environmentVariables");
  w.beginArray();
  for (const auto& e : job.environment) {
    w.beginObject();
    field(w, "name", e.name);
    field(w, "value", e.value);
    w.endObject();
  }
  w.endArray();
  // As Chronos lists them: uris and fetch each filled from the other when only one is set.
  std::vector<std::string> uris = job.uris;
  if (uris.empty()) {
    for (const auto& f : job.fetch) {
      uris.push_back(f.uri);
    }
  }
  w.key("uris");
  values(w, uris);
  w.key("fetch");
  w.beginArray();
  auto write_fetch = [&w](const FetchUri& f) {
    w.beginObject();
    field(w, "uri", f.uri);
    field(w, "cache", f.cache);
    field(w, "extract", f.extract);
    field(w, "executable", f.executable);
    if (!f.output_file.empty()) {
      field(w, "outputFile", f.output_file);
    }
    w.endObject();
  };
  for (const auto& f : job.fetch) {
    write_fetch(f);
  }
  if (job.fetch.empty()) {
    for (const auto& u : job.uris) {
      write_fetch(FetchUri{.uri = u});
    }
  }
  w.endArray();
  w.key("constraints");
  w.beginArray();
  for (const auto& c : job.constraints) {
    values(w, c);
  }
  w.endArray();
  if (!job.container.type.empty()) {
    writeContainer(w, job.container);
  }
}

void writeDefinition(json::Writer& w, const Job& job) {
  field(w, "name", job.name);
  field(w, "description", job.description);
  field(w, "command", job.command);
  field(w, "shell", job.shell);
  w.key("arguments");
  values(w, job.arguments);
  field(w, "scheduleTimeZone", job.schedule_time_zone);
  field(w, "retries", job.retries);
  field(w, "owner", job.owner);
  field(w, "ownerName", job.owner_name);
  field(w, "async", job.async);
  field(w, "disabled", job.disabled);
  field(w, "concurrent", job.concurrent);
  field(w, "softError", job.soft_error);
  field(w, "highPriority", job.high_priority);
  field(w, "dataJob", job.data_job);
  field(w, "cpus", job.cpus);
  field(w, "mem", job.mem);
  field(w, "disk", job.disk);
  field(w, "runAsUser", job.run_as_user);
  field(w, "executor", job.executor);
  field(w, "executorFlags", job.executor_flags);
  field(w, "taskInfoData", job.task_info_data);
  writeTaskParts(w, job);
  field(w, "successCount", job.success_count);
  field(w, "errorCount", job.error_count);
  field(w, "lastSuccess", job.last_success);
  field(w, "lastError", job.last_error);
  field(w, "errorsSinceLastSuccess", job.errors_since_last_success);
}

}  // namespace

void writeJob(json::Writer& w, const Job& job, double epsilon_default_seconds) {
  w.beginObject();
  writeDefinition(w, job);
  w.key("epsilon");
  if (job.epsilon.empty()) {
    w.value(fmt::format("PT{}S", static_cast<int64_t>(epsilon_default_seconds)));
  } else {
    w.value(job.epsilon);
  }
  if (job.scheduled()) {
    w.key("schedule");
    // As Chronos does, the schedule is written from its progress: the next run and runs left.
    auto s = jobSchedule(job, job.next_due);
    if (s && job.next_due > 0) {
      w.value(formatSchedule(*s, job.next_due, job.runs_left));
    } else if (s && !s->cron) {
      w.value(fmt::format("R0/{}/{}", formatTimestamp(s->start, s->zone), s->period_text));
    } else {
      w.value(job.schedule);
    }
  } else {
    w.key("parents");
    values(w, job.parents);
  }
  w.endObject();
}

std::string storeJob(const Job& job) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  writeDefinition(w, job);
  field(w, "epsilon", job.epsilon);
  field(w, "schedule", job.schedule);
  w.key("parents");
  values(w, job.parents);
  field(w, "skippedCount", job.skipped_count);
  field(w, "nextDue", job.next_due);
  if (job.runs_left) {
    field(w, "runsLeft", *job.runs_left);
  }
  w.key("parentsDone");
  values(w, job.parents_done);
  w.endObject();
  return out;
}

}  // namespace plateau::jobs
