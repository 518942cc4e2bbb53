#pragma once

// One JSON shape for a task, as Mesos's /state endpoints show it, for the master's and the
// agent's endpoints alike.

#include <string>

#include <mesos/v1/mesos.pb.h>

#include "common/json.h"

namespace plateau {

// A task: ids, state, role (left out when empty), resources, user, statuses, labels,
// discovery, container.
void writeTask(json::Writer& w, const mesos::v1::Task& task, const std::string& role);

// The task an agent holds for `info` (launched or queued), in `state`.
mesos::v1::Task taskOf(const mesos::v1::TaskInfo& info, const std::string& framework_id,
                       const std::string& executor_id, mesos::v1::TaskState state);

}  // namespace plateau
