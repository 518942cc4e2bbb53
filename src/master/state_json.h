#pragma once

// Mesos's JSON shapes of a task, a framework and an agent, shared by /master/state and the
// legacy endpoints (/master/frameworks, /master/slaves, /master/tasks, ...).

#include <string>

#include "common/json.h"
#include "master/master.h"

namespace plateau::master {

// A framework with its tasks (from `tasks`) and executors; `completed` lists every task as
// completed. `view` (null: all) leaves out the tasks and executors its reader may not see.
// Its outstanding offers are read from `offers`.
void writeFramework(json::Writer& w, const Framework& framework, const TaskBook& tasks,
                    const OfferBook& offers, bool completed, const ViewFilter* view = nullptr);
// An agent with its resources and attributes; `hold` (null when none) deactivates it and
// carries its drain_info. `view` (null: all) leaves out the reservations of roles its reader may
// not view, as Mesos does (the totals stay).
void writeAgent(json::Writer& w, const Agent& agent, const Resources& offered,
                const DrainBook::Hold* hold, const ViewFilter* view = nullptr);
// The same fields without the enclosing object, to add to (/master/state-summary); `full` adds
// the *_full resource lists (as /master/slaves and /master/state).
void writeAgentFields(json::Writer& w, const Agent& agent, const Resources& offered,
                      const DrainBook::Hold* hold, const ViewFilter* view, bool full);
// An agent of the registry not registered again yet, as Mesos shows one (recovered_slaves).
void writeRecoveredAgent(json::Writer& w, const mesos::v1::AgentInfo& info);
// The agent's pid as Mesos shows it: slave(1)@<ip, else hostname>:<port>.
std::string agentPid(const Agent& agent);
// The framework's capabilities as an array of their names.
void writeFrameworkCapabilities(json::Writer& w, const v1::FrameworkInfo& info);

}  // namespace plateau::master
