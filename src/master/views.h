#pragma once

// Read-only views of the master's books, as the operator API's GET_* calls and SUBSCRIBE events
// and the JSON endpoints show them. A view reads the books it is given and nothing else, and
// changes nothing.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/resources.h"
#include "http/message.h"
#include "master/agent_book.h"
#include "master/drain_book.h"
#include "master/framework_book.h"
#include "master/offer_book.h"
#include "master/operation_book.h"
#include "master/role_book.h"
#include "master/task_book.h"
#include "master/view_filter.h"

namespace mesos::v1::master {
class Response_GetAgents;
class Response_GetOperations;
class Response_GetAgents_Agent;
class Response_GetExecutors;
class Response_GetFrameworks;
class Response_GetFrameworks_Framework;
class Response_GetRoles;
class Response_GetState;
class Response_GetTasks;
}  // namespace mesos::v1::master

namespace plateau::master {

// What the views read.
struct Books {
  const FrameworkBook& frameworks;
  const AgentBook& agents;
  const TaskBook& tasks;
  const OfferBook& offers;
  const RoleBook& roles;    // weights and quotas
  const DrainBook& drains;  // deactivated and draining agents
  // What the reader may see (master/view_filter.h); null: everything.
  const ViewFilter* view = nullptr;

  bool showsFramework(const Framework& framework) const {
    return view == nullptr || view->framework(framework.info);
  }
  bool showsTask(const mesos::v1::Task& task, const Framework& framework) const {
    return view == nullptr || view->task(task, framework.info);
  }
  bool showsExecutor(const mesos::v1::ExecutorInfo& executor, const Framework& framework) const {
    return view == nullptr || view->executor(executor, framework.info);
  }
  bool showsRole(const std::string& role) const { return view == nullptr || view->role(role); }
};

void describeAgent(const Books& b, const Agent& agent,
                   mesos::v1::master::Response_GetAgents_Agent* out);
void describeFramework(const Books& b, const Framework& framework,
                       mesos::v1::master::Response_GetFrameworks_Framework* out);
void getAgents(const Books& b, mesos::v1::master::Response_GetAgents* out);
void getFrameworks(const Books& b, mesos::v1::master::Response_GetFrameworks* out);
void getExecutors(const Books& b, mesos::v1::master::Response_GetExecutors* out);
void getTasks(const Books& b, mesos::v1::master::Response_GetTasks* out);
void getState(const Books& b, mesos::v1::master::Response_GetState* out);
void getRoles(const Books& b, mesos::v1::master::Response_GetRoles* out);
// GET_OPERATIONS (operations.cc): those whose resources `view` (null: all) may all see.
void getOperations(const OperationBook& operations, mesos::v1::master::Response_GetOperations* out,
                   const ViewFilter* view = nullptr);
// What the framework holds for `role`: used by its tasks and executors, or offered.
Resources heldInRole(const Books& b, const Framework& framework, const std::string& role,
                     bool offered);
// The roles that have frameworks, a weight or a quota: role -> (weight, framework ids).
std::map<std::string, std::pair<double, std::vector<std::string>>> knownRoles(const Books& b);

// legacy_endpoints.cc: Mesos's JSON endpoints /master/frameworks (?framework_id=),
// /master/slaves (?slave_id=), /master/tasks (limit, offset, order, framework_id, task_id),
// /master/roles and /master/weights.
http::Response frameworksJson(const Books& b, const http::Request& request);
http::Response agentsJson(const Books& b, const http::Request& request);
http::Response tasksJson(const Books& b, const http::Request& request);
http::Response rolesJson(const Books& b);
http::Response weightsJson(const Books& b);

}  // namespace plateau::master
