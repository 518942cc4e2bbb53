#pragma once

// The agent's side of the containerizer: what an executor's container is given, as whom it
// runs, and what a limit its container crossed does to its tasks. Plain functions over an
// Executor (of the ExecutorBook, which records a limit) and the Containerizer interface, so they
// run against a fake (tests/unit/agent/containers_test.cc). Loop thread only, as the book.

#include <optional>
#include <string>

#include <mesos/v1/mesos.pb.h>

#include "agent/containerizer/containerizer.h"
#include "agent/executor_book.h"

namespace plateau::agent {

// What Mesos gives a command executor on top of its task (DEFAULT_EXECUTOR_CPUS/MEM).
inline constexpr double kCommandExecutorCpus = 0.1;
inline constexpr double kCommandExecutorMemMb = 32;

// The resources of the command executor the agent makes for `task`, as Mesos's agent sets them:
// the allowance above (not taken from any offer: the master never counts it, a small
// overcommit), allocated to the task's role when its resources carry one.
google::protobuf::RepeatedPtrField<v1::Resource> commandExecutorAllowance(const v1::TaskInfo& task);

// The executor's container: its resources plus those of its tasks not yet terminal (queued,
// in queued groups, launched). A command executor's resources are the allowance; one recovered
// from a checkpoint that names none (written before the allowance was in its ExecutorInfo) gets
// the allowance added here, so that its limits are the same.
ContainerConfig containerConfig(const Executor& executor);

// Tasks joined a running executor, or ended in it: its container's limits follow its total.
void resizeContainer(Containerizer& containerizer, const Executor& executor);

// The user the executor runs as: its command's, else its framework's.
std::string executorUser(const Framework& framework, const Executor& executor);

// Records that the executor's container crossed `limitation`: its unfinished tasks fail with
// the limit's reason. False, changing nothing, when a reason was recorded already.
bool recordLimitation(ExecutorBook& book, Executor& executor, const Limitation& limitation);

// A terminal update other than TASK_FINISHED, from an executor whose container crossed a memory
// or disk limit, becomes TASK_FAILED from the agent with the limit's reason and message. A limit
// not recorded yet is asked of the containerizer now; when there is one it is recorded, the
// container killed, and the limit returned (for the caller to log). Likewise after a QoS
// preemption, such an update takes the preemption's state (LOST or GONE), reason and message.
std::optional<Limitation> applyContainerLimitation(Containerizer& containerizer, ExecutorBook& book,
                                                   Executor& executor, v1::TaskStatus* status);

// The executor is gone: records a limit its container crossed (the kernel may have killed the
// executor itself for memory), returned when newly recorded, then destroys the container.
std::optional<Limitation> endContainer(Containerizer& containerizer, ExecutorBook& book,
                                       Executor& executor);

}  // namespace plateau::agent
