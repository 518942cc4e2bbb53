// The orchestrator's scheduler side: offers (launches, and the statistics of the ones it could
// not use), task status updates, and the health of running tasks.

#include <algorithm>

#include <fmt/format.h>

#include "apps/events.h"
#include "apps/orchestrator.h"

namespace plateau::apps {

namespace {

constexpr double kDeclineSecondsBusy = 5;
constexpr double kDeclineSecondsIdle = 120;

// A task that ended this way counts as a failure of its app (backoff, lastTaskFailure) unless
// it was being killed.
bool failedState(const std::string& s) {
  return s == "TASK_FAILED" || s == "TASK_ERROR" || s == "TASK_LOST" || s == "TASK_DROPPED" ||
         s == "TASK_GONE" || s == "TASK_KILLED" || s == "TASK_FINISHED" || s == "TASK_UNKNOWN" ||
         s == "TASK_GONE_BY_OPERATOR";
}

}  // namespace

void Orchestrator::onOffers(std::vector<OfferView> offers) {
  evaluate();
  auto now = clock_.now();
  // Apps that may launch now, each with how many.
  std::vector<std::pair<std::string, int>> wanting;
  for (const auto& [id, n] : pending_) {
    auto b = backoff_.find(id);
    if (b == backoff_.end() || b->second.until <= now) {
      wanting.emplace_back(id, n);
    }
  }
  for (auto& offer : offers) {
    std::vector<LaunchSpec> launches;
    bool progress = true;
    while (progress) {
      progress = false;
      for (auto& [app_id, n] : wanting) {
        if (n <= 0) {
          continue;
        }
        const App& a = apps_.at(app_id);
        std::vector<Place> placed;
        for (const auto* i : instancesOf(app_id)) {
          if (!isTerminal(i->state)) {
            placed.push_back(i->place);
          }
        }
        auto& stats = offer_stats_.try_emplace(app_id, isoTime(clock_.wallSeconds())).first->second;
        Fit fit = fitTask(a, offer, placed);
        if (!fit.ok) {
          stats.unused(offer, std::move(fit.reasons), isoTime(clock_.wallSeconds()));
          n = 0;  // this offer will not take it; others may
          continue;
        }
        stats.used(isoTime(clock_.wallSeconds()));
        Instance i;
        i.task_id = taskIdFor(app_id, uuids_.text());
        i.app_id = app_id;
        i.version = a.version;
        i.config_version = a.last_config_change_at;
        i.agent_id = offer.agent_id;
        i.place = offer.place;
        i.host_ports = fit.host_ports;
        i.staged_at = isoTime(clock_.wallSeconds());
        i.staged_time = now;
        i.launch_order = next_launch_order_++;
        i.readiness_required = !a.readiness_checks.empty() && !deploymentsOf(app_id).empty();
        storeInstance(i);
        log_->info("task_launch task_id={} app_id={} agent_id={}", i.task_id, app_id,
                   offer.agent_id);
        launches.push_back({a, i.task_id, fit.host_ports});
        instances_[i.task_id] = std::move(i);
        --n;
        --pending_[app_id];
        progress = true;
      }
    }
    // Restore the counts of apps this offer could not take, for the next offer.
    for (auto& [app_id, n] : wanting) {
      n = std::max(0, pending_[app_id]);
    }
    if (launches.empty()) {
      bool busy = std::any_of(wanting.begin(), wanting.end(), [](auto& w) { return w.second > 0; });
      driver_.decline(offer.id, busy ? kDeclineSecondsBusy : kDeclineSecondsIdle);
    } else {
      driver_.launch(offer, launches);
    }
  }
  evaluate();
}

void Orchestrator::publishStatus(const Instance& i, const StatusView& s) {
  std::string now = isoTime(clock_.wallSeconds());
  publish_("status_update_event",
           instanceEventJson("status_update_event", i, now, [&](json::Writer& w) {
             w.key("taskStatus");
             w.value(s.state);
             w.key("message");
             w.value(s.message);
             w.key("ipAddresses");
             w.beginArray();
             w.endArray();
             w.key("ports");
             w.beginArray();
             for (auto p : i.host_ports) {
               w.value(p);
             }
             w.endArray();
           }));
  // Marathon names an instance's fields differently in this one.
  publish_("instance_changed_event",
           instanceEventJson("instance_changed_event", i, now, [&](json::Writer& w) {
             w.key("condition");
             w.value(instanceCondition(s.state));
             w.key("runSpecId");
             w.value(i.app_id);
             w.key("agentId");
             w.value(i.agent_id);
             w.key("runSpecVersion");
             w.value(i.version);
           }));
}

void Orchestrator::publishDeployment(std::string_view type, const Deployment& d) {
  publish_(type, deploymentEventJson(type, d, isoTime(clock_.wallSeconds())));
}

void Orchestrator::onStatus(const StatusView& s) {
  ++generation_;
  auto it = instances_.find(s.task_id);
  if (it == instances_.end()) {
    if (adoptReturned(s)) {
      return;
    }
    // Not ours (any more): a task we forgot or an orphan from before a crash. Stop it.
    if (!isTerminal(s.state)) {
      log_->info("task_unknown_killed task_id={} state={}", s.task_id, s.state);
      driver_.kill(s.task_id, s.agent_id, std::nullopt);
    }
    return;
  }
  Instance& i = it->second;
  bool state_changed = i.state != s.state;
  // Compared with the agent's own verdict, not the combined health: after a failover a status
  // that repeats a stored combined verdict still teaches the agent's.
  bool health_changed = s.healthy.has_value() && s.healthy != i.agent_healthy;
  if (!state_changed && !health_changed) {
    return;  // reconciliation answers for what we know already
  }
  if (!s.agent_id.empty()) {
    i.agent_id = s.agent_id;
  }
  if (state_changed) {
    i.state = s.state;
    i.message = s.message;
    publishStatus(i, s);
  }
  if (state_changed && s.state == "TASK_RUNNING") {
    i.running_time = clock_.now();
    i.checks.clear();
  }
  if (s.state == "TASK_RUNNING" && i.started_at.empty()) {
    i.started_at = isoTime(clock_.wallSeconds());
  }
  if (s.state == "TASK_UNREACHABLE") {
    if (!i.unreachable_since) {
      i.unreachable_since = clock_.now();
    }
  } else {
    i.unreachable_since.reset();
  }
  if (health_changed) {
    i.agent_healthy = s.healthy;
    refreshHealth(i);
  }
  if (isTerminal(s.state)) {
    log_->info("task_ended task_id={} app_id={} state={} reason={}", i.task_id, i.app_id, s.state,
               s.reason);
    if (!i.killing && failedState(s.state)) {
      recordFailure(i.app_id);
      storeFailure({.app_id = i.app_id,
                    .task_id = i.task_id,
                    .state = s.state,
                    .message = s.message,
                    .host = i.place.hostname,
                    .agent_id = i.agent_id,
                    .version = i.version,
                    .timestamp = isoTime(clock_.wallSeconds())});
    }
    forgetInstance(s.task_id);
  } else if (state_changed || health_changed) {
    storeInstance(i);
  }
  evaluate();
}

bool Orchestrator::refreshHealth(Instance& i) {
  const App* a = app(i.app_id);
  if (a == nullptr) {
    return false;
  }
  // Healthy when every check is alive; unhealthy when one is not; unknown (kept as it was)
  // while a check has no counted result yet.
  bool any_unknown = false;
  bool any_dead = false;
  for (size_t k = 0; k < a->health_checks.size(); ++k) {
    const HealthCheck& h = a->health_checks[k];
    if (runByService(h)) {
      auto it = i.checks.find(k);
      if (it == i.checks.end() || (!it->second.last_success && !it->second.last_failure)) {
        any_unknown = true;
      } else if (!it->second.alive()) {
        any_dead = true;
      }
    } else if (runByAgent(h)) {
      if (!i.agent_healthy) {
        any_unknown = true;
      } else if (!*i.agent_healthy) {
        any_dead = true;
      }
    }
  }
  std::optional<bool> healthy = i.healthy;
  if (any_dead) {
    healthy = false;
  } else if (!any_unknown && !a->health_checks.empty()) {
    healthy = true;
  }
  if (healthy == i.healthy) {
    return false;
  }
  i.healthy = healthy;
  storeInstance(i);
  publish_("health_status_changed_event",
           instanceEventJson("health_status_changed_event", i, isoTime(clock_.wallSeconds()),
                             [&](json::Writer& w) {
                               w.key("alive");
                               w.value(*healthy);
                             }));
  return true;
}

void Orchestrator::probeHealth() {
  if (prober_ == nullptr) {
    return;
  }
  auto now = clock_.now();
  // Only the instances of apps with checks of their own (probe results may change the sets).
  std::vector<std::string> ids;
  for (const auto& app_id : probed_apps_) {
    for (const auto* i : instancesOf(app_id)) {
      ids.push_back(i->task_id);
    }
  }
  for (const auto& id : ids) {
    auto it = instances_.find(id);
    if (it == instances_.end()) {
      continue;
    }
    Instance& i = it->second;
    if (i.state != "TASK_RUNNING" || i.killing) {
      continue;
    }
    const App* a = app(i.app_id);
    if (a == nullptr) {
      continue;
    }
    probeReadiness(*a, i);
    for (size_t k = 0; k < a->health_checks.size(); ++k) {
      const HealthCheck& h = a->health_checks[k];
      if (!runByService(h)) {
        continue;
      }
      CheckState& c = i.checks[k];
      if (c.in_flight || now < c.next_probe) {
        continue;
      }
      auto port = probePort(h, i.host_ports);
      if (!port) {
        continue;  // validation refuses such checks; an old stored app may still have one
      }
      c.in_flight = true;
      c.next_probe = now + std::chrono::seconds(std::max(1, h.interval_seconds));
      std::weak_ptr<char> alive = alive_;
      std::string task_id = id;
      uint64_t order = i.launch_order;
      prober_->probe(h, i.place.hostname, *port,
                     [this, alive, task_id, order, k](ProbeResult result) {
                       if (!alive.expired()) {
                         onProbe(task_id, order, k, result);
                       }
                     });
    }
  }
}

void Orchestrator::probeReadiness(const App& a, Instance& i) {
  if (!i.readiness_required || i.readiness_passed || i.readiness_in_flight ||
      a.readiness_checks.empty() || clock_.now() < i.next_readiness) {
    return;
  }
  const ReadinessCheck& r = a.readiness_checks.front();
  auto index = readinessPortIndex(a, r);
  if (!index || *index >= i.host_ports.size()) {
    return;  // validation refuses such checks
  }
  HealthCheck probe;
  probe.protocol = r.protocol;
  probe.path = r.path;
  probe.timeout_seconds = r.timeout_seconds;
  i.readiness_in_flight = true;
  i.next_readiness = clock_.now() + std::chrono::seconds(r.interval_seconds);
  std::weak_ptr<char> alive = alive_;
  prober_->probe(probe, i.place.hostname, i.host_ports[*index],
                 [this, alive, task_id = i.task_id, order = i.launch_order](ProbeResult result) {
                   if (!alive.expired()) {
                     onReadiness(task_id, order, result);
                   }
                 });
}

void Orchestrator::onReadiness(const std::string& task_id, uint64_t launch_order,
                               const ProbeResult& result) {
  auto it = instances_.find(task_id);
  if (it == instances_.end() || it->second.launch_order != launch_order) {
    return;
  }
  Instance& i = it->second;
  i.readiness_in_flight = false;
  const App* a = app(i.app_id);
  if (a == nullptr || a->readiness_checks.empty() || result.status == 0) {
    return;
  }
  const auto& codes = a->readiness_checks.front().status_codes;
  if (std::find(codes.begin(), codes.end(), result.status) == codes.end()) {
    return;
  }
  log_->info("task_ready task_id={} app_id={} status={}", task_id, i.app_id, result.status);
  i.readiness_passed = true;
  storeInstance(i);
  evaluate();
}

void Orchestrator::onProbe(const std::string& task_id, uint64_t launch_order, size_t check,
                           const ProbeResult& result) {
  ++generation_;
  auto it = instances_.find(task_id);
  if (it == instances_.end() || it->second.launch_order != launch_order) {
    return;
  }
  Instance& i = it->second;
  CheckState& c = i.checks[check];
  c.in_flight = false;
  const App* a = app(i.app_id);
  if (a == nullptr || check >= a->health_checks.size() || i.state != "TASK_RUNNING" || i.killing) {
    return;
  }
  const HealthCheck& h = a->health_checks[check];
  Verdict v = recordResult(c, h, result, clock_.now() - i.running_time, clock_.wallSeconds());
  if (!v.counted) {
    return;
  }
  if (!result.ok) {
    log_->info("health_check_failed task_id={} app_id={} protocol={} failures={} cause=\"{}\"",
               task_id, i.app_id, h.protocol, c.consecutive_failures, result.cause);
  }
  bool changed = refreshHealth(i);
  if (!v.kill) {
    if (changed) {
      evaluate();  // a deployment may wait for this task's health
    }
    return;
  }
  log_->warn("task_unhealthy_killed task_id={} app_id={} failures={}", task_id, i.app_id,
             c.consecutive_failures);
  publish_("unhealthy_instance_kill_event",
           instanceEventJson("unhealthy_instance_kill_event", i, isoTime(clock_.wallSeconds()),
                             [&](json::Writer& w) {
                               w.key("reason");
                               w.value(fmt::format("{} consecutive health check failures: {}",
                                                   c.consecutive_failures, result.cause));
                             }));
  killInstance(i);
  evaluate();
}

// An instance expunged as unreachable that comes back is kept while its app has room for it
// (unreachableStrategy), as it was.
bool Orchestrator::adoptReturned(const StatusView& s) {
  auto e = expunged_.find(s.task_id);
  if (e == expunged_.end()) {
    return false;
  }
  Instance back = e->second;
  expunged_.erase(e);
  const App* a = app(back.app_id);
  if (s.state != "TASK_RUNNING" || a == nullptr) {
    return false;
  }
  int active = 0;
  for (const auto* other : instancesOf(back.app_id)) {
    active += counted(*other) && !other->killing ? 1 : 0;
  }
  if (active >= a->instances) {
    return false;
  }
  log_->info("task_returned_kept task_id={} app_id={}", s.task_id, back.app_id);
  back.state = s.state;
  back.agent_id = s.agent_id.empty() ? back.agent_id : s.agent_id;
  back.unreachable_since.reset();
  back.killing = false;
  back.running_time = clock_.now();
  back.checks.clear();
  storeInstance(back);
  instances_[back.task_id] = std::move(back);
  publishStatus(instances_.at(s.task_id), s);
  evaluate();
  return true;
}

std::vector<QueueEntry> Orchestrator::queue() const {
  std::vector<QueueEntry> out;
  auto now = clock_.now();
  for (const auto& [id, n] : pending_) {
    if (n <= 0) {
      continue;
    }
    QueueEntry e;
    e.app_id = id;
    e.count = n;
    if (auto b = backoff_.find(id); b != backoff_.end() && b->second.until > now) {
      e.delay_left_seconds = std::chrono::duration<double>(b->second.until - now).count();
    }
    if (auto s = offer_stats_.find(id); s != offer_stats_.end()) {
      e.offers = &s->second;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace plateau::apps
