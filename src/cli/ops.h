#pragma once

// `plateau` commands that change or inspect one thing: teardown, weights, a task's log, status.

#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "http/client.h"
#include "http/message.h"

namespace mesos::v1::master {
class Call;
class Response;
}  // namespace mesos::v1::master

namespace plateau::cli {

// One operator API call (JSON) to the leading master, with the CLI's credentials: the raw
// answer, or an error worded for the user when the master cannot be reached.
Result<http::Response> postOperatorCall(const std::string& master,
                                        const mesos::v1::master::Call& call);
// One operator API call (JSON) to the leading master; the decoded response, or an error
// worded for the user.
Result<mesos::v1::master::Response> operatorCall(const std::string& master,
                                                 const mesos::v1::master::Call& call);

// Where a task runs, from the leading master's state.
struct TaskPlace {
  json::Value task;         // as /master/state lists it
  http::Endpoint agent;     // where its agent serves
  std::string executor_id;  // the task's own id for a command executor
};
// NotFound says how to list the tasks when `task_id` is unknown.
Result<TaskPlace> locateTask(const std::string& master, const std::string& task_id);

// Each returns the process exit code and prints what happened (errors say what to do).
int teardownFramework(const std::string& master, const std::string& framework_id);
int weightsGet(const std::string& master, bool json);
int weightsSet(const std::string& master, const std::string& role, double weight);
// Prints the task's stdout (or stderr) from its sandbox; with `follow`, keeps printing until
// the task ends.
int taskLog(const std::string& master, const std::string& task_id, bool stderr_file, bool follow);
int clusterStatus(const std::string& master);

// show.cc: one agent, framework or task by id, from /master/state.
enum class ShowKind { kAgent, kFramework, kTask };
int show(ShowKind kind, const std::string& master, const std::string& id, bool json);

// maintenance.cc: `plateau maintenance ...`
// With a file: posts it as the schedule (JSON, as /master/maintenance/schedule takes it);
// without: prints the schedule.
int maintenanceSchedule(const std::string& master, const std::string& file, bool json);
int maintenanceStatus(const std::string& master, bool json);
// Machines by hostname or ip, as the schedule names them.
int maintenanceStartStop(const std::string& master, const std::vector<std::string>& hosts,
                         bool start);

}  // namespace plateau::cli
