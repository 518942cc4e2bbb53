#pragma once

// The Mesos TaskInfo for one run of a job: resources carved from the offer (keeping each
// piece's role and reservation), the command (shell, or an executable with arguments), the
// environment Chronos gives its tasks plus the job's, fetch URIs, the user, and the job's
// container (MESOS or DOCKER, with its image and volumes). And what the scheduler reads of an
// offer.

#include <mesos/v1/mesos.pb.h>

#include "jobs/scheduler.h"

namespace plateau::jobs {

mesos::v1::TaskInfo buildTaskInfo(const mesos::v1::Offer& offer, const LaunchSpec& spec);
OfferView offerView(const mesos::v1::Offer& offer);
// A job's `container` as Mesos's ContainerInfo: DOCKER (docker.image, host network) or MESOS
// (mesos.image of type DOCKER when an image is named), with the volumes.
mesos::v1::ContainerInfo containerInfo(const JobContainer& container);

}  // namespace plateau::jobs
