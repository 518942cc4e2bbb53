// The orchestrator's indexes and its incremental evaluation: an event marks the apps it concerns
// dirty, and evaluate() plans only those (and checks only the deployments holding them), with
// per-app instance sets and counts kept as instances change rather than found by a scan.

#include <algorithm>

#include "apps/events.h"
#include "apps/orchestrator.h"

namespace plateau::apps {

namespace {

void add(TaskCounts& into, const TaskCounts& c, int sign) {
  into.staged += sign * c.staged;
  into.running += sign * c.running;
  into.healthy += sign * c.healthy;
  into.unhealthy += sign * c.unhealthy;
}

}  // namespace

std::vector<const Instance*> Orchestrator::instancesOf(const std::string& app_id) const {
  std::vector<const Instance*> out;
  auto it = tasks_by_app_.find(app_id);
  if (it == tasks_by_app_.end()) {
    return out;
  }
  out.reserve(it->second.size());
  for (const auto& task_id : it->second) {
    out.push_back(&instances_.at(task_id));
  }
  return out;
}

std::vector<std::string> Orchestrator::deploymentsOf(const std::string& app_id) const {
  auto it = deployments_by_app_.find(app_id);
  if (it == deployments_by_app_.end()) {
    return {};
  }
  return {it->second.begin(), it->second.end()};
}

TaskCounts Orchestrator::countsOf(const std::string& app_id) const {
  auto it = counts_.find(app_id);
  return it == counts_.end() ? TaskCounts{} : it->second;
}

void Orchestrator::unindex(const std::string& task_id) {
  auto it = indexed_.find(task_id);
  if (it == indexed_.end()) {
    return;
  }
  const Indexed& old = it->second;
  markDirty(old.app_id);
  auto tasks = tasks_by_app_.find(old.app_id);
  if (tasks != tasks_by_app_.end()) {
    tasks->second.erase(task_id);
    if (tasks->second.empty()) {
      tasks_by_app_.erase(tasks);
      counts_.erase(old.app_id);
    } else {
      add(counts_[old.app_id], old.counts, -1);
    }
  }
  timed_.erase(task_id);
  indexed_.erase(it);
}

void Orchestrator::reindex(const Instance& i) {
  unindex(i.task_id);
  bool starting = i.state == "TASK_STAGING" || i.state == "TASK_STARTING";
  Indexed n{.app_id = i.app_id, .counts = {}, .timed = false};
  n.counts.staged = starting ? 1 : 0;
  n.counts.running = i.state == "TASK_RUNNING" ? 1 : 0;
  n.counts.healthy = i.healthy == true ? 1 : 0;
  n.counts.unhealthy = i.healthy == false ? 1 : 0;
  n.timed = starting || i.killing || (i.state == "TASK_UNREACHABLE" && i.unreachable_since);
  tasks_by_app_[i.app_id].insert(i.task_id);
  add(counts_[i.app_id], n.counts, 1);
  if (n.timed) {
    timed_.insert(i.task_id);
  }
  markDirty(i.app_id);
  indexed_[i.task_id] = std::move(n);
}

void Orchestrator::indexDeployment(const Deployment& d, bool add_it) {
  for (const auto& p : d.parts) {
    markDirty(p.app_id);
    if (add_it) {
      deployments_by_app_[p.app_id].insert(d.id);
      continue;
    }
    auto it = deployments_by_app_.find(p.app_id);
    if (it != deployments_by_app_.end()) {
      it->second.erase(d.id);
      if (it->second.empty()) {
        deployments_by_app_.erase(it);
      }
    }
  }
}

void Orchestrator::indexApp(const App& app) {
  bool probed = !app.readiness_checks.empty() ||
                std::any_of(app.health_checks.begin(), app.health_checks.end(), runByService);
  if (probed) {
    probed_apps_.insert(app.id);
  } else {
    probed_apps_.erase(app.id);
  }
  markDirty(app.id);
}

void Orchestrator::evaluateApp(const std::string& app_id) {
  auto it = apps_.find(app_id);
  if (it == apps_.end()) {
    // Instances of an app that is gone go.
    pending_.erase(app_id);
    offer_stats_.erase(app_id);
    settled_.erase(app_id);
    for (const auto* i : instancesOf(app_id)) {
      if (!i->killing) {
        killInstance(instances_.at(i->task_id));
      }
    }
    return;
  }
  ++apps_planned_;
  const App& a = it->second;
  Plan plan = planApp(a, viewsOf(a));
  for (const auto& task_id : plan.kill) {
    killInstance(instances_.at(task_id));
  }
  if (plan.launch > 0) {
    pending_[app_id] = plan.launch;
    if (!offer_stats_.contains(app_id)) {
      offer_stats_.emplace(app_id, OfferStats(isoTime(clock_.wallSeconds())));
    }
  } else {
    pending_.erase(app_id);
    offer_stats_.erase(app_id);
  }
  // A plan that kills is never settled, nor is the app once those kills are under way.
  if (plan.settled) {
    settled_.insert(app_id);
  } else {
    settled_.erase(app_id);
  }
}

// Deployments that reached their target: every app settled, or gone when removed.
void Orchestrator::finishSettledDeployments(const std::set<std::string>& visited) {
  std::set<std::string> candidates;
  for (const auto& app_id : visited) {
    if (auto it = deployments_by_app_.find(app_id); it != deployments_by_app_.end()) {
      candidates.insert(it->second.begin(), it->second.end());
    }
  }
  std::vector<std::string> done;
  for (const auto& id : candidates) {
    const Deployment& d = deployments_.at(id);
    bool all = std::all_of(d.parts.begin(), d.parts.end(), [&](const DeploymentPart& p) {
      if (!p.target) {
        return !tasks_by_app_.contains(p.app_id);
      }
      return apps_.contains(p.app_id) && settled_.contains(p.app_id);
    });
    if (all) {
      done.push_back(id);
    }
  }
  for (const auto& id : done) {
    std::vector<std::string> removed;
    for (const auto& p : deployments_.at(id).parts) {
      if (!p.target) {
        removed.push_back(p.app_id);
      }
    }
    finishDeployment(id, true);
    for (const auto& app_id : removed) {
      publish_(
          "app_terminated_event",
          eventJson("app_terminated_event", isoTime(clock_.wallSeconds()), [&](json::Writer& w) {
            w.key("appId");
            w.value(app_id);
          }));
    }
  }
}

void Orchestrator::evaluate() {
  // Kills made while planning mark their apps dirty again: the next run plans them anew.
  std::set<std::string> visited;
  visited.swap(dirty_);
  for (const auto& app_id : visited) {
    evaluateApp(app_id);
  }
  finishSettledDeployments(visited);
  // Offers are wanted while an app waits to launch and is not held back by its backoff; only
  // apps with launches pending are looked at.
  bool wanted = false;
  auto now = clock_.now();
  for (const auto& [id, n] : pending_) {
    auto b = backoff_.find(id);
    if (n > 0 && (b == backoff_.end() || b->second.until <= now)) {
      wanted = true;
      break;
    }
  }
  if (connected_ && offers_wanted_ != wanted) {
    offers_wanted_ = wanted;
    log_->info("offers_{}", wanted ? "revived" : "suppressed");
    driver_.wantOffers(wanted);
  }
}

}  // namespace plateau::apps
