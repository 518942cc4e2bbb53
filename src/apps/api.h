#pragma once

// Marathon's REST API over the orchestrator: /v2/apps, /v2/tasks, /v2/deployments, /v2/queue,
// /v2/info, /v2/leader, /v2/events (Server-Sent Events), /ping and /metrics, with Marathon's
// paths, status codes and JSON shapes. Loop thread only.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "apps/orchestrator.h"
#include "service/router.h"
#include "service/sse.h"

namespace plateau::apps {

// What /v2/info reports of the service's configuration.
struct ServiceInfo {
  std::string version;
  std::string leader;  // host:port of this instance's API
  std::string master;
  std::string zk;
  std::string framework_name;
  std::string mesos_role;
  std::string hostname;
  std::string store;
  double failover_timeout_seconds = 0;
  int64_t task_launch_timeout_ms = 0;
  int64_t reconciliation_interval_ms = 0;
  uint16_t http_port = 0;
};

class Api {
 public:
  Api(Orchestrator& orchestrator, service::SseHub& events, const Clock& clock, ServiceInfo info);
  void handle(http::Request& request, http::Responder responder);
  // Sends an event to /v2/events clients (the orchestrator's events go through here).
  void publish(std::string_view type, const std::string& json);
  // The port became known after listen().
  void setLeader(std::string leader) { info_.leader = std::move(leader); }
  // DELETE /v2/leader: `fn` makes this instance step down (after the answer is written); without
  // it, abdication is refused.
  void onAbdicate(std::function<void()> fn) { abdicate_ = std::move(fn); }

 private:
  void addRoutes();
  // /v2/apps family (api_apps.cc).
  void listApps(service::Call& call, http::Responder r);
  void createApp(service::Call& call, http::Responder r);
  void showApp(service::Call& call, http::Responder r);
  void putApp(service::Call& call, http::Responder r, bool patch);
  void deleteApp(service::Call& call, http::Responder r);
  // Bulk PUT and PATCH of /v2/apps: an array of apps, each created or updated.
  void putApps(service::Call& call, http::Responder r, bool patch);
  // The app `id` as `body` makes it: onto the existing app when `partial` (PATCH, PUT with
  // partialUpdate), else onto the defaults.
  std::expected<App, Invalid> appFromBody(const std::string& id, const json::Value& body,
                                          bool partial) const;
  // The apps of a JSON array, ids relative to `base_group`, each onto its existing definition
  // when `partial`; errors name the item ("/(1)/cpus").
  std::expected<std::vector<App>, Invalid> parseApps(const json::Value& list,
                                                     const std::string& base_group,
                                                     bool partial) const;
  // Creates or changes `apps` in one deployment (409 when deployments hold any, unless
  // force), reporting each in an api_post_event; answers the change with `status`.
  http::Response deployApps(service::Call& call, const std::vector<App>& apps, int status);
  // 409 when deployments hold any of `apps`.
  std::optional<Refusal> heldByDeployments(const std::vector<App>& apps) const;
  void restartApp(service::Call& call, http::Responder r);
  void appTasks(service::Call& call, http::Responder r);
  void killAppTasks(service::Call& call, http::Responder r);
  void killAppTask(service::Call& call, http::Responder r);
  void appVersions(service::Call& call, http::Responder r);
  void appVersion(service::Call& call, http::Responder r);
  // The rest (api.cc).
  void tasks(service::Call& call, http::Responder r);
  void deleteTasks(service::Call& call, http::Responder r);
  void deployments(service::Call& call, http::Responder r);
  void cancelDeployment(service::Call& call, http::Responder r);
  void queue(service::Call& call, http::Responder r);
  void resetDelay(service::Call& call, http::Responder r);
  void info(service::Call& call, http::Responder r);
  void events(service::Call& call, http::Responder r);
  void groups(service::Call& call, http::Responder r);
  // POST /v2/groups (create; 409 when it exists) and PUT /v2/groups/{id} (create or update):
  // nested groups of apps, flattened into apps.
  void putGroup(service::Call& call, http::Responder r, bool create);
  void deleteGroup(service::Call& call, http::Responder r);
  // One group and the groups below it, apps by their parent path.
  void writeGroup(json::Writer& w, const std::string& id) const;
  void metrics(service::Call& call, http::Responder r);
  void prometheus(service::Call& call, http::Responder r);
  // Marathon's gauge names and values, for /metrics and /metrics/prometheus.
  std::vector<std::pair<std::string, double>> gauges() const;

  // The app with its computed fields; `tasks` embeds its tasks.
  void writeApp(json::Writer& w, const App& app, bool tasks) const;
  std::string appId(const service::Call& call) const;
  void apiPostEvent(const service::Call& call, const App& app);
  std::string now() const;

  Orchestrator& orchestrator_;
  service::SseHub& events_;
  const Clock& clock_;
  ServiceInfo info_;
  service::Router router_;
  std::function<void()> abdicate_;
  // GET /v2/apps bodies by query (filters and embed), valid for one orchestrator generation: a
  // burst of clients asking while nothing changes costs one serialisation.
  uint64_t list_generation_ = 0;
  std::map<std::string, std::string> list_cache_;
};

// Marathon's 400/422 body for a refused definition.
http::Response invalidAnswer(const Invalid& invalid);
// The answer to a refused change: Marathon's message, and for 409 the deployments holding it.
http::Response refusalAnswer(const Refusal& refusal);
// {"deploymentId": ..., "version": ...} with the Marathon-Deployment-Id header.
http::Response changeAnswer(const Change& change, int status = 200);
// A metric name in Prometheus's alphabet: "marathon.apps.active.gauge" ->
// "marathon_apps_active_gauge".
std::string prometheusName(std::string_view name);
// Whether the app's labels satisfy Marathon's label selector ("a,b==x,c!=y,d in (p,q)").
bool labelsMatch(const std::map<std::string, std::string>& labels, const std::string& selector);

}  // namespace plateau::apps
