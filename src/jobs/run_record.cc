#include "jobs/run_record.h"

#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::jobs {

std::string jobKey(const std::string& name) { return std::string(kJobPrefix) + name; }
std::string runKey(const std::string& job, uint64_t seq) {
  return fmt::format("{}{}/{:016}", kRunPrefix, job, seq);
}

namespace {

constexpr RunState kAllStates[] = {RunState::kQueued,  RunState::kRetryWait, RunState::kStaging,
                                   RunState::kRunning, RunState::kFinished,  RunState::kFailed,
                                   RunState::kKilled,  RunState::kSkipped,   RunState::kReportWait};
constexpr Trigger kAllTriggers[] = {Trigger::kSchedule, Trigger::kManual, Trigger::kDependency};

}  // namespace

std::string storeRun(const Run& r) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("seq");
  w.value(r.seq);
  w.key("job");
  w.value(r.job);
  w.key("taskId");
  w.value(r.task_id);
  w.key("trigger");
  w.value(triggerName(r.trigger));
  w.key("scheduled");
  w.value(r.scheduled);
  w.key("attempt");
  w.value(r.attempt);
  w.key("state");
  w.value(runStateName(r.state));
  w.key("created");
  w.value(r.created);
  w.key("notBefore");
  w.value(r.not_before);
  w.key("launched");
  w.value(r.launched);
  w.key("started");
  w.value(r.started);
  w.key("ended");
  w.value(r.ended);
  w.key("agentId");
  w.value(r.agent_id);
  w.key("hostname");
  w.value(r.hostname);
  w.key("message");
  w.value(r.message);
  w.key("killRequested");
  w.value(r.kill_requested);
  if (r.arguments) {
    w.key("arguments");
    w.beginArray();
    for (const auto& a : *r.arguments) {
      w.value(a);
    }
    w.endArray();
  }
  w.endObject();
  return out;
}

std::optional<Run> loadRun(std::string_view text) {
  auto v = json::parse(text);
  if (!v || !v->isObject()) {
    return std::nullopt;
  }
  Run r;
  r.seq = (*v)["seq"].toUint64().value_or(0);
  r.job = (*v)["job"].asString();
  r.task_id = (*v)["taskId"].asString();
  bool state_known = false;
  for (auto s : kAllStates) {
    if (runStateName(s) == (*v)["state"].asString()) {
      r.state = s;
      state_known = true;
    }
  }
  for (auto t : kAllTriggers) {
    if (triggerName(t) == (*v)["trigger"].asString()) {
      r.trigger = t;
    }
  }
  r.scheduled = (*v)["scheduled"].asDouble();
  r.attempt = static_cast<int>((*v)["attempt"].toInt64().value_or(0));
  r.created = (*v)["created"].asDouble();
  r.not_before = (*v)["notBefore"].asDouble();
  r.launched = (*v)["launched"].asDouble();
  r.started = (*v)["started"].asDouble();
  r.ended = (*v)["ended"].asDouble();
  r.agent_id = (*v)["agentId"].asString();
  r.hostname = (*v)["hostname"].asString();
  r.message = (*v)["message"].asString();
  r.kill_requested = (*v)["killRequested"].asBool();
  if (const auto* args = v->find("arguments"); args != nullptr && args->isArray()) {
    r.arguments.emplace();
    for (const auto& a : args->asArray()) {
      r.arguments->push_back(a.asString());
    }
  }
  if (r.seq == 0 || r.job.empty() || !state_known) {
    return std::nullopt;
  }
  return r;
}

bool terminalState(std::string_view s) {
  return s == "TASK_FINISHED" || s == "TASK_FAILED" || s == "TASK_KILLED" || s == "TASK_LOST" ||
         s == "TASK_ERROR" || s == "TASK_DROPPED" || s == "TASK_GONE" ||
         s == "TASK_GONE_BY_OPERATOR" || s == "TASK_UNKNOWN";
}

std::string_view runStateName(RunState s) {
  switch (s) {
    case RunState::kQueued:
      return "QUEUED";
    case RunState::kRetryWait:
      return "RETRY_WAIT";
    case RunState::kStaging:
      return "STAGING";
    case RunState::kRunning:
      return "RUNNING";
    case RunState::kFinished:
      return "FINISHED";
    case RunState::kFailed:
      return "FAILED";
    case RunState::kKilled:
      return "KILLED";
    case RunState::kSkipped:
      return "SKIPPED";
    case RunState::kReportWait:
      return "REPORT_WAIT";
  }
  return "UNKNOWN";
}

std::string_view triggerName(Trigger t) {
  switch (t) {
    case Trigger::kSchedule:
      return "schedule";
    case Trigger::kManual:
      return "manual";
    case Trigger::kDependency:
      return "dependency";
  }
  return "unknown";
}

std::string taskIdFor(const std::string& job, double when, int attempt, uint64_t seq) {
  return fmt::format("ct:{}:{}:{}:{}", static_cast<int64_t>(std::llround(when * 1000)), attempt,
                     job, seq);
}

bool constraintsMatch(const Job& job, const OfferView& offer) {
  for (const auto& c : job.constraints) {
    std::string value;
    if (auto it = offer.attributes.find(c[0]); it != offer.attributes.end()) {
      value = it->second;
    } else if (c[0] == "hostname") {
      value = offer.hostname;
    } else if (c[1] == "UNLIKE") {
      continue;
    } else {
      return false;
    }
    if (c[1] == "EQUALS") {
      if (value != c[2]) {
        return false;
      }
      continue;
    }
    bool matches = false;
    try {
      matches = std::regex_match(value, std::regex(c[2]));
    } catch (const std::regex_error&) {
      return false;
    }
    if (matches != (c[1] == "LIKE")) {
      return false;
    }
  }
  return true;
}

}  // namespace plateau::jobs
