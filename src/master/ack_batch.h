#pragma once

// Acknowledgements on their way to agents, gathered per agent so that the acknowledgements the
// schedulers make in one turn of the master's loop reach each agent as one ACKNOWLEDGE event
// (AgentEvent.acknowledgements) instead of one event each. Guarantees: an agent's
// acknowledgements come out in the order they were added, each exactly once; nothing is kept
// for an agent once take() or drop() ran for it. No I/O and no timers: the master decides when
// to flush (the end of the loop turn, or before any other event to the same agent, so that
// events keep their order). Loop thread only.

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <plateau/agent.pb.h>

namespace plateau::master {

class AckBatch {
 public:
  // Queues `ack` for the agent. True when the agent had nothing queued before: the caller
  // arranges one flush for it.
  bool add(const std::string& agent_id, plateau::internal::AgentEvent::Acknowledge ack);
  // The agent's queued acknowledgements as one ACKNOWLEDGE event (one acknowledgement in
  // `acknowledge`, several in `acknowledgements`), and forgets them; nullopt when none.
  std::optional<plateau::internal::AgentEvent> take(const std::string& agent_id);
  // Whether anything waits for the agent.
  bool pending(const std::string& agent_id) const { return queued_.contains(agent_id); }
  // Forgets what waits for the agent (it is gone: its updates will be re-sent and re-acked).
  void drop(const std::string& agent_id) { queued_.erase(agent_id); }
  size_t agents() const { return queued_.size(); }

 private:
  std::unordered_map<std::string, std::vector<plateau::internal::AgentEvent::Acknowledge>> queued_;
};

}  // namespace plateau::master
