// Offers as the master keeps and sends them.

#include "master/offer_proto.h"

#include <utility>

#include "common/resources_proto.h"

namespace plateau::master {

namespace v1 = mesos::v1;

// The offer of `allocation` to the framework on the agent, as the book keeps and sends it.
void makeOffer(const Framework& framework, const Agent& a, allocator::Offer allocation,
               const std::string& offer_id, const v1::Unavailability* unavailability,
               OfferBook::Offer& record) {
  v1::Offer& offer = record.offer;
  // Assigned, not moved: a recycled proto keeps its strings' buffers, so these copy in place.
  offer.mutable_id()->set_value(offer_id);
  offer.mutable_framework_id()->set_value(framework.id);
  offer.mutable_agent_id()->set_value(a.id);
  offer.set_hostname(a.info.hostname());
  auto* url = offer.mutable_url();
  url->set_scheme("http");
  url->mutable_address()->set_hostname(a.info.hostname());
  url->mutable_address()->set_ip(a.info.hostname());
  url->mutable_address()->set_port(a.info.port());
  url->set_path("/slave(1)");
  // Frameworks without RESERVATION_REFINEMENT get Mesos's pre-refinement format.
  bool refinement = false;
  for (const auto& cap : framework.info.capabilities()) {
    refinement = refinement || cap.type() == v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT;
  }
  resourcesToProto(allocation.resources, offer.mutable_resources(), allocation.role,
                   refinement ? ResourceFormat::kPost : ResourceFormat::kPre);
  *offer.mutable_attributes() = a.info.attributes();
  if (a.info.has_domain()) {
    *offer.mutable_domain() = a.info.domain();
  }
  auto executors = framework.executors.find(a.id);
  if (executors != framework.executors.end()) {
    for (const auto& [executor_id, executor] : executors->second) {
      offer.add_executor_ids()->set_value(executor_id);
    }
  }
  offer.mutable_allocation_info()->set_role(allocation.role);
  record.role = std::move(allocation.role);
  if (unavailability != nullptr) {
    *offer.mutable_unavailability() = *unavailability;
  }
  record.resources = std::move(allocation.resources);
}

}  // namespace plateau::master
