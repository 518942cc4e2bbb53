// The master's side of oversubscription: an agent's revocable resources reach the allocator.

#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/resources_proto.h"
#include "master/master.h"

namespace plateau::master {

Status Master::updateOversubscribed(Agent& agent,
                                    const internal::AgentCall::UpdateOversubscribed& call) {
  auto reported = resourcesFromProto(call.oversubscribed_resources());
  if (!reported) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("Invalid oversubscribed resources: {}", reported.error().message()));
  }
  for (const Resource& r : *reported) {
    if (!r.revocable || r.reserved()) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("Oversubscribed resource '{}' must be revocable and unreserved",
                                r.toString()));
    }
  }
  if (*reported == agent.oversubscribed()) {
    return Status::ok();
  }
  log_->info("agent_oversubscribed_updated agent_id={} from=\"{}\" to=\"{}\"", agent.id,
             agent.oversubscribed().toString(), reported->toString());
  agents_.setOversubscribed(agent, std::move(*reported));
  // As Mesos does, offers holding revocable resources of the agent go back first: they may
  // hold what the new estimate no longer has, and the allocator offers the new one afresh.
  std::vector<std::string> holding;
  for (const std::string& offer_id : offers_.onAgent(agent.id)) {
    const OfferBook::Offer* offer = offers_.find(offer_id);
    if (offer != nullptr && !offer->resources.revocable().empty()) {
      holding.push_back(offer_id);
    }
  }
  for (const std::string& offer_id : holding) {
    removeOffer(offer_id, std::nullopt, true);
  }
  checked(allocator_.updateOversubscribed(agent.id, agent.oversubscribed()));
  scheduleAllocation();
  return Status::ok();
}

}  // namespace plateau::master
