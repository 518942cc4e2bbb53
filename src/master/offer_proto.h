#pragma once

// How an allocation becomes the Offer the master keeps in its OfferBook and sends to the
// framework: ids, the agent's hostname, URL, attributes and domain, the resources in the
// framework's format (pre- or post-refinement) and the framework's executors on the agent.
// Pure: reads its arguments only.

#include <string>

#include <mesos/v1/mesos.pb.h>

#include "master/agent_book.h"
#include "master/allocator/allocator_types.h"
#include "master/framework_book.h"
#include "master/offer_book.h"

namespace plateau::master {

// Fills `record`, which must be blank (OfferBook::blank()). `unavailability`: the agent's next
// maintenance window, if any (nullptr: none).
void makeOffer(const Framework& framework, const Agent& agent, allocator::Offer allocation,
               const std::string& offer_id, const mesos::v1::Unavailability* unavailability,
               OfferBook::Offer& record);

}  // namespace plateau::master
