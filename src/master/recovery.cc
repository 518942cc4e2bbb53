// The registry: recovery after a restart or failover, and persisting changes before acting.

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/invariant.h"
#include "master/master.h"
#include "master/registry/pruning.h"

namespace plateau::master {

void Master::recover() {
  registry_->recover([this](Result<registry::State> state) {
    if (!state) {
      // Without the registry the master cannot know what it promised: stop, and let the
      // operator (or supervisor) look at the logged reason.
      log_->error("registry_recovery_failed registry={} error=\"{}\"", registry_->name(),
                  state.error().message());
      abdicate();
      return;
    }
    onRecovered(std::move(*state));
  });
}

void Master::onRecovered(registry::State state) {
  roles_.recover(std::move(state.weights), std::move(state.quotas));
  registry_state_ = std::move(state);
  for (const auto& [role, weight] : roles_.weights()) {
    checked(allocator_.setWeight(role, weight));
  }
  for (const auto& [role, config] : roles_.quotas()) {
    checked(allocator_.setQuota(role, RoleBook::allocatorQuota(config)));
  }
  applyFlagWeights();
  for (const auto& [id, info] : registry_state_.frameworks) {
    addRecoveredFramework(info);
  }
  recoverMaintenance();
  recoverHolds();
  agents_at_recovery_ = registry_state_.agents.size();
  agents_.expect(registry_state_.agents, flags_.agent_reregister_timeout);
  recovered_ = true;
  log_->info("registry_recovered agents={} frameworks={} unreachable={} gone={} calls_held={}",
             registry_state_.agents.size(), registry_state_.frameworks.size(),
             registry_state_.unreachable.size(), registry_state_.gone.size(),
             held_until_recovered_.size());
  releaseHeld();
}

namespace {

// Calls held while the registry is recovered: enough for every agent of a 50,000-agent cluster
// and its frameworks, bounded in bytes so that large re-registrations cannot exhaust memory.
constexpr size_t kMaxHeldCalls = 65536;
constexpr size_t kMaxHeldBytes = size_t{512} << 20;
// Held calls routed per loop turn once recovered, so that /health and the rest keep turning.
constexpr size_t kHeldPerTurn = 256;

}  // namespace

void Master::holdUntilRecovered(http::Request& request, http::Responder responder) {
  if (held_until_recovered_.size() >= kMaxHeldCalls ||
      held_bytes_ + request.body.size() > kMaxHeldBytes) {
    http::Response busy = http::Response::text(
        503, "Master has not finished recovery and holds as many calls as it can: retry shortly");
    busy.headers["retry-after"] = std::to_string(1);
    return responder.respond(std::move(busy));
  }
  held_bytes_ += request.body.size();
  held_until_recovered_.emplace_back(std::move(request), std::move(responder));
}

void Master::releaseHeld() {
  for (size_t i = 0; i < kHeldPerTurn && !held_until_recovered_.empty(); ++i) {
    auto [request, responder] = std::move(held_until_recovered_.front());
    held_until_recovered_.pop_front();
    held_bytes_ -= request.body.size();
    route(request, std::move(responder));
  }
  if (!held_until_recovered_.empty()) {
    timers_.after(std::chrono::nanoseconds(0), [this] { releaseHeld(); });
  }
}

// Mesos's --weights: the registry's weights win once it has any (the operator changed them
// since); a registry without weights takes the flag's, stored as an UPDATE_WEIGHTS would be.
void Master::applyFlagWeights() {
  if (flags_.weight_map.empty()) {
    return;
  }
  if (!roles_.weights().empty()) {
    log_->warn(
        "flag_weights_ignored reason=\"the registry holds weights; change them with "
        "UPDATE_WEIGHTS\"");
    return;
  }
  mesos::v1::master::Call_UpdateWeights update;
  for (const auto& [role, weight] : flags_.weight_map) {
    auto* info = update.add_weight_infos();
    info->set_role(role);
    info->set_weight(weight);
  }
  updateWeights(update, [this](Status status) {
    if (!status.isOk()) {
      log_->error("flag_weights_failed error=\"{}\"", status.message());
    }
  });
}

void Master::pruneRegistry() {
  auto changes = registry::pruneAgents(
      registry_state_, now(), std::chrono::duration<double>(flags_.registry_max_agent_age).count(),
      static_cast<size_t>(flags_.registry_max_agent_count));
  if (changes.empty()) {
    return;
  }
  std::vector<std::string> ids;
  for (const auto& change : changes) {
    ids.push_back(change.id);
  }
  persist(std::move(changes), [this, ids](Status status) {
    if (status.isOk()) {
      log_->info("registry_agents_pruned count={} agent_ids={}", ids.size(), fmt::join(ids, ","));
    }
  });
}

void Master::addRecoveredFramework(const v1::FrameworkInfo& info) {
  const std::string& id = info.id().value();
  if (frameworks_.contains(id)) {
    return;
  }
  Framework& fw = frameworks_.add(id).first;
  fw.info = info;
  principal_metrics_.frameworkAdded(id, info.principal());
  per_framework_metrics_.added(id, info.name());
  setRoles(fw);
  fw.recovered = true;
  for (const auto& cap : info.capabilities()) {
    if (cap.type() == v1::FrameworkInfo::Capability::PARTITION_AWARE) {
      fw.partition_aware = true;
    }
  }
  fw.registered_time = now();
  checked(allocator_.addFramework(id, frameworkSpec(fw), false));
  // It has its failover timeout, counted from now, to subscribe again.
  frameworks_.awaitFailover(fw);
  feed_.frameworkAdded(fw);
  log_->info("framework_recovered framework_id={} name={}", id, info.name());
}

void Master::persist(std::vector<registry::Change> changes, std::function<void(Status)> then) {
  auto copy = changes;
  registry_->apply(
      std::move(changes), [this, copy = std::move(copy), then = std::move(then)](Status status) {
        if (status.isOk()) {
          for (const auto& change : copy) {
            if (RoleBook::holds(change.kind)) {
              roles_.apply(change);
            } else {
              checkInvariant(registry::applyTo(registry_state_, change));
            }
          }
        } else {
          log_->error("registry_write_failed registry={} error=\"{}\"", registry_->name(),
                      status.message());
          if (status.code() == StatusCode::kFailedPrecondition && leadership_->contended()) {
            // The epoch moved on: another master leads now. Act on nothing more.
            log_->error("leadership_fenced");
            abdicate();
          }
        }
        then(status);
      });
}

void Master::markUnreachable(const std::string& agent_id, const std::string& why,
                             std::function<void(Status)> then) {
  agents_.stopExpecting(agent_id);
  log_->warn("agent_unreachable agent_id={} reason=\"{}\"", agent_id, why);
  persist({registry::Change::erase(registry::Change::Kind::kAgent, agent_id),
           registry::Change::putNumber(registry::Change::Kind::kUnreachable, agent_id, now())},
          std::move(then));
}

}  // namespace plateau::master
