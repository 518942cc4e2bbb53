#pragma once

// The Mesos TaskInfo for one run of a job: resources carved from the offer (keeping each
// piece's role and reservation), the command (shell, or an executable with arguments), the
// environment Chronos gives its tasks plus the job's, fetch URIs, the user, and a MESOS
// container when the job asks for one. And what the scheduler reads of an offer.

#include <mesos/v1/mesos.pb.h>

#include "jobs/scheduler.h"

namespace plateau::jobs {

mesos::v1::TaskInfo buildTaskInfo(const mesos::v1::Offer& offer, const LaunchSpec& spec);
OfferView offerView(const mesos::v1::Offer& offer);

}  // namespace plateau::jobs
