#include "jobs/api.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <numeric>

#include <fmt/format.h>

namespace plateau::jobs {

namespace {

http::Response noContent() { return http::Response{.status = 204}; }

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

void writeRun(json::Writer& w, const Run& run) {
  auto time = [&w](std::string_view key, double t) {
    w.key(key);
    if (t > 0) {
      w.value(formatTimestamp(t));
    } else {
      w.null();
    }
  };
  w.beginObject();
  w.key("taskId");
  w.value(run.task_id);
  w.key("jobName");
  w.value(run.job);
  w.key("trigger");
  w.value(triggerName(run.trigger));
  time("scheduledTime", run.scheduled);
  w.key("attempt");
  w.value(run.attempt);
  w.key("state");
  w.value(runStateName(run.state));
  time("createdAt", run.created);
  time("launchedAt", run.launched);
  time("startedAt", run.started);
  time("endedAt", run.ended);
  if (run.scheduled > 0 && run.launched > 0) {
    w.key("latenessSeconds");
    w.value(run.launched - run.scheduled);
  }
  w.key("agentId");
  w.value(run.agent_id);
  w.key("hostname");
  w.value(run.hostname);
  w.key("message");
  w.value(run.message);
  w.endObject();
}

}  // namespace

http::Response badRequest(std::string_view message) {
  return http::Response::text(400, std::string(message));
}

void writeDistribution(json::Writer& w, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto pct = [&](double p) {
    if (samples.empty()) {
      return 0.0;
    }
    size_t i = static_cast<size_t>(p * static_cast<double>(samples.size() - 1) + 0.5);
    return samples[std::min(i, samples.size() - 1)];
  };
  w.beginObject();
  w.key("count");
  w.value(samples.size());
  w.key("min");
  w.value(samples.empty() ? 0.0 : samples.front());
  w.key("median");
  w.value(pct(0.5));
  w.key("75thPercentile");
  w.value(pct(0.75));
  w.key("95thPercentile");
  w.value(pct(0.95));
  w.key("99thPercentile");
  w.value(pct(0.99));
  w.key("max");
  w.value(samples.empty() ? 0.0 : samples.back());
  w.key("mean");
  w.value(samples.empty() ? 0.0
                          : std::accumulate(samples.begin(), samples.end(), 0.0) /
                                static_cast<double>(samples.size()));
  w.endObject();
}

Api::Api(Scheduler& scheduler, const Clock& clock, JobDefaults defaults)
    : scheduler_(scheduler), clock_(clock), defaults_(std::move(defaults)) {
  addRoutes("/v1/scheduler");
  addRoutes("/scheduler");
  router_.add("GET", "/leader", [this](service::Call&, http::Responder r) {
    std::string body;
    json::Writer w(&body);
    w.beginObject();
    w.key("leader");
    w.value(leader_);
    w.endObject();
    r.respond(service::jsonAnswer(200, body));
  });
  router_.add("GET", "/ping", [](service::Call&, http::Responder r) {
    r.respond(http::Response::text(200, "pong"));
  });
}

void Api::handle(http::Request& request, http::Responder responder) {
  router_.dispatch(request, std::move(responder));
}

void Api::addRoutes(const std::string& p) {
  using service::Call;
  auto bind = [this](void (Api::*fn)(Call&, http::Responder)) {
    return [this, fn](Call& c, http::Responder r) { (this->*fn)(c, std::move(r)); };
  };
  for (const char* method : {"POST", "PUT"}) {
    router_.add(method, p + "/iso8601", [this](Call& c, http::Responder r) {
      postJob(c, std::move(r), JobKind::kScheduled);
    });
    router_.add(method, p + "/dependency", [this](Call& c, http::Responder r) {
      postJob(c, std::move(r), JobKind::kDependent);
    });
  }
  router_.add("GET", p + "/jobs", bind(&Api::listJobs));
  router_.add("GET", p + "/jobs/search", bind(&Api::searchJobs));
  router_.add("GET", p + "/jobs/summary", bind(&Api::summary));
  router_.add("GET", p + "/job/{name}", bind(&Api::showJob));
  router_.add("PUT", p + "/job/{name}", bind(&Api::runJob));
  router_.add("DELETE", p + "/job/{name}", bind(&Api::deleteJob));
  router_.add("PUT", p + "/job/success/{name}", bind(&Api::markSuccess));
  router_.add("GET", p + "/job/stat/{name}", bind(&Api::stat));
  router_.add("DELETE", p + "/task/kill/{name}", bind(&Api::killTasks));
  router_.add("PUT", p + "/task/{taskId}", bind(&Api::reportTask));
  router_.add("GET", p + "/graph/csv", bind(&Api::graphCsv));
  router_.add("GET", p + "/graph/dot", bind(&Api::graphDot));
}

void Api::postJob(service::Call& call, http::Responder r, JobKind kind) {
  auto job = parseJob(call.request.body, kind, defaults_, clock_.wallSeconds());
  if (!job) {
    r.respond(badRequest(job.error().message()));
    return;
  }
  Status s = scheduler_.putJob(std::move(*job));
  if (s.code() == StatusCode::kInvalidArgument) {
    r.respond(badRequest(s.message()));
  } else if (!s.isOk()) {
    r.respond(http::Response::text(503, s.message()));
  } else {
    r.respond(noContent());
  }
}

void Api::listJobs(service::Call&, http::Responder r) {
  std::string body;
  json::Writer w(&body);
  w.beginArray();
  for (const auto& [name, job] : scheduler_.jobs()) {
    writeJob(w, job, scheduler_.defaultEpsilon());
  }
  w.endArray();
  r.respond(service::jsonAnswer(200, body));
}

void Api::searchJobs(service::Call& call, http::Responder r) {
  auto param = [&](const char* name) { return lower(call.request.queryParam(name).value_or("")); };
  std::string name = param("name");
  std::string command = param("command");
  std::string any = param("any");
  auto number = [&](const char* key, int64_t fallback) {
    auto v = call.request.queryParam(key);
    if (!v || v->empty()) {
      return fallback;
    }
    char* end = nullptr;
    int64_t n = std::strtoll(v->c_str(), &end, 10);
    return end != nullptr && *end == '\0' && n >= 0 ? n : fallback;
  };
  int64_t limit = number("limit", 10);
  int64_t offset = number("offset", 0);
  std::string body;
  json::Writer w(&body);
  w.beginArray();
  int64_t index = 0;
  for (const auto& [job_name, job] : scheduler_.jobs()) {
    std::string n = lower(job.name);
    std::string c = lower(job.command);
    bool valid = (name.empty() || n.find(name) != std::string::npos) &&
                 (command.empty() || c.find(command) != std::string::npos);
    if (!valid && !any.empty() &&
        (n.find(any) != std::string::npos || c.find(any) != std::string::npos)) {
      valid = true;
    }
    if (!valid) {
      continue;
    }
    if (index >= offset && index < offset + limit) {
      writeJob(w, job, scheduler_.defaultEpsilon());
    }
    ++index;
  }
  w.endArray();
  r.respond(service::jsonAnswer(200, body));
}

std::string Api::lastStatus(const Job& job) const {
  if (job.last_success.empty() && job.last_error.empty()) {
    return "fresh";
  }
  return job.last_success >= job.last_error ? "success" : "failure";
}

std::string Api::currentState(const Job& job) const {
  int running = 0;
  bool queued = false;
  for (const Run* run : scheduler_.runsOf(job.name)) {
    running += run->active() ? 1 : 0;
    queued = queued || run->waiting();
  }
  if (running > 0) {
    return fmt::format("{} running", running);
  }
  return queued ? "queued" : "idle";
}

void Api::summary(service::Call&, http::Responder r) {
  std::string body;
  json::Writer w(&body);
  w.beginObject();
  w.key("jobs");
  w.beginArray();
  for (const auto& [name, job] : scheduler_.jobs()) {
    w.beginObject();
    w.key("name");
    w.value(name);
    w.key("status");
    w.value(lastStatus(job));
    w.key("state");
    w.value(currentState(job));
    w.key("schedule");
    auto schedule = jobSchedule(job, job.next_due);
    w.value(schedule && job.next_due > 0 ? formatSchedule(*schedule, job.next_due, job.runs_left)
                                         : job.schedule);
    w.key("parents");
    w.beginArray();
    for (const auto& p : job.parents) {
      w.value(p);
    }
    w.endArray();
    w.key("disabled");
    w.value(job.disabled);
    // Plateau's: the next scheduled time (UTC), null for a dependent job or a finished schedule.
    w.key("nextRun");
    if (job.scheduled() && job.next_due > 0) {
      w.value(formatTimestamp(job.next_due));
    } else {
      w.null();
    }
    w.endObject();
  }
  w.endArray();
  w.endObject();
  r.respond(service::jsonAnswer(200, body));
}

void Api::showJob(service::Call& call, http::Responder r) {
  const Job* job = scheduler_.job(call.param("name"));
  if (job == nullptr) {
    r.respond(http::Response::text(404, fmt::format("Job '{}' not found", call.param("name"))));
    return;
  }
  std::string body;
  json::Writer w(&body);
  writeJob(w, *job, scheduler_.defaultEpsilon());
  r.respond(service::jsonAnswer(200, body));
}

void Api::runJob(service::Call& call, http::Responder r) {
  std::optional<std::vector<std::string>> arguments;
  if (auto a = call.request.queryParam("arguments"); a && !a->empty()) {
    arguments.emplace();
    size_t start = 0;
    while (start <= a->size()) {
      size_t space = a->find(' ', start);
      if (space == std::string::npos) {
        space = a->size();
      }
      if (space > start) {
        arguments->push_back(a->substr(start, space - start));
      }
      start = space + 1;
    }
  }
  Status s = scheduler_.runNow(call.param("name"), std::move(arguments));
  r.respond(s.isOk() ? noContent() : badRequest(s.message()));
}

void Api::deleteJob(service::Call& call, http::Responder r) {
  Status s = scheduler_.removeJob(call.param("name"));
  r.respond(s.isOk() ? noContent() : badRequest(s.message()));
}

void Api::markSuccess(service::Call& call, http::Responder r) {
  Status s = scheduler_.markSuccess(call.param("name"));
  if (s.code() == StatusCode::kNotFound) {
    r.respond(badRequest(s.message()));
    return;
  }
  r.respond(http::Response::text(
      200, fmt::format("marked job {} as successful: {}", call.param("name"), s.isOk())));
}

void Api::stat(service::Call& call, http::Responder r) {
  const Job* job = scheduler_.job(call.param("name"));
  if (job == nullptr) {
    r.respond(badRequest(fmt::format("Job '{}' not found", call.param("name"))));
    return;
  }
  std::vector<double> durations;
  std::vector<double> lateness;
  auto runs = scheduler_.runsOf(job->name);
  for (const Run* run : runs) {
    if (run->state == RunState::kFinished && run->started > 0 && run->ended > 0) {
      durations.push_back(run->ended - run->started);
    }
    if (run->scheduled > 0 && run->launched > 0 && run->attempt == 0) {
      lateness.push_back(run->launched - run->scheduled);
    }
  }
  std::string body;
  json::Writer w(&body);
  w.beginObject();
  w.key("histogram");
  writeDistribution(w, durations);
  w.key("lateness");
  writeDistribution(w, lateness);
  w.key("skippedCount");
  w.value(job->skipped_count);
  w.key("taskStatHistory");
  w.beginArray();
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    writeRun(w, **it);
  }
  w.endArray();
  w.endObject();
  r.respond(service::jsonAnswer(200, body));
}

