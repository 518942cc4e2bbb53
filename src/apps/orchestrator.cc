#include "apps/orchestrator.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "apps/events.h"
#include "apps/plan.h"

namespace plateau::apps {

namespace {

constexpr const char* kFrameworkIdKey = "framework_id";
constexpr const char* kAppsPrefix = "apps/";
constexpr const char* kVersionsPrefix = "versions/";
constexpr const char* kInstancesPrefix = "instances/";
constexpr const char* kDeploymentsPrefix = "deployments/";
const std::string kFailuresPrefix = "task_failures/";

}  // namespace

std::string instanceCondition(const std::string& state) {
  static const std::map<std::string, std::string, std::less<>> kConditions = {
      {"TASK_STAGING", "Staging"},   {"TASK_STARTING", "Starting"},
      {"TASK_RUNNING", "Running"},   {"TASK_KILLING", "Killing"},
      {"TASK_KILLED", "Killed"},     {"TASK_FAILED", "Failed"},
      {"TASK_FINISHED", "Finished"}, {"TASK_ERROR", "Error"},
      {"TASK_LOST", "Unreachable"},  {"TASK_UNREACHABLE", "Unreachable"},
      {"TASK_GONE", "Gone"},         {"TASK_DROPPED", "Dropped"},
      {"TASK_UNKNOWN", "Unknown"},   {"TASK_GONE_BY_OPERATOR", "Gone"}};
  auto it = kConditions.find(state);
  return it != kConditions.end() ? it->second : "Unknown";
}

std::string taskIdFor(const std::string& app_id, const std::string& uuid) {
  std::string prefix = app_id.substr(app_id.starts_with('/') ? 1 : 0);
  std::replace(prefix.begin(), prefix.end(), '/', '_');
  return prefix + "." + uuid;
}

std::string appIdOfTask(const std::string& task_id) {
  size_t dot = task_id.rfind('.');
  std::string prefix = task_id.substr(0, dot);
  std::replace(prefix.begin(), prefix.end(), '_', '/');
  return "/" + prefix;
}

Orchestrator::Orchestrator(const Clock& clock, Timers& timers, service::KvStore& store,
                           Driver& driver, Publish publish, std::shared_ptr<spdlog::logger> log,
                           uint64_t seed, OrchestratorOptions options)
    : clock_(clock),
      timers_(timers),
      store_(store),
      driver_(driver),
      publish_(std::move(publish)),
      log_(std::move(log)),
      uuids_(seed),
      options_(options) {}

Orchestrator::~Orchestrator() {
  if (tick_timer_ != 0) {
    timers_.cancel(tick_timer_);
  }
  if (reconcile_timer_ != 0) {
    timers_.cancel(reconcile_timer_);
  }
}

Status Orchestrator::recover() {
  if (Status s = loadState(); !s.isOk()) {
    return s;
  }
  log_->info("state_recovered apps={} instances={} deployments={} framework_id={}", apps_.size(),
             instances_.size(), deployments_.size(), framework_id_);
  tick_timer_ = timers_.every(options_.tick, [this] { tick(); });
  reconcile_timer_ = timers_.every(options_.reconciliation_interval, [this] { reconcileAll(); });
  return {};
}

Status Orchestrator::loadState() {
  auto fid = store_.load(kFrameworkIdKey);
  if (!fid) {
    return fid.error();
  }
  if (auto it = fid->find(kFrameworkIdKey); it != fid->end()) {
    framework_id_ = it->second;
  }
  auto load = [&](const char* prefix, auto&& each) -> Status {
    auto rows = store_.load(prefix);
    if (!rows) {
      return rows.error();
    }
    for (const auto& [key, text] : *rows) {
      auto v = json::parse(text);
      if (!v) {
        log_->error("state_unreadable key={} error={}", key, v.error().message());
        continue;
      }
      each(key, *v);
    }
    return {};
  };
  Status s = load(kAppsPrefix, [&](const std::string& key, const json::Value& v) {
    auto app = appFromJson(v);
    if (!app) {
      log_->error("state_unreadable key={} error={}", key, app.error().message());
      return;
    }
    indexApp(*app);
    apps_[app->id] = std::move(*app);
  });
  if (!s.isOk()) {
    return s;
  }
  s = load(kInstancesPrefix, [&](const std::string& key, const json::Value& v) {
    auto i = instanceFromJson(v);
    if (!i) {
      log_->error("state_unreadable key={} error={}", key, i.error().message());
      return;
    }
    i->staged_time = clock_.now();
    i->kill_sent = clock_.now();
    i->running_time = clock_.now();
    next_launch_order_ = std::max(next_launch_order_, i->launch_order + 1);
    reindex(*i);
    instances_[i->task_id] = std::move(*i);
  });
  if (!s.isOk()) {
    return s;
  }
  s = load(kFailuresPrefix.c_str(), [&](const std::string& key, const json::Value& v) {
    auto f = taskFailureFromJson(v);
    if (!f) {
      log_->error("state_unreadable key={} error={}", key, f.error().message());
      return;
    }
    last_failures_[f->app_id] = std::move(*f);
  });
  if (!s.isOk()) {
    return s;
  }
  s = load(kDeploymentsPrefix, [&](const std::string& key, const json::Value& v) {
    auto d = deploymentFromJson(v);
    if (!d) {
      log_->error("state_unreadable key={} error={}", key, d.error().message());
      return;
    }
    indexDeployment(*d, true);
    deployments_[d->id] = std::move(*d);
  });
  if (!s.isOk()) {
    return s;
  }
  for (const auto& [id, app] : apps_) {
    last_version_ = std::max(last_version_, app.version);
  }
  return {};
}

std::string Orchestrator::newVersion() {
  double wall = clock_.wallSeconds();
  std::string v = isoTime(wall);
  // Versions order changes: never repeat or go back, even within a millisecond.
  while (v <= last_version_) {
    wall += 0.001;
    v = isoTime(wall);
  }
  last_version_ = v;
  return v;
}

const App* Orchestrator::app(const std::string& id) const {
  auto it = apps_.find(id);
  return it == apps_.end() ? nullptr : &it->second;
}

std::vector<std::string> Orchestrator::versionsOf(const std::string& app_id) const {
  std::vector<std::string> out;
  auto rows = store_.load(kVersionsPrefix + app_id + "@");
  if (rows) {
    for (const auto& [key, text] : *rows) {
      out.push_back(key.substr(key.rfind('@') + 1));
    }
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

std::optional<App> Orchestrator::appAt(const std::string& app_id,
                                       const std::string& version) const {
  auto rows = store_.load(kVersionsPrefix + app_id + "@" + version);
  if (!rows || rows->empty()) {
    return std::nullopt;
  }
  auto v = json::parse(rows->begin()->second);
  if (!v) {
    return std::nullopt;
  }
  auto app = appFromJson(*v);
  if (!app) {
    return std::nullopt;
  }
  return *app;
}

std::optional<Refusal> Orchestrator::locked(const std::string& app_id, bool force) {
  auto held = deploymentsOf(app_id);
  if (held.empty()) {
    return std::nullopt;
  }
  if (!force) {
    std::string first = held.front();
    return Refusal{409,
                   fmt::format("App is locked by one or more deployments. Override with the "
                               "option '?force=true'. View details at '/v2/deployments/{}'.",
                               first),
                   held};
  }
  for (const auto& id : held) {
    finishDeployment(id, false);
  }
  return std::nullopt;
}

Status Orchestrator::storeApp(const App& app) {
  ++generation_;
  indexApp(app);
  std::string text = appToJson(app);
  return store_.apply(
      {{kAppsPrefix + app.id, text}, {kVersionsPrefix + app.id + "@" + app.version, text}});
}

void Orchestrator::storeInstance(const Instance& i) {
  ++generation_;
  reindex(i);
  if (Status s = store_.put(kInstancesPrefix + i.task_id, instanceToJson(i)); !s.isOk()) {
    log_->error("state_write_failed task_id={} error={}", i.task_id, s.message());
  }
}

void Orchestrator::forgetInstance(const std::string& task_id) {
  ++generation_;
  unindex(task_id);
  instances_.erase(task_id);
  if (Status s = store_.erase(kInstancesPrefix + task_id); !s.isOk()) {
    log_->error("state_write_failed task_id={} error={}", task_id, s.message());
  }
}

void Orchestrator::assignServicePorts(App& app) {
  std::set<uint32_t> used;
  for (const auto& [id, other] : apps_) {
    if (id == app.id) {
      continue;
    }
    for (auto p : servicePorts(other)) {
      used.insert(p);
    }
  }
  const App* previous = this->app(app.id);
  uint32_t next = options_.service_port_min;
  for (size_t k = 0; k < app.port_definitions.size(); ++k) {
    auto& def = app.port_definitions[k];
    if (def.port != 0) {
      used.insert(def.port);
      continue;
    }
    // Keep the service port the app had at this index, so load balancers keep their config.
    if (previous != nullptr && k < previous->port_definitions.size() &&
        previous->port_definitions[k].port != 0 &&
        !used.contains(previous->port_definitions[k].port)) {
      def.port = previous->port_definitions[k].port;
      used.insert(def.port);
      continue;
    }
    while (next <= options_.service_port_max && used.contains(next)) {
      ++next;
    }
    def.port = next <= options_.service_port_max ? next : 0;
    used.insert(def.port);
  }
}

Change Orchestrator::startDeployment(std::vector<DeploymentPart> parts) {
  ++generation_;
  Deployment d;
  d.id = uuids_.text();
  for (const auto& p : parts) {
    d.version = std::max(d.version, p.target ? p.target->version : std::string());
  }
  if (d.version.empty()) {
    d.version = newVersion();
  }
  d.parts = std::move(parts);
  if (Status s = store_.put(kDeploymentsPrefix + d.id, deploymentToJson(d)); !s.isOk()) {
    log_->error("state_write_failed deployment_id={} error={}", d.id, s.message());
  }
  for (const auto& p : d.parts) {
    log_->info("deployment_started deployment_id={} app_id={} action={}", d.id, p.app_id,
               p.actions.empty() ? "" : p.actions.back());
  }
  publishDeployment("deployment_info", d);
  Change change{d.id, d.version};
  indexDeployment(d, true);
  deployments_[d.id] = std::move(d);
  evaluate();
  return change;
}

void Orchestrator::finishDeployment(const std::string& id, bool success) {
  ++generation_;
  auto it = deployments_.find(id);
  if (it == deployments_.end()) {
    return;
  }
  Deployment d = std::move(it->second);
  deployments_.erase(it);
  indexDeployment(d, false);
  if (Status s = store_.erase(kDeploymentsPrefix + id); !s.isOk()) {
    log_->error("state_write_failed deployment_id={} error={}", id, s.message());
  }
  log_->info("deployment_finished deployment_id={} apps={} success={}", id, d.parts.size(),
             success);
  if (success) {
    publishDeployment("deployment_step_success", d);
    publishDeployment("deployment_success", d);
  } else {
    publishDeployment("deployment_failed", d);
  }
}

std::expected<DeploymentPart, Refusal> Orchestrator::prepareCreate(App app) {
  if (apps_.contains(app.id)) {
    return std::unexpected(
        Refusal{409, fmt::format("An app with id [{}] already exists.", app.id), {}});
  }
  for (const auto& [id, other] : apps_) {
    if (id.starts_with(app.id + "/") || app.id.starts_with(id + "/")) {
      return std::unexpected(Refusal{
          409, fmt::format("An app with id [{}] conflicts with the app [{}]", app.id, id), {}});
    }
  }
  if (auto refused = locked(app.id, true)) {  // a deployment still removing an old one
    return std::unexpected(*refused);
  }
  app.version = newVersion();
  app.last_config_change_at = app.version;
  app.last_scaling_at = app.version;
  assignServicePorts(app);
  if (Status s = storeApp(app); !s.isOk()) {
    return std::unexpected(Refusal{503, s.message(), {}});
  }
  apps_[app.id] = app;
  backoff_.erase(app.id);
  return DeploymentPart{app.id, {"StartApplication", "ScaleApplication"}, std::nullopt, app};
}

std::expected<DeploymentPart, Refusal> Orchestrator::preparePut(App app, bool force) {
  auto it = apps_.find(app.id);
  if (it == apps_.end()) {
    return prepareCreate(std::move(app));
  }
  if (auto refused = locked(app.id, force)) {
    return std::unexpected(*refused);
  }
  App original = it->second;
  app.version = newVersion();
  bool config_change = !app.sameConfig(original);
  app.last_config_change_at = config_change ? app.version : original.last_config_change_at;
  app.last_scaling_at = app.version;
  assignServicePorts(app);
  if (Status s = storeApp(app); !s.isOk()) {
    return std::unexpected(Refusal{503, s.message(), {}});
  }
  it->second = app;
  if (config_change) {
    backoff_.erase(app.id);
  }
  return DeploymentPart{
      app.id, {config_change ? "RestartApplication" : "ScaleApplication"}, original, app};
}

std::expected<DeploymentPart, Refusal> Orchestrator::prepareDelete(const std::string& id,
                                                                   bool force) {
  ++generation_;
  auto it = apps_.find(id);
  if (it == apps_.end()) {
    return std::unexpected(Refusal{404, fmt::format("App '{}' does not exist", id), {}});
  }
  if (auto refused = locked(id, force)) {
    return std::unexpected(*refused);
  }
  App original = it->second;
  if (last_failures_.erase(id) > 0) {
    if (Status s = store_.erase(kFailuresPrefix + id); !s.isOk()) {
      log_->error("state_write_failed key={} error=\"{}\"", kFailuresPrefix + id, s.message());
    }
  }
  if (Status s = store_.erase(kAppsPrefix + id); !s.isOk()) {
    return std::unexpected(Refusal{503, s.message(), {}});
  }
  apps_.erase(it);
  probed_apps_.erase(id);
  markDirty(id);
  backoff_.erase(id);
  pending_.erase(id);
  offer_stats_.erase(id);
  return DeploymentPart{id, {"StopApplication"}, original, std::nullopt};
}

std::expected<Change, Refusal> Orchestrator::createApp(App app) {
  return deploy({prepareCreate(std::move(app))});
}

std::expected<Change, Refusal> Orchestrator::putApp(App app, bool force) {
  return deploy({preparePut(std::move(app), force)});
}

std::expected<Change, Refusal> Orchestrator::deleteApp(const std::string& id, bool force) {
  return deploy({prepareDelete(id, force)});
}

std::expected<Change, Refusal> Orchestrator::putApps(std::vector<App> apps, bool force) {
  std::vector<std::expected<DeploymentPart, Refusal>> parts;
  for (auto& app : apps) {
    parts.push_back(preparePut(std::move(app), force));
    if (!parts.back()) {
      break;  // what is done stays done, and is deployed
    }
  }
  return deploy(std::move(parts));
}

std::expected<Change, Refusal> Orchestrator::deleteApps(const std::vector<std::string>& ids,
                                                        bool force) {
  std::vector<std::expected<DeploymentPart, Refusal>> parts;
  for (const auto& id : ids) {
    parts.push_back(prepareDelete(id, force));
    if (!parts.back()) {
      break;
    }
  }
  return deploy(std::move(parts));
}

std::expected<Change, Refusal> Orchestrator::deploy(
    std::vector<std::expected<DeploymentPart, Refusal>> prepared) {
  std::vector<DeploymentPart> parts;
  std::optional<Refusal> refused;
  for (auto& p : prepared) {
    if (p) {
      parts.push_back(std::move(*p));
    } else if (!refused) {
      refused = p.error();
    }
  }
  if (parts.empty()) {
    return std::unexpected(refused.value_or(Refusal{422, "No apps given", {}}));
  }
  Change change = startDeployment(std::move(parts));
  if (refused) {
    return std::unexpected(*refused);
  }
  return change;
}

std::expected<Change, Refusal> Orchestrator::restartApp(const std::string& id, bool force) {
  auto it = apps_.find(id);
  if (it == apps_.end()) {
    return std::unexpected(Refusal{404, fmt::format("App '{}' does not exist", id), {}});
  }
  if (auto refused = locked(id, force)) {
    return std::unexpected(*refused);
  }
  App original = it->second;
  App app = original;
  app.version = newVersion();
  app.last_config_change_at = app.version;
  if (Status s = storeApp(app); !s.isOk()) {
    return std::unexpected(Refusal{503, s.message(), {}});
  }
  it->second = app;
  backoff_.erase(id);
  return startDeployment({{id, {"RestartApplication"}, original, app}});
}

std::expected<std::optional<Change>, Refusal> Orchestrator::killTasks(
    const std::string& app_id, const std::vector<std::string>& task_ids, bool scale, bool force) {
  auto it = apps_.find(app_id);
  if (it == apps_.end()) {
    return std::unexpected(Refusal{404, fmt::format("App '{}' does not exist", app_id), {}});
  }
  if (scale) {
    if (auto refused = locked(app_id, force)) {
      return std::unexpected(*refused);
    }
  }
  int killed = 0;
  for (const auto& task_id : task_ids) {
    auto i = instances_.find(task_id);
    if (i == instances_.end() || i->second.app_id != app_id) {
      continue;
    }
    if (!i->second.killing) {
      ++killed;
    }
    killInstance(i->second);
  }
  if (!scale) {
    evaluate();
    return std::optional<Change>();
  }
  App original = it->second;
  App app = original;
  app.instances = std::max(0, app.instances - killed);
  app.version = newVersion();
  app.last_scaling_at = app.version;
  if (Status s = storeApp(app); !s.isOk()) {
    return std::unexpected(Refusal{503, s.message(), {}});
  }
  it->second = app;
  return std::optional<Change>(startDeployment({{app_id, {"ScaleApplication"}, original, app}}));
}

std::expected<std::optional<Change>, Refusal> Orchestrator::cancelDeployment(const std::string& id,
                                                                             bool force) {
  auto it = deployments_.find(id);
  if (it == deployments_.end()) {
    return std::unexpected(Refusal{404, fmt::format("DeploymentPlan {} does not exist", id), {}});
  }
  Deployment d = it->second;
  finishDeployment(id, false);
  if (force) {
    evaluate();
    return std::optional<Change>();
  }
  // Roll back: the apps as they were before, as one new deployment.
  std::vector<std::expected<DeploymentPart, Refusal>> rollback;
  for (const auto& p : d.parts) {
    if (p.original) {
      rollback.push_back(preparePut(*p.original, true));
    } else if (apps_.contains(p.app_id)) {
      rollback.push_back(prepareDelete(p.app_id, true));
    }
  }
  if (rollback.empty()) {
    return std::optional<Change>();
  }
  auto change = deploy(std::move(rollback));
  if (!change) {
    return std::unexpected(change.error());
  }
  return std::optional<Change>(*change);
}

std::expected<void, Refusal> Orchestrator::wipeTask(const std::string& app_id,
                                                    const std::string& task_id) {
  auto it = instances_.find(task_id);
  if (it == instances_.end() || it->second.app_id != app_id) {
    return std::unexpected(Refusal{404, fmt::format("Task '{}' does not exist", task_id), {}});
  }
  log_->info("task_wiped task_id={} app_id={}", task_id, app_id);
  driver_.kill(task_id, it->second.agent_id, std::nullopt);
  forgetInstance(task_id);
  evaluate();
  return {};
}

bool Orchestrator::resetDelay(const std::string& app_id) {
  if (!apps_.contains(app_id)) {
    return false;
  }
  backoff_.erase(app_id);
  evaluate();
  return true;
}

void Orchestrator::killInstance(Instance& i) {
  const App* a = app(i.app_id);
  i.killing = true;
  i.kill_sent = clock_.now();
  storeInstance(i);
  log_->info("task_kill task_id={} app_id={}", i.task_id, i.app_id);
  driver_.kill(i.task_id, i.agent_id,
               a != nullptr ? a->task_kill_grace_period_seconds : std::nullopt);
}

void Orchestrator::recordFailure(const std::string& app_id) {
  const App* a = app(app_id);
  if (a == nullptr) {
    return;
  }
  auto& b = backoff_[app_id];
  b.seconds = b.seconds == 0 ? a->backoff_seconds
                             : std::min(b.seconds * a->backoff_factor,
                                        static_cast<double>(a->max_launch_delay_seconds));
  b.until = clock_.now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::duration<double>(b.seconds));
}

void Orchestrator::storeFailure(TaskFailure f) {
  std::string key = kFailuresPrefix + f.app_id;
  if (Status st = store_.put(key, taskFailureToJson(f)); !st.isOk()) {
    log_->error("state_write_failed key={} error=\"{}\"", key, st.message());
  }
  last_failures_[f.app_id] = std::move(f);
}

bool Orchestrator::ready(const Instance& i) const {
  if (i.state != "TASK_RUNNING" || (i.readiness_required && !i.readiness_passed)) {
    return false;
  }
  const App* a = app(i.app_id);
  if (a != nullptr && !a->health_checks.empty()) {
    return i.healthy.value_or(false);
  }
  return true;
}

bool Orchestrator::counted(const Instance& i) const {
  if (i.state == "TASK_UNREACHABLE" && i.unreachable_since) {
    const App* a = app(i.app_id);
    if (a != nullptr && !a->unreachable_disabled &&
        clock_.now() - *i.unreachable_since >=
            std::chrono::seconds(a->unreachable_inactive_after_seconds)) {
      return false;
    }
  }
  return true;
}

std::vector<InstanceView> Orchestrator::viewsOf(const App& a) const {
  std::vector<InstanceView> out;
  for (const auto* i : instancesOf(a.id)) {
    if (!counted(*i)) {
      continue;
    }
    out.push_back({.task_id = i->task_id,
                   .current = i->config_version == a.last_config_change_at,
                   .ready = ready(*i),
                   .killing = i->killing,
                   .launch_order = i->launch_order});
  }
  return out;
}

void Orchestrator::onSubscribed(const std::string& framework_id) {
  connected_ = true;
  if (framework_id != framework_id_) {
    framework_id_ = framework_id;
    if (Status s = store_.put(kFrameworkIdKey, framework_id); !s.isOk()) {
      log_->error("state_write_failed key=framework_id error={}", s.message());
    }
  }
  offers_wanted_.reset();
  reconcileAll();
  evaluate();
}

void Orchestrator::onDisconnected() {
  connected_ = false;
  offers_wanted_.reset();
}

void Orchestrator::reconcileAll() {
  if (!connected_) {
    return;
  }
  std::vector<std::pair<std::string, std::string>> tasks;
  for (const auto& [id, i] : instances_) {
    tasks.emplace_back(id, i.agent_id);
  }
  if (!tasks.empty()) {
    driver_.reconcile(tasks);
  }
  driver_.reconcile({});  // and every task the master knows, to find orphans
}

void Orchestrator::tick() {
  probeHealth();
  auto now = clock_.now();
  std::vector<std::string> expunge;
  // Only the instances a timeout may concern: starting, being killed, or unreachable.
  std::vector<std::string> timed(timed_.begin(), timed_.end());
  for (const auto& id : timed) {
    auto it = instances_.find(id);
    if (it == instances_.end()) {
      continue;
    }
    Instance& i = it->second;
    bool starting = i.state == "TASK_STAGING" || i.state == "TASK_STARTING";
    if (starting && !i.killing && now - i.staged_time >= options_.task_launch_timeout) {
      log_->warn("task_launch_timeout task_id={} app_id={}", id, i.app_id);
      killInstance(i);
      continue;
    }
    if (i.killing && now - i.kill_sent >= options_.kill_retry) {
      killInstance(i);
      continue;
    }
    if (i.state == "TASK_UNREACHABLE" && i.unreachable_since) {
      markDirty(i.app_id);  // it stops counting once inactive for long enough
      const App* a = app(i.app_id);
      if (a != nullptr && !a->unreachable_disabled &&
          now - *i.unreachable_since >=
              std::chrono::seconds(a->unreachable_expunge_after_seconds)) {
        expunge.push_back(id);
      }
    }
  }
  for (const auto& id : expunge) {
    log_->info("task_expunged task_id={}", id);
    auto& i = instances_.at(id);
    expunged_[id] = i;
    driver_.kill(id, i.agent_id, std::nullopt);
    forgetInstance(id);
  }
  evaluate();
}

}  // namespace plateau::apps
