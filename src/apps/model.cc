#include "apps/model.h"

#include <ctime>

#include <fmt/format.h>

#include "common/json_fields.h"

namespace plateau::apps {

bool isTerminal(const std::string& s) {
  return s == "TASK_FINISHED" || s == "TASK_FAILED" || s == "TASK_KILLED" || s == "TASK_ERROR" ||
         s == "TASK_LOST" || s == "TASK_DROPPED" || s == "TASK_GONE" ||
         s == "TASK_GONE_BY_OPERATOR" || s == "TASK_UNKNOWN";
}

bool isActiveState(const std::string& s) { return !isTerminal(s); }

std::string isoTime(double wall) {
  auto secs = static_cast<time_t>(wall);
  int ms = static_cast<int>((wall - static_cast<double>(secs)) * 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, std::max(0, std::min(ms, 999)));
}

std::string appToJson(const App& app) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  writeAppFields(w, app);
  w.endObject();
  return out;
}

Result<App> appFromJson(const json::Value& v) {
  auto app = applyJson(App{}, v, "");
  if (!app) {
    return invalidArgument("stored app does not parse: " + app.error().toJson());
  }
  app->version = v["version"].asString();
  app->last_config_change_at = v["versionInfo"]["lastConfigChangeAt"].asString();
  app->last_scaling_at = v["versionInfo"]["lastScalingAt"].asString();
  return std::move(*app);
}

std::string instanceToJson(const Instance& i) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  field(w, "taskId", i.task_id);
  field(w, "appId", i.app_id);
  field(w, "version", i.version);
  field(w, "configVersion", i.config_version);
  field(w, "agentId", i.agent_id);
  field(w, "host", i.place.hostname);
  w.key("attributes");
  w.beginObject();
  for (const auto& [k, v] : i.place.attributes) {
    field(w, k, v);
  }
  w.endObject();
  w.key("ports");
  values(w, i.host_ports);
  field(w, "state", i.state);
  if (i.healthy) {
    field(w, "healthy", *i.healthy);
  }
  if (i.agent_healthy) {
    field(w, "agentHealthy", *i.agent_healthy);
  }
  field(w, "stagedAt", i.staged_at);
  field(w, "startedAt", i.started_at);
  field(w, "launchOrder", i.launch_order);
  field(w, "killing", i.killing);
  if (i.readiness_required) {
    field(w, "readinessRequired", true);
    field(w, "readinessPassed", i.readiness_passed);
  }
  w.endObject();
  return out;
}

Result<Instance> instanceFromJson(const json::Value& v) {
  Instance i;
  i.task_id = v["taskId"].asString();
  i.app_id = v["appId"].asString();
  if (i.task_id.empty() || i.app_id.empty()) {
    return invalidArgument("stored instance without taskId or appId");
  }
  i.version = v["version"].asString();
  i.config_version = v["configVersion"].asString();
  i.agent_id = v["agentId"].asString();
  i.place.hostname = v["host"].asString();
  for (const auto& m : v["attributes"].asObject()) {
    i.place.attributes[m.key] = m.value.asString();
  }
  for (const auto& p : v["ports"].asArray()) {
    i.host_ports.push_back(static_cast<uint32_t>(p.toUint64().value_or(0)));
  }
  i.state = v["state"].asString();
  if (const auto* h = v.find("healthy")) {
    i.healthy = h->asBool();
  }
  if (const auto* h = v.find("agentHealthy")) {
    i.agent_healthy = h->asBool();
  }
  i.staged_at = v["stagedAt"].asString();
  i.started_at = v["startedAt"].asString();
  i.launch_order = v["launchOrder"].toUint64().value_or(0);
  i.killing = v["killing"].asBool();
  i.readiness_required = v["readinessRequired"].asBool();
  i.readiness_passed = v["readinessPassed"].asBool();
  return i;
}

std::string deploymentToJson(const Deployment& d) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  field(w, "id", d.id);
  field(w, "version", d.version);
  w.key("parts");
  w.beginArray();
  for (const auto& p : d.parts) {
    w.beginObject();
    field(w, "appId", p.app_id);
    w.key("actions");
    values(w, p.actions);
    if (p.original) {
      w.key("original");
      w.rawValue(appToJson(*p.original));
    }
    if (p.target) {
      w.key("target");
      w.rawValue(appToJson(*p.target));
    }
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return out;
}

