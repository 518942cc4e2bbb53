// The agent's oversubscription wiring (agent/oversubscription.h): what its revocable tasks use,
// and the UPDATE_OVERSUBSCRIBED call.

#include "agent/agent.h"
#include "common/resources_proto.h"

namespace plateau::agent {

std::unique_ptr<OversubscriptionReporter> Agent::makeOversubscription() {
  auto estimator = makeResourceEstimator(flags_.resource_estimator, flags_.modules);
  if (!estimator) {
    // validateFlags() refuses such flags at start-up; a test may build an Agent without it.
    log_->error("resource_estimator_refused reason=\"{}\"", estimator.error().message());
    estimator = std::unique_ptr<ResourceEstimator>();
  }
  return std::make_unique<OversubscriptionReporter>(
      timers_, flags_.oversubscribed_resources_interval, std::move(*estimator), log_,
      OversubscriptionReporter::Hooks{
          .in_use = [this] { return revocableInUse(); },
          .registered = [this] { return master_link_.registered(); },
          .report =
              [this](const Resources& revocable) {
                internal::AgentCall call;
                call.set_type(internal::AgentCall::UPDATE_OVERSUBSCRIBED);
                *call.mutable_agent_id() = info_.id();
                resourcesToProto(
                    revocable,
                    call.mutable_update_oversubscribed()->mutable_oversubscribed_resources());
                master_link_.send(call);
              }});
}

Resources Agent::revocableInUse() const {
  Resources used;
  for (const auto& [fw_id, fw] : book_.frameworks()) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      used += ex.allocatedResources().revocable();
    }
  }
  return used;
}

}  // namespace plateau::agent
