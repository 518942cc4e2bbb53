#pragma once

// An agent's attributes in the shape Mesos's JSON endpoints use (the master's /master/state
// `slaves`, the agent's /state): {"rack": "r1", "level": 3.0, "ports": "[1-10]", "os": "{a,b}"}.

#include <mesos/v1/mesos.pb.h>

#include "common/json.h"

namespace plateau {

// Writes the "attributes" key and its object: scalars as numbers, text as text, ranges and sets
// as Mesos prints them.
void writeAttributesModel(json::Writer& writer, const mesos::v1::AgentInfo& info);

}  // namespace plateau