namespace {

Result<DeploymentPart> partFromJson(const json::Value& v) {
  DeploymentPart p;
  p.app_id = v["appId"].asString();
  for (const auto& a : v["actions"].asArray()) {
    p.actions.push_back(a.asString());
  }
  for (auto [key, target] : {std::pair{"original", &p.original}, std::pair{"target", &p.target}}) {
    if (const auto* o = v.find(key)) {
      auto app = appFromJson(*o);
      if (!app) {
        return std::unexpected(app.error());
      }
      *target = std::move(*app);
    }
  }
  if (p.app_id.empty()) {
    return invalidArgument("stored deployment part without appId");
  }
  return p;
}

}  // namespace

Result<Deployment> deploymentFromJson(const json::Value& v) {
  Deployment d;
  d.id = v["id"].asString();
  d.version = v["version"].asString();
  // Deployments stored before several apps could share one are a single part at the top.
  std::vector<json::Value> parts =
      v.find("parts") != nullptr ? v["parts"].asArray() : std::vector<json::Value>{v};
  for (const auto& item : parts) {
    auto p = partFromJson(item);
    if (!p) {
      return std::unexpected(p.error());
    }
    d.parts.push_back(std::move(*p));
  }
  if (d.id.empty() || d.parts.empty()) {
    return invalidArgument("stored deployment without id or apps");
  }
  return d;
}

namespace {

// Marathon's healthCheckResults: one entry per service check that has a result, else the
// stored verdict (the agent's check, or what was known before a restart).
void writeHealthCheckResults(json::Writer& w, const Instance& i) {
  auto optionalTime = [&w](const char* key, const std::optional<double>& t) {
    w.key(key);
    t ? w.value(isoTime(*t)) : w.null();
  };
  // Every result names its task and ends there.
  auto endResult = [&] {
    field(w, "taskId", i.task_id);
    field(w, "instanceId", i.task_id);
    w.endObject();
  };
  if (!i.checks.empty()) {
    // The service's own checks, one entry each (Marathon's healthCheckResults).
    w.key("healthCheckResults");
    w.beginArray();
    for (const auto& [index, c] : i.checks) {
      if (!c.last_success && !c.last_failure) {
        continue;
      }
      w.beginObject();
      field(w, "alive", c.alive());
      field(w, "consecutiveFailures", c.consecutive_failures);
      optionalTime("firstSuccess", c.first_success);
      optionalTime("lastFailure", c.last_failure);
      optionalTime("lastSuccess", c.last_success);
      w.key("lastFailureCause");
      c.last_failure_cause.empty() ? w.null() : w.value(c.last_failure_cause);
      endResult();
    }
    w.endArray();
  } else if (i.healthy) {
    w.key("healthCheckResults");
    w.beginArray();
    w.beginObject();
    field(w, "alive", *i.healthy);
    endResult();
    w.endArray();
  }
}

}  // namespace

void writeTask(json::Writer& w, const Instance& i, const App* app) {
  w.beginObject();
  field(w, "id", i.task_id);
  field(w, "appId", i.app_id);
  field(w, "host", i.place.hostname);
  w.key("ports");
  values(w, i.host_ports);
  w.key("servicePorts");
  w.beginArray();
  if (app != nullptr) {
    for (auto p : servicePorts(*app)) {
      w.value(p);
    }
  }
  w.endArray();
  field(w, "slaveId", i.agent_id);
  field(w, "agentId", i.agent_id);
  field(w, "stagedAt", i.staged_at);
  w.key("startedAt");
  i.started_at.empty() ? w.null() : w.value(i.started_at);
  field(w, "version", i.version);
  field(w, "state", i.state);
  w.key("ipAddresses");
  w.beginArray();
  w.endArray();
  if (app != nullptr) {
    field(w, "cpus", app->cpus);
    field(w, "mem", app->mem);
    field(w, "disk", app->disk);
    field(w, "gpus", app->gpus);
  }
  writeHealthCheckResults(w, i);
  w.endObject();
}

