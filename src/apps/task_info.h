#pragma once

// The Mesos TaskInfo for one task of an app: resources taken from the offer (keeping their
// roles and reservations), the command, the environment Marathon gives its tasks (PORT, PORT0,
// PORTS, PORT_<NAME>, HOST, MARATHON_APP_ID, ...), fetch URIs, discovery info, labels, the
// kill grace period, and the app's first health check as a Mesos health check.

#include <map>
#include <string>

#include <mesos/v1/mesos.pb.h>

#include "apps/orchestrator.h"

namespace plateau::apps {

mesos::v1::TaskInfo buildTaskInfo(const mesos::v1::Offer& offer, const LaunchSpec& spec);

// The environment Marathon sets for a task of `app` on `host` with these host ports.
std::map<std::string, std::string> taskEnvironment(const App& app, const std::string& task_id,
                                                   const std::string& host,
                                                   const std::vector<uint32_t>& host_ports);

// What the orchestrator reads of an offer.
OfferView offerView(const mesos::v1::Offer& offer);

}  // namespace plateau::apps
