#include "master/ack_batch.h"

#include <utility>

namespace plateau::master {

bool AckBatch::add(const std::string& agent_id, internal::AgentEvent::Acknowledge ack) {
  auto [it, inserted] = queued_.try_emplace(agent_id);
  it->second.push_back(std::move(ack));
  return inserted;
}

std::optional<internal::AgentEvent> AckBatch::take(const std::string& agent_id) {
  auto it = queued_.find(agent_id);
  if (it == queued_.end()) {
    return std::nullopt;
  }
  std::vector<internal::AgentEvent::Acknowledge> acks = std::move(it->second);
  queued_.erase(it);
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::ACKNOWLEDGE);
  if (acks.size() == 1) {
    // One alone goes as an agent without batching would read it.
    *event.mutable_acknowledge() = std::move(acks.front());
    return event;
  }
  event.mutable_acknowledgements()->Reserve(static_cast<int>(acks.size()));
  for (auto& ack : acks) {
    *event.add_acknowledgements() = std::move(ack);
  }
  return event;
}

}  // namespace plateau::master
