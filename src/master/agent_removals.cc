// Removals of agents under Mesos's limits (master/removal_limits.h): those that failed their
// health checks, spaced out by --agent_removal_rate_limit, and those that did not come back
// after a failover, bounded by --recovery_agent_removal_limit.

#include <fmt/format.h>

#include "master/master.h"

namespace plateau::master {

void Master::removeSilentAgent(const std::string& agent_id) {
  auto silent_for = flags_.agent_ping_timeout * flags_.max_agent_ping_timeouts;
  bool waits = removal_limiter_.acquire(
      agent_id,
      [this, agent_id, silent_for] {
        // As Mesos: an agent heard from while it waited for its turn is not removed.
        const Agent* agent = agents_.find(agent_id);
        bool due = agent != nullptr && clock_.now() - agent->last_heard > silent_for;
        if (!due) {
          log_->info("agent_removal_cancelled agent_id={} reason=\"heard from again\"", agent_id);
        }
        return due;
      },
      [this, agent_id] { removeAgent(agent_id, "health check timed out"); });
  if (waits) {
    log_->info("agent_removal_rate_limited agent_id={} waiting={} limit={}", agent_id,
               removal_limiter_.waiting(), flags_.agent_removal_rate_limit);
  }
}

void Master::agentsNotBack(const std::vector<std::string>& agent_ids) {
  double limit = parseRemovalLimit(flags_.recovery_agent_removal_limit).value_or(1.0);
  if (!withinRemovalLimit(agent_ids.size(), agents_at_recovery_, limit)) {
    log_->error(
        "agent_removal_limit_exceeded missing={} recovered={} limit={} reason=\"more agents than "
        "--recovery_agent_removal_limit allows did not re-register after the failover: none is "
        "removed and this master exits (a widespread failure needs an operator)\"",
        agent_ids.size(), agents_at_recovery_, flags_.recovery_agent_removal_limit);
    abdicate();
    return;
  }
  for (const auto& id : agent_ids) {
    markUnreachable(id, "did not re-register after master failover", [](Status) {});
  }
}

}  // namespace plateau::master
