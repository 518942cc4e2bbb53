// Fault domains on the master (common/fault_domain.h): which agents may register. Which agents'
// resources a framework is offered is the allocator's (allocator::OfferRules::regionBlocked).

#include <fmt/format.h>

#include "common/recordio.h"
#include "master/master.h"

namespace plateau::master {

bool Master::refuseAgentDomain(const internal::AgentCall& call, const v1::AgentInfo& info,
                               http::Responder& responder) {
  if (info.has_domain() && !info_.has_domain()) {
    log_->warn("agent_refused hostname={} reason=\"agent has a fault domain, master has none\"",
               info.hostname());
    responder.respond(http::Response::text(
        403,
        "The agent has a fault domain but this master has none (--domain): it cannot tell "
        "whether the agent is remote"));
    return true;
  }
  if (!flags_.require_agent_domain || info.has_domain()) {
    return false;
  }
  refuseRegistration(
      call, info.id().value(), responder,
      "Agent has no fault domain and the master requires one (--require_agent_domain)");
  log_->warn("agent_refused hostname={} reason=\"no fault domain\"", info.hostname());
  return true;
}

}  // namespace plateau::master
