// Inverse offers (Mesos's maintenance primitives): frameworks using an agent on a DRAINING
// machine are asked to give it back, as the MaintenanceBook decides; their answers go back to
// the book.

#include <map>
#include <set>

#include "master/maintenance_book.h"
#include "master/master.h"

namespace plateau::master {

namespace {

// The frameworks with tasks, executors or offers on the agent.
std::set<std::string> frameworksUsing(const Agent& agent, const TaskBook& tasks,
                                      const OfferBook& offers) {
  std::set<std::string> users(agent.frameworks_with_executors.begin(),
                              agent.frameworks_with_executors.end());
  for (const auto& [framework_id, task_id] : tasks.on(agent.id)) {
    users.insert(framework_id);
  }
  for (const auto& offer_id : offers.onAgent(agent.id)) {
    users.insert(offers.find(offer_id)->offer.framework_id().value());
  }
  return users;
}

v1::InverseOffer inverseOffer(const std::string& id, const std::string& framework_id,
                              const Agent& agent, v1::Unavailability unavailability) {
  v1::InverseOffer inverse;
  inverse.mutable_id()->set_value(id);
  inverse.mutable_framework_id()->set_value(framework_id);
  inverse.mutable_agent_id()->set_value(agent.id);
  auto* url = inverse.mutable_url();
  url->set_scheme("http");
  url->mutable_address()->set_hostname(agent.info.hostname());
  url->mutable_address()->set_ip(agent.ip.empty() ? agent.info.hostname() : agent.ip);
  url->mutable_address()->set_port(agent.info.port());
  url->set_path("/slave(1)");
  *inverse.mutable_unavailability() = std::move(unavailability);
  return inverse;
}

}  // namespace

void Master::sendInverseOffers() {
  std::map<std::string, std::vector<v1::InverseOffer>> batches;
  for (const auto& agent_id : maintenance_->drainingAgents()) {
    Agent* agent = agents_.find(agent_id);
    if (agent == nullptr) {
      continue;
    }
    for (const auto& framework_id : frameworksUsing(*agent, tasks_, offers_)) {
      Framework* fw = frameworks_.find(framework_id);
      if (fw == nullptr || !fw->connected) {
        continue;
      }
      auto unavailability = maintenance_->inverseOfferDue(agent_id, framework_id);
      if (!unavailability) {
        continue;
      }
      std::string id = nextOfferId();
      maintenance_->inverseOfferSent(id, agent_id, framework_id);
      batches[framework_id].push_back(
          inverseOffer(id, framework_id, *agent, std::move(*unavailability)));
    }
  }
  for (auto& [framework_id, inverse_offers] : batches) {
    scheduler::Event event;
    event.set_type(scheduler::Event::INVERSE_OFFERS);
    for (auto& inverse : inverse_offers) {
      *event.mutable_inverse_offers()->add_inverse_offers() = std::move(inverse);
    }
    log_->info("inverse_offers_sent framework_id={} count={}", framework_id, inverse_offers.size());
    send(frameworks_.all().at(framework_id), event);
  }
}

Status Master::answerInverseOffers(Framework& framework,
                                   const google::protobuf::RepeatedPtrField<v1::OfferID>& ids,
                                   bool accept, double refuse_seconds) {
  for (const auto& id : ids) {
    Status answered =
        maintenance_->answerInverseOffer(framework.id, id.value(), accept, refuse_seconds);
    if (!answered.isOk()) {
      // As Mesos: an unknown or foreign inverse offer is ignored (it may have been rescinded).
      log_->warn("inverse_offer_unknown framework_id={} inverse_offer_id={}", framework.id,
                 id.value());
      continue;
    }
    log_->info("inverse_offer_answered framework_id={} inverse_offer_id={} answer={}", framework.id,
               id.value(), accept ? "accept" : "decline");
  }
  return {};
}

}  // namespace plateau::master
