#pragma once

// Checks on what schedulers send, as Mesos makes them. Each returns a Status whose message
// is shown to the caller (HTTP 400 body, ERROR event or TASK_ERROR message).

#include <string>

#include <mesos/v1/mesos.pb.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

#include "common/status.h"
#include "common/task_state.h"

namespace plateau::master {

// The call's shape: its type is set and the matching sub-message is present.
Status validateCall(const mesos::v1::scheduler::Call& call);

// Role names as Mesos allows them ("*", "eng", "eng/ml"; no ".", "..", leading '-', spaces).
Status validateRole(const std::string& role);

// FrameworkInfo on SUBSCRIBE: roles, MULTI_ROLE consistency.
Status validateFrameworkInfo(const mesos::v1::FrameworkInfo& info);

// TaskID / ExecutorID values: non-empty, no '/', no NUL, not "." or "..".
Status validateId(const std::string& kind, const std::string& value);

// What a task asks of its executor's lifecycle handling, as Mesos checks it: kill policy
// (grace period non-negative), health check and check (type set, matching field present,
// non-negative timings, ports in range), environment variables (VALUE with a value; SECRET
// only with a VALUE secret: there is no secret resolver for REFERENCE secrets).
Status validateTaskLifecycle(const mesos::v1::TaskInfo& task);
Status validateEnvironment(const mesos::v1::Environment& environment);

// A task (with its new executor) using `gpus` GPUs: whole GPUs only, and only from a framework
// with the GPU_RESOURCES capability.
Status validateGpus(const mesos::v1::FrameworkInfo& info, double gpus);

}  // namespace plateau::master
