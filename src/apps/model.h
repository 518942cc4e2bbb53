#pragma once

// The records plateau-apps keeps besides apps: instances (one task each) and deployments, with
// their stored JSON form and Marathon's views of them.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/app.h"
#include "apps/health.h"
#include "apps/placement.h"
#include "common/json.h"
#include "runtime/clock.h"

namespace plateau::apps {

struct Instance {
  std::string task_id;
  std::string app_id;
  std::string version;         // the app's version when launched
  std::string config_version;  // the app's lastConfigChangeAt when launched
  std::string agent_id;
  Place place;
  std::vector<uint32_t> host_ports;
  std::string state = "TASK_STAGING";  // Mesos's TaskState name
  std::optional<bool> healthy;
  std::string staged_at;  // ISO-8601
  std::string started_at;
  std::string message;
  uint64_t launch_order = 0;
  bool killing = false;
  // Launched by a deployment of an app with a readiness check: not ready until it passed.
  bool readiness_required = false;
  bool readiness_passed = false;
  // Not stored (but agent_healthy): monotonic times for timeouts (reset to recovery time after a
  // restart) and the service's own check results (learned afresh).
  Clock::TimePoint staged_time{};
  Clock::TimePoint kill_sent{};
  std::optional<Clock::TimePoint> unreachable_since;
  Clock::TimePoint running_time{};  // when it was last seen turn running (or recovered)
  // The agent's health check's last verdict, when the app has one. Stored: the agent reports
  // health only when it changes (reliably, until acknowledged), so after a restart or failover
  // the stored verdict stands until the next report.
  std::optional<bool> agent_healthy;
  std::map<size_t, CheckState> checks;  // the service's own checks, by index in healthChecks
  bool readiness_in_flight = false;
  Clock::TimePoint next_readiness{};
};

// One app's share of a deployment.
struct DeploymentPart {
  std::string app_id;
  std::vector<std::string> actions;  // one step each: StartApplication, ScaleApplication, ...
  std::optional<App> original;       // the app before the change (none: it was created)
  std::optional<App> target;         // the app after it (none: it is being removed)
};

// A change to one app, or to several at once (a bulk PUT/PATCH, a group): one deployment whose
// step k holds the k-th action of every app, as Marathon's plans.
struct Deployment {
  std::string id;
  std::string version;
  std::vector<DeploymentPart> parts;

  bool affects(const std::string& app_id) const {
    for (const auto& p : parts) {
      if (p.app_id == app_id) return true;
    }
    return false;
  }
  size_t steps() const {
    size_t n = 0;
    for (const auto& p : parts) n = std::max(n, p.actions.size());
    return n;
  }
};

// An app's last task failure (Marathon's lastTaskFailure).
struct TaskFailure {
  std::string app_id;
  std::string task_id;
  std::string state;
  std::string message;
  std::string host;
  std::string agent_id;
  std::string version;
  std::string timestamp;
};

bool isTerminal(const std::string& state);
bool isActiveState(const std::string& state);  // staging, starting, running, killing, unreachable

std::string instanceToJson(const Instance& i);
Result<Instance> instanceFromJson(const json::Value& v);
std::string taskFailureToJson(const TaskFailure& f);
Result<TaskFailure> taskFailureFromJson(const json::Value& v);
// Marathon's lastTaskFailure object.
void writeTaskFailure(json::Writer& w, const TaskFailure& f);
std::string deploymentToJson(const Deployment& d);
Result<Deployment> deploymentFromJson(const json::Value& v);
std::string appToJson(const App& app);
// A stored app: its definition and its versions.
Result<App> appFromJson(const json::Value& v);

// Marathon's task JSON (/v2/tasks, /v2/apps/{id}/tasks, embed=apps.tasks).
void writeTask(json::Writer& w, const Instance& i, const App* app);
// Marathon's deployment JSON (/v2/deployments).
void writeDeployment(json::Writer& w, const Deployment& d);
// The plan inside deployment events: {"id", "version", "original", "target", "steps"}.
void writePlan(json::Writer& w, const Deployment& d);
// The deployment's current actions: the last action of each app ({"action", "app"} objects,
// with empty readinessCheckResults when `readiness`).
void writeCurrentActions(json::Writer& w, const Deployment& d, bool readiness);

// Marathon's timestamp form: 2015-09-30T09:09:17.614Z.
std::string isoTime(double wall_seconds);

}  // namespace plateau::apps
