#pragma once

// The heart of plateau-apps: apps, their instances and deployments, kept durable in a KvStore,
// and the decisions that keep every app at its instance count (launches with backoff,
// replacements, kills by killSelection, rolling restarts within the upgrade strategy, offers
// suppressed when nothing waits). A state machine over a Clock and Timers with no sockets and
// no protobuf: the shell (framework.h) turns its Driver calls into scheduler calls, and feeds
// offers and status updates back. Loop thread only.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "apps/app.h"
#include "apps/health.h"
#include "apps/model.h"
#include "apps/offer_stats.h"
#include "apps/placement.h"
#include "apps/plan.h"
#include "common/status.h"
#include "common/uuid.h"
#include "runtime/clock.h"
#include "runtime/timers.h"
#include "service/kv_store.h"

namespace plateau::apps {

// One task to launch on an offer.
struct LaunchSpec {
  App app;
  std::string task_id;
  std::vector<uint32_t> host_ports;
};

// What the orchestrator asks of the scheduler connection.
class Driver {
 public:
  virtual ~Driver() = default;
  // ACCEPT `offer_id` with these tasks (LAUNCH).
  virtual void launch(const OfferView& offer, const std::vector<LaunchSpec>& tasks) = 0;
  virtual void decline(const std::string& offer_id, double refuse_seconds) = 0;
  virtual void kill(const std::string& task_id, const std::string& agent_id,
                    std::optional<int> grace_seconds) = 0;
  // REVIVE when true, SUPPRESS when false; called on every change and after each subscription.
  virtual void wantOffers(bool wanted) = 0;
  // RECONCILE these (task id, agent id) pairs; an empty list asks for every task (implicit).
  virtual void reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) = 0;
};

// A task status as the orchestrator reads it.
struct StatusView {
  std::string task_id;
  std::string agent_id;
  std::string state;  // TaskState name
  std::optional<bool> healthy;
  std::string message;
  std::string reason;
};

struct OrchestratorOptions {
  std::chrono::milliseconds task_launch_timeout{300000};
  std::chrono::milliseconds reconciliation_interval{600000};
  std::chrono::milliseconds kill_retry{30000};
  std::chrono::milliseconds tick{1000};
  uint32_t service_port_min = 10000;
  uint32_t service_port_max = 20000;
};

// Why a change was refused, as the API answers it.
struct Refusal {
  int status = 409;
  std::string message;
  std::vector<std::string> deployment_ids;  // for 409: the deployments holding the app
};

// An accepted change: the deployment it started.
struct Change {
  std::string deployment_id;
  std::string version;
};

// An app's instances by condition (tasksStaged, tasksRunning, tasksHealthy, tasksUnhealthy),
// kept up to date as instances change.
struct TaskCounts {
  int staged = 0;
  int running = 0;
  int healthy = 0;
  int unhealthy = 0;
};

// What waits to launch for one app (/v2/queue).
struct QueueEntry {
  std::string app_id;
  int count = 0;
  double delay_left_seconds = 0;
  const OfferStats* offers = nullptr;  // none until the launch attempt started
};

class Orchestrator {
 public:
  using Publish = std::function<void(std::string_view type, std::string json)>;

  Orchestrator(const Clock& clock, Timers& timers, service::KvStore& store, Driver& driver,
               Publish publish, std::shared_ptr<spdlog::logger> log, uint64_t seed,
               OrchestratorOptions options = {});
  ~Orchestrator();
  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;

  // The prober of the health checks plateau-apps runs itself (HTTP, HTTPS, TCP); none: they are
  // not run. Set before recover().
  void setProber(Prober* prober) { prober_ = prober; }

  // Loads apps, instances, deployments and the framework id; starts the periodic timers.
  Status recover();
  std::string frameworkId() const { return framework_id_; }

