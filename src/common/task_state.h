#pragma once

// Small facts about Mesos task states and commands shared by master, agent, executor and clients.

#include <string>

#include "common/process.h"

namespace mesos::v1 {
enum TaskState : int;
class CommandInfo;
class Environment_Variable;
}  // namespace mesos::v1

namespace plateau {

// True for the states a task never leaves (FINISHED, FAILED, KILLED, ERROR, LOST, DROPPED,
// GONE, GONE_BY_OPERATOR).
bool isTerminal(mesos::v1::TaskState state);

// How Mesos runs a CommandInfo: `sh -c value` when shell (the default), else `value` with
// `arguments` as argv. Only path and argv are filled in.
LaunchSpec commandLaunchSpec(const mesos::v1::CommandInfo& command);

// The value an environment variable gives a process: `value` for VALUE variables, the secret's
// bytes for SECRET variables holding a VALUE secret, empty otherwise (the master refuses
// REFERENCE secrets: there is no secret resolver).
std::string environmentValue(const mesos::v1::Environment_Variable& variable);

}  // namespace plateau
