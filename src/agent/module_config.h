#pragma once

// Mesos's --modules JSON as the agent reads it: no library is loaded, only the parameters of
// the built-in modules Plateau carries (the resource estimator, the QoS controller).

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace plateau::agent {

// A module's parameters as (key, value), in their order.
using ModuleParameters = std::vector<std::pair<std::string, std::string>>;

// The parameters of the module named `name` in Mesos's Modules JSON ({"libraries": [{"file" or
// "name": ..., "modules": [{"name": ..., "parameters": [{"key": ..., "value": ...}]}]}]}).
// InvalidArgument naming --modules when the JSON has no 'libraries' or no such module;
// parameters without a string key and value are skipped.
Result<ModuleParameters> moduleParameters(const std::string& modules, const std::string& name);

// InvalidArgument naming the flag: "Flag '--<flag>': <why>".
Status badFlag(const std::string& flag, const std::string& why);

}  // namespace plateau::agent
