// DEACTIVATE_AGENT, REACTIVATE_AGENT and DRAIN_AGENT: the operator's holds on agents
// (master/drain_book.h), stored in the registry before they take effect. A held agent is
// offered to nobody; a draining one has its tasks killed (with at most the drain's grace
// period) and becomes DRAINED once no task is left on it, then gone when the drain says so.

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/task_state.h"
#include "master/master.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;

namespace {

http::Response badRequest(std::string message) {
  return http::Response::text(400, std::move(message));
}

int64_t nanosOf(const google::protobuf::Duration& d) {
  return d.seconds() * 1'000'000'000 + d.nanos();
}

}  // namespace

bool Master::holdableAgent(const std::string& agent_id) const {
  if (registry_state_.gone.contains(agent_id)) {
    return false;
  }
  return agents_.contains(agent_id) || agents_.expected().contains(agent_id) ||
         registry_state_.agents.contains(agent_id) ||
         registry_state_.unreachable.contains(agent_id);
}

void Master::agentHoldCall(const operator_api::Call& call, http::Responder responder) {
  const auto type = call.type();
  const std::string& agent_id =
      type == operator_api::Call::DRAIN_AGENT        ? call.drain_agent().agent_id().value()
      : type == operator_api::Call::DEACTIVATE_AGENT ? call.deactivate_agent().agent_id().value()
                                                     : call.reactivate_agent().agent_id().value();
  if (!holdableAgent(agent_id)) {
    return responder.respond(badRequest(fmt::format("Unknown agent '{}'", agent_id)));
  }
  const DrainBook::Hold* current = drains_.find(agent_id);
  std::optional<DrainBook::Hold> next;
  if (type == operator_api::Call::DEACTIVATE_AGENT) {
    next = DrainBook::deactivation(current);
  } else if (type == operator_api::Call::REACTIVATE_AGENT) {
    if (current == nullptr) {
      return responder.respond(badRequest(fmt::format("Agent '{}' is not deactivated", agent_id)));
    }
  } else {
    const auto& drain = call.drain_agent();
    v1::DrainConfig config;
    if (drain.has_max_grace_period()) {
      int64_t nanos = nanosOf(drain.max_grace_period());
      if (nanos < 0) {
        return responder.respond(badRequest("Expecting 'max_grace_period' to be non-negative"));
      }
      config.mutable_max_grace_period()->set_nanoseconds(nanos);
    }
    config.set_mark_gone(drain.mark_gone());
    next = DrainBook::drain(current, config);
  }
  auto shared = std::make_shared<http::Responder>(std::move(responder));
  storeHold(agent_id, std::move(next), [shared](Status status) {
    shared->respond(status.isOk() ? http::Response{.status = 200, .headers = {}, .body = {}}
                                  : http::errorResponse(status));
  });
}

void Master::storeHold(const std::string& agent_id, std::optional<DrainBook::Hold> hold,
                       std::function<void(Status)> done) {
  const std::string key = DrainBook::registryKey(agent_id);
  auto change = hold ? registry::Change::putBlob(registry::Change::Kind::kMaintenance, key,
                                                 DrainBook::encode(*hold))
                     : registry::Change::erase(registry::Change::Kind::kMaintenance, key);
  persist({std::move(change)},
          [this, agent_id, hold = std::move(hold), done = std::move(done)](Status status) mutable {
            if (!status.isOk()) {
              return done(Status(StatusCode::kUnavailable,
                                 fmt::format("Cannot store the change: {}", status.message())));
            }
            if (hold) {
              log_->info("agent_held agent_id={} drain={}", agent_id,
                         hold->drain ? v1::DrainState_Name(hold->drain->state()) : "none");
              drains_.set(agent_id, std::move(*hold));
            } else {
              log_->info("agent_reactivated agent_id={}", agent_id);
              drains_.forget(agent_id);
            }
            applyHold(agent_id);
            done({});
          });
}

void Master::applyHold(const std::string& agent_id) {
  Agent* agent = agents_.find(agent_id);
  if (agent == nullptr) {
    return;  // applied when it registers
  }
  if (!drains_.deactivated(agent_id)) {
    if (agent->connected) {
      checked(allocator_.activateAgent(agent_id));
      scheduleAllocation();
    }
    return;
  }
  checked(allocator_.deactivateAgent(agent_id));
  const auto& outstanding = offers_.onAgent(agent_id);
  std::vector<std::string> offers(outstanding.begin(), outstanding.end());
  for (const auto& offer_id : offers) {
    removeOffer(offer_id, std::nullopt, true);
  }
  if (drains_.draining(agent_id) && agent->connected) {
    killForDrain(*agent, drains_.find(agent_id)->drain->config());
  }
  checkDrained(agent_id);
}

void Master::killForDrain(Agent& agent, const v1::DrainConfig& config) {
  for (const auto& [framework_id, task_id] : tasks_.on(agent.id)) {
    const Task* task = tasks_.find(framework_id, task_id);
    if (task == nullptr || isTerminal(task->info.state())) {
      continue;
    }
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::KILL_TASK);
    auto* kill = event.mutable_kill_task();
    kill->mutable_framework_id()->set_value(framework_id);
    kill->mutable_task_id()->set_value(task_id);
    if (v1::Task details = task->details(); details.has_kill_policy()) {
      *kill->mutable_kill_policy() = std::move(*details.mutable_kill_policy());
    }
    if (config.has_max_grace_period()) {
      // The drain's bound caps the task's own grace period (and replaces a missing one).
      auto* grace = kill->mutable_kill_policy()->mutable_grace_period();
      int64_t bound = config.max_grace_period().nanoseconds();
      grace->set_nanoseconds(grace->has_nanoseconds() ? std::min(grace->nanoseconds(), bound)
                                                      : bound);
    }
    sendToAgent(agent, event);
  }
  log_->info("agent_draining agent_id={} tasks={}", agent.id, tasks_.countOn(agent.id));
}

void Master::checkDrained(const std::string& agent_id) {
  if (!drains_.draining(agent_id) || !agents_.contains(agent_id) || tasks_.countOn(agent_id) > 0 ||
      !drained_pending_.insert(agent_id).second) {
    return;
  }
  DrainBook::Hold hold = DrainBook::drained(*drains_.find(agent_id));
  const bool mark_gone = hold.drain->config().mark_gone();
  storeHold(agent_id, std::move(hold), [this, agent_id, mark_gone](Status status) {
    drained_pending_.erase(agent_id);
    if (!status.isOk()) {
      log_->error("agent_drained_unstored agent_id={} error=\"{}\"", agent_id, status.message());
      return;
    }
    log_->info("agent_drained agent_id={} mark_gone={}", agent_id, mark_gone);
    if (mark_gone) {
      markGone(agent_id, [this, agent_id](Status gone) {
        if (!gone.isOk()) {
          log_->error("agent_drained_not_gone agent_id={} error=\"{}\"", agent_id, gone.message());
        }
      });
    }
  });
}

void Master::recoverHolds() {
  Status status = drains_.recover(registry_state_.maintenance);
  if (!status.isOk()) {
    log_->error("agent_holds_unreadable reason=\"{}\"", status.message());
  }
}

}  // namespace plateau::master