  // The API's changes. `force` takes an app from a deployment holding it.
  std::expected<Change, Refusal> createApp(App app);
  // Creates the app when missing; otherwise a scale (only instances differ) or a rolling
  // upgrade.
  std::expected<Change, Refusal> putApp(App app, bool force);
  std::expected<Change, Refusal> deleteApp(const std::string& id, bool force);
  // Several apps created or changed (a bulk PUT/PATCH, a group), or removed, in one deployment
  // with a step per action. On a refusal the apps before the refused one are changed (and
  // deployed) and the refusal is returned.
  std::expected<Change, Refusal> putApps(std::vector<App> apps, bool force);
  std::expected<Change, Refusal> deleteApps(const std::vector<std::string>& ids, bool force);
  std::expected<Change, Refusal> restartApp(const std::string& id, bool force);
  // Kills these tasks of the app; with `scale` the app's instance count drops by as many.
  std::expected<std::optional<Change>, Refusal> killTasks(const std::string& app_id,
                                                          const std::vector<std::string>& task_ids,
                                                          bool scale, bool force);
  // DELETE /v2/deployments/{id}: rolls back (a new deployment) unless `force`, which only stops.
  std::expected<std::optional<Change>, Refusal> cancelDeployment(const std::string& id, bool force);
  // DELETE .../tasks/{id}?wipe=true: kills the task and forgets it at once (no TASK_KILLED is
  // waited for), so that a replacement launches.
  std::expected<void, Refusal> wipeTask(const std::string& app_id, const std::string& task_id);
  // Forgets the launch delay of an app (DELETE /v2/queue/{app}/delay).
  bool resetDelay(const std::string& app_id);

  // The scheduler's side.
  void onSubscribed(const std::string& framework_id);
  void onDisconnected();
  void onOffers(std::vector<OfferView> offers);
  void onStatus(const StatusView& status);

  // Views for the API.
  const std::map<std::string, App>& apps() const { return apps_; }
  const App* app(const std::string& id) const;
  std::vector<const Instance*> instancesOf(const std::string& app_id) const;
  const std::map<std::string, Instance>& instances() const { return instances_; }
  const std::map<std::string, Deployment>& deployments() const { return deployments_; }
  TaskCounts countsOf(const std::string& app_id) const;
  std::vector<std::string> deploymentsOf(const std::string& app_id) const;
  std::vector<std::string> versionsOf(const std::string& app_id) const;
  std::optional<App> appAt(const std::string& app_id, const std::string& version) const;
  // Valid until the next event.
  std::vector<QueueEntry> queue() const;
  // The app's most recent task failure (Marathon's lastTaskFailure), if any.
  const TaskFailure* lastFailure(const std::string& app_id) const {
    auto it = last_failures_.find(app_id);
    return it != last_failures_.end() ? &it->second : nullptr;
  }
  // Changes whenever what the views above show may have changed (apps, instances and their
  // health, deployments, failures): a cache of their JSON is valid while it stays the same.
  uint64_t generation() const { return generation_; }
  bool connected() const { return connected_; }
  bool offersWanted() const { return offers_wanted_.value_or(false); }
  bool ready(const Instance& i) const;

  // Runs the decisions now (they also run after every event and every tick) for the apps an
  // event since the last run concerned (dirty ones) and the deployments holding them; the work
  // grows with those apps' instances, never with the whole cluster.
  void evaluate();
  // How many times evaluate() planned one app, since construction (for tests of the above).
  uint64_t appsPlanned() const { return apps_planned_; }

 private:
  struct Backoff {
    double seconds = 0;  // the current delay; 0: none
    Clock::TimePoint until{};
  };