void writeTaskFailure(json::Writer& w, const TaskFailure& f) {
  w.beginObject();
  field(w, "appId", f.app_id);
  field(w, "host", f.host);
  field(w, "message", f.message);
  field(w, "state", f.state);
  field(w, "taskId", f.task_id);
  field(w, "instanceId", f.task_id);
  field(w, "timestamp", f.timestamp);
  field(w, "version", f.version);
  w.key("slaveId");
  f.agent_id.empty() ? w.null() : w.value(f.agent_id);
  w.endObject();
}

std::string taskFailureToJson(const TaskFailure& f) {
  std::string out;
  json::Writer w(&out);
  writeTaskFailure(w, f);
  return out;
}

Result<TaskFailure> taskFailureFromJson(const json::Value& v) {
  if (!v.isObject() || !v["appId"].isString() || !v["taskId"].isString()) {
    return std::unexpected(Status(StatusCode::kInvalidArgument, "not a task failure"));
  }
  return TaskFailure{.app_id = v["appId"].asString(),
                     .task_id = v["taskId"].asString(),
                     .state = v["state"].asString(),
                     .message = v["message"].asString(),
                     .host = v["host"].asString(),
                     .agent_id = v["slaveId"].asString(),
                     .version = v["version"].asString(),
                     .timestamp = v["timestamp"].asString()};
}

namespace {

// One object per app: {"action": ..., "app": ...}, the k-th action of each (those that have one),
// or the last of each when `k` is none.
void writeActions(json::Writer& w, const Deployment& d, std::optional<size_t> k, bool readiness) {
  w.beginArray();
  for (const auto& p : d.parts) {
    if (p.actions.empty() || (k && *k >= p.actions.size())) {
      continue;
    }
    w.beginObject();
    field(w, "action", k ? p.actions[*k] : p.actions.back());
    field(w, "app", p.app_id);
    if (readiness) {
      w.key("readinessCheckResults");
      w.beginArray();
      w.endArray();
    }
    w.endObject();
  }
  w.endArray();
}

void writeSteps(json::Writer& w, const Deployment& d) {
  w.beginArray();
  for (size_t k = 0; k < d.steps(); ++k) {
    w.beginObject();
    w.key("actions");
    writeActions(w, d, k, false);
    w.endObject();
  }
  w.endArray();
}

// The root group before or after the deployment, with the apps it changes.
void writeGroup(json::Writer& w, const Deployment& d, bool after) {
  w.beginObject();
  field(w, "id", "/");
  w.key("apps");
  w.beginArray();
  for (const auto& p : d.parts) {
    const auto& app = after ? p.target : p.original;
    if (app) {
      w.rawValue(appToJson(*app));
    }
  }
  w.endArray();
  w.key("groups");
  w.beginArray();
  w.endArray();
  w.key("pods");
  w.beginArray();
  w.endArray();
  w.key("dependencies");
  w.beginArray();
  w.endArray();
  field(w, "version", d.version);
  w.endObject();
}

}  // namespace

void writeCurrentActions(json::Writer& w, const Deployment& d, bool readiness) {
  writeActions(w, d, std::nullopt, readiness);
}

void writeDeployment(json::Writer& w, const Deployment& d) {
  w.beginObject();
  field(w, "id", d.id);
  field(w, "version", d.version);
  w.key("affectedApps");
  w.beginArray();
  for (const auto& p : d.parts) {
    w.value(p.app_id);
  }
  w.endArray();
  w.key("affectedPods");
  w.beginArray();
  w.endArray();
  w.key("steps");
  writeSteps(w, d);
  w.key("currentActions");
  writeCurrentActions(w, d, true);
  field(w, "currentStep", d.steps());
  field(w, "totalSteps", d.steps());
  w.endObject();
}

void writePlan(json::Writer& w, const Deployment& d) {
  w.beginObject();
  field(w, "id", d.id);
  field(w, "version", d.version);
  w.key("original");
  writeGroup(w, d, false);
  w.key("target");
  writeGroup(w, d, true);
  w.key("steps");
  writeSteps(w, d);
  w.endObject();
}

}  // namespace plateau::apps