// Chronos 2.x's completion report of an async job's task: {"statusCode": 0} is success.
void Api::reportTask(service::Call& call, http::Responder r) {
  auto body = json::parse(call.request.body);
  const json::Value* code = body && body->isObject() ? body->find("statusCode") : nullptr;
  auto value = code != nullptr ? code->toInt64() : std::nullopt;
  if (!value || *value < std::numeric_limits<int>::min() ||
      *value > std::numeric_limits<int>::max()) {
    r.respond(badRequest("the body must be {\"statusCode\": <integer>} (0: success)"));
    return;
  }
  Status s = scheduler_.reportTask(call.param("taskId"), static_cast<int>(*value));
  r.respond(s.isOk() ? noContent() : badRequest(s.message()));
}

void Api::killTasks(service::Call& call, http::Responder r) {
  Status s = scheduler_.killTasks(call.param("name"));
  r.respond(s.isOk() ? noContent() : badRequest(s.message()));
}

void Api::graphCsv(service::Call&, http::Responder r) {
  std::string out;
  for (const auto& [name, job] : scheduler_.jobs()) {
    std::string state = currentState(job);
    out += fmt::format("node,{},{},{}\n", name, lastStatus(job),
                       state.ends_with("running") ? "running" : state);
  }
  for (const auto& [name, job] : scheduler_.jobs()) {
    for (const auto& p : job.parents) {
      out += fmt::format("link,{},{}\n", p, name);
    }
  }
  r.respond(http::Response::text(200, out));
}

void Api::graphDot(service::Call&, http::Responder r) {
  std::string out = "digraph G {\n";
  for (const auto& [name, job] : scheduler_.jobs()) {
    std::string status = lastStatus(job);
    const char* color = status == "success" ? "green" : status == "failure" ? "red" : "gray";
    out += fmt::format("  \"{}\" [style=filled fillcolor={}];\n", name, color);
  }
  for (const auto& [name, job] : scheduler_.jobs()) {
    for (const auto& p : job.parents) {
      out += fmt::format("  \"{}\" -> \"{}\";\n", p, name);
    }
  }
  out += "}\n";
  r.respond(http::Response::text(200, out));
}

}  // namespace plateau::jobs