  std::string newVersion();
  // Reads apps, instances, task failures, deployments and the framework id from the store.
  Status loadState();
  std::optional<Refusal> locked(const std::string& app_id, bool force);
  Change startDeployment(std::vector<DeploymentPart> parts);
  // An app's change stored and applied, as its part of a deployment still to start.
  std::expected<DeploymentPart, Refusal> prepareCreate(App app);
  std::expected<DeploymentPart, Refusal> preparePut(App app, bool force);
  std::expected<DeploymentPart, Refusal> prepareDelete(const std::string& id, bool force);
  // One deployment of the prepared parts that succeeded; the first refusal, if any.
  std::expected<Change, Refusal> deploy(
      std::vector<std::expected<DeploymentPart, Refusal>> prepared);
  void finishDeployment(const std::string& id, bool success);
  void assignServicePorts(App& app);
  Status storeApp(const App& app);
  void storeInstance(const Instance& i);
  void forgetInstance(const std::string& task_id);
  void killInstance(Instance& i);
  void recordFailure(const std::string& app_id);
  // Stores the app's last task failure (lastTaskFailure).
  void storeFailure(TaskFailure f);
  // A status for an instance expunged as unreachable: adopts it again when it runs and its app
  // has room; returns whether it did.
  bool adoptReturned(const StatusView& s);
  std::vector<InstanceView> viewsOf(const App& app) const;
  // The indexes below follow an instance's change (called by storeInstance, forgetInstance and
  // recovery), and mark its app dirty.
  void reindex(const Instance& i);
  void unindex(const std::string& task_id);
  void markDirty(const std::string& app_id) { dirty_.insert(app_id); }
  void indexDeployment(const Deployment& d, bool add);
  void indexApp(const App& app);
  // Plans one app (kills, launches wanted); an app that is gone has its instances killed.
  void evaluateApp(const std::string& app_id);
  void finishSettledDeployments(const std::set<std::string>& visited);
  bool counted(const Instance& i) const;
  void tick();
  void reconcileAll();
  void publishStatus(const Instance& i, const StatusView& s);
  // Starts the probes that are due; their results come back through onProbe.
  void probeHealth();
  // Probes the readiness check of an instance that waits for it (when due); the result comes
  // back through onReadiness.
  void probeReadiness(const App& a, Instance& i);
  void onReadiness(const std::string& task_id, uint64_t launch_order, const ProbeResult& result);
  void onProbe(const std::string& task_id, uint64_t launch_order, size_t check,
               const ProbeResult& result);
  // Recomputes an instance's health from its checks; publishes health_status_changed_event and
  // returns true when it changed.
  bool refreshHealth(Instance& i);
  void publishDeployment(std::string_view type, const Deployment& d);

  const Clock& clock_;
  Timers& timers_;
  service::KvStore& store_;
  Driver& driver_;
  Publish publish_;
  std::shared_ptr<spdlog::logger> log_;
  UuidGenerator uuids_;
  OrchestratorOptions options_;

  std::string framework_id_;
  std::map<std::string, App> apps_;
  std::map<std::string, Instance> instances_;
  std::map<std::string, Deployment> deployments_;
  std::map<std::string, Backoff> backoff_;
  std::map<std::string, int> pending_;  // app id -> launches wanted now
  std::map<std::string, OfferStats> offer_stats_;
  std::map<std::string, TaskFailure> last_failures_;  // by app id
  std::map<std::string, Instance> expunged_;  // unreachable ones forgotten, kept if they return
  uint64_t next_launch_order_ = 1;
  uint64_t generation_ = 0;
  std::string last_version_;
  bool connected_ = false;
  std::optional<bool> offers_wanted_;
  Timers::TimerId tick_timer_ = 0;
  Timers::TimerId reconcile_timer_ = 0;
  Prober* prober_ = nullptr;
  // Indexes kept as state changes, so that no event scans the whole cluster.
  struct Indexed {  // what an instance adds to its app's counts and to timed_
    std::string app_id;
    TaskCounts counts;
    bool timed = false;
  };
  std::map<std::string, Indexed> indexed_;                           // by task id
  std::map<std::string, std::set<std::string>> tasks_by_app_;        // app id -> task ids
  std::map<std::string, TaskCounts> counts_;                         // by app id
  std::map<std::string, std::set<std::string>> deployments_by_app_;  // app id -> deployment ids
  std::set<std::string> timed_;  // task ids a tick must look at: starting, killing, unreachable
  std::set<std::string> probed_apps_;  // apps with checks plateau-apps runs (health, readiness)
  std::set<std::string> dirty_;        // apps to plan at the next evaluate()
  std::set<std::string> settled_;      // apps whose last plan found them settled
  uint64_t apps_planned_ = 0;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // probes outliving us see it die
};

// Marathon's instance condition for a task state ("TASK_RUNNING" -> "Running").
std::string instanceCondition(const std::string& state);
// A Marathon task id for an app: "shop_web.<uuid>".
std::string taskIdFor(const std::string& app_id, const std::string& uuid);
// The app id a task id names ("shop_web.<uuid>" -> "/shop/web"), as best it can.
std::string appIdOfTask(const std::string& task_id);

}  // namespace plateau::apps
