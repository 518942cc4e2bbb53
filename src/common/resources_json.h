#pragma once

// Resources in the shape Mesos's JSON endpoints use (/master/state, /state):
// {"cpus": 2.0, "gpus": 0.0, "mem": 1024.0, "disk": 0.0, "ports": "[31000-32000]"}.

#include "common/json.h"
#include "common/resources.h"

namespace plateau {

// cpus, gpus, mem and disk always appear; other scalars as numbers, ranges and sets as text;
// revocable resources apart, as "<name>_revocable" (only those present).
void writeResourcesModel(json::Writer& writer, const Resources& resources);

}  // namespace plateau
