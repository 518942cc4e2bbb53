#pragma once

// The JSON of Marathon's events on /v2/events, one writer for the envelope every event shares
// and one for the fields of events about an instance. Pure.

#include <functional>
#include <string>
#include <string_view>

#include "apps/model.h"
#include "common/json.h"

namespace plateau::apps {

using EventFields = std::function<void(json::Writer&)>;

// {<fields>, "eventType": type, "timestamp": timestamp}.
std::string eventJson(std::string_view type, const std::string& timestamp,
                      const EventFields& fields);

// An event about instance `i`: appId, taskId, instanceId, version, host and slaveId (the names
// Marathon's task events use), then `fields`, then the envelope's.
std::string instanceEventJson(std::string_view type, const Instance& i,
                              const std::string& timestamp, const EventFields& fields);

// deployment_info, deployment_step_success (with the current step), deployment_success and
// deployment_failed (with the deployment's id).
std::string deploymentEventJson(std::string_view type, const Deployment& d,
                                const std::string& timestamp);

}  // namespace plateau::apps
