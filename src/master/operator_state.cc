// The operator API's views of the cluster (GET_STATE, GET_AGENTS, GET_FRAMEWORKS,
// GET_EXECUTORS, GET_TASKS, GET_ROLES), read from the books (master/views.h).

#include <cmath>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/agent_capabilities.h"
#include "common/resources_proto.h"
#include "master/master.h"
#include "master/state_json.h"
#include "master/views.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;

namespace {

void setTime(v1::TimeInfo* out, double seconds) {
  out->set_nanoseconds(static_cast<int64_t>(std::llround(seconds * 1e9)));
}

}  // namespace

void describeAgent(const Books& b, const Agent& agent,
                   operator_api::Response::GetAgents::Agent* out) {
  *out->mutable_agent_info() = agent.info;
  const DrainBook::Hold* hold = b.drains.find(agent.id);
  out->set_active(agent.connected && hold == nullptr);
  out->set_deactivated(hold != nullptr);
  if (hold != nullptr && hold->drain) {
    *out->mutable_drain_info() = *hold->drain;
  }
  out->set_version(agent.version);
  out->set_pid(agentPid(agent));
  for (auto capability : kAgentCapabilities) {  // every Plateau agent has them
    out->add_capabilities()->set_type(capability);
  }
  setTime(out->mutable_registered_time(), agent.registered_time);
  if (agent.reregistered_time > 0) {
    setTime(out->mutable_reregistered_time(), agent.reregistered_time);
  }
  // As Mesos: the total with the revocable resources the agent last reported.
  resourcesToProto(agent.total() + agent.oversubscribed(), out->mutable_total_resources(), "");
  resourcesToProto(agent.used(), out->mutable_allocated_resources(), "");
  resourcesToProto(b.offers.offeredOn(agent.id), out->mutable_offered_resources(), "");
  if (b.view != nullptr) {  // view_roles: reservations of roles the reader may not view go
    filterResources(*b.view, out->mutable_agent_info()->mutable_resources());
    filterResources(*b.view, out->mutable_total_resources());
    filterResources(*b.view, out->mutable_allocated_resources());
    filterResources(*b.view, out->mutable_offered_resources());
  }
}

void describeFramework(const Books& b, const Framework& fw,
                       operator_api::Response::GetFrameworks::Framework* out) {
  *out->mutable_framework_info() = fw.info;
  out->mutable_framework_info()->mutable_id()->set_value(fw.id);
  out->set_active(fw.active);
  out->set_connected(fw.connected);
  out->set_recovered(fw.recovered);
  if (!fw.offer_constraints.role_constraints().empty()) {
    *out->mutable_offer_constraints() = fw.offer_constraints;
  }
  if (fw.registered_time > 0) {
    setTime(out->mutable_registered_time(), fw.registered_time);
  }
  if (fw.reregistered_time > 0) {
    setTime(out->mutable_reregistered_time(), fw.reregistered_time);
  }
  if (fw.unregistered_time > 0) {
    setTime(out->mutable_unregistered_time(), fw.unregistered_time);
  }
  for (const auto& offer_id : b.offers.ofFramework(fw.id)) {
    *out->add_offers() = b.offers.find(offer_id)->offer;
  }
  for (const auto& role : fw.roles) {
    resourcesToProto(heldInRole(b, fw, role, /*offered=*/false), out->mutable_allocated_resources(),
                     role);
    resourcesToProto(heldInRole(b, fw, role, /*offered=*/true), out->mutable_offered_resources(),
                     role);
  }
}

Resources heldInRole(const Books& b, const Framework& fw, const std::string& role, bool offered) {
  Resources held;
  if (offered) {
    for (const auto& offer_id : b.offers.ofFramework(fw.id)) {
      const OfferBook::Offer* offer = b.offers.find(offer_id);
      if (offer->role == role) {
        held += offer->resources;
      }
    }
    return held;
  }
  if (fw.roles.size() == 1 && fw.roles.contains(role)) {
    return fw.used();  // one role: everything it uses is allocated to it
  }
  for (const auto& [task_id, task] : b.tasks.of(fw.id)) {
    if (!task.resources_released && (task.role.empty() ? fw.role : task.role) == role) {
      held += task.resources();
    }
  }
  for (const auto& [agent_id, executors] : fw.executors) {
    for (const auto& [executor_id, executor] : executors) {
      if ((executor.role.empty() ? fw.role : executor.role) == role) {
        held += executor.resources;
      }
    }
  }
  return held;
}

void getAgents(const Books& b, operator_api::Response::GetAgents* out) {
  for (const auto& [id, agent] : b.agents.all()) {
    describeAgent(b, agent, out->add_agents());
  }
  for (const auto& [id, info] : b.agents.expected()) {
    *out->add_recovered_agents() = info;
  }
}

void getFrameworks(const Books& b, operator_api::Response::GetFrameworks* out) {
  for (const auto& [id, fw] : b.frameworks.all()) {
    if (b.showsFramework(fw)) {
      describeFramework(b, fw, out->add_frameworks());
    }
  }
  for (const auto& fw : b.frameworks.completed()) {
    if (b.showsFramework(fw)) {
      describeFramework(b, fw, out->add_completed_frameworks());
    }
  }
}

void getExecutors(const Books& b, operator_api::Response::GetExecutors* out) {
  for (const auto& [framework_id, fw] : b.frameworks.all()) {
    for (const auto& [agent_id, executors] : fw.executors) {
      for (const auto& [executor_id, executor] : executors) {
        if (!b.showsExecutor(executor.info, fw)) {
          continue;
        }
        auto* e = out->add_executors();
        *e->mutable_executor_info() = executor.info;
        e->mutable_executor_info()->mutable_framework_id()->set_value(framework_id);
        e->mutable_agent_id()->set_value(agent_id);
      }
    }
  }
}

void getTasks(const Books& b, operator_api::Response::GetTasks* out) {
  // A terminal task stays in `tasks` until its framework acknowledges the update, as in Mesos.
  for (const auto& [framework_id, fw] : b.frameworks.all()) {
    for (const auto& [task_id, task] : b.tasks.of(fw.id)) {
      if (b.showsTask(task.info, fw)) {
        task.copyInfo(out->add_tasks());
      }
    }
    for (const auto& task : b.tasks.completed(fw.id)) {
      if (b.showsTask(task, fw)) {
        *out->add_completed_tasks() = task;
      }
    }
    for (const auto& task : b.tasks.unreachable(fw.id)) {
      if (b.showsTask(task, fw)) {
        *out->add_unreachable_tasks() = task;
      }
    }
  }
  for (const auto& fw : b.frameworks.completed()) {
    for (const auto& task : b.tasks.completed(fw.id)) {
      if (b.showsTask(task, fw)) {
        *out->add_completed_tasks() = task;
      }
    }
  }
}

void getState(const Books& b, operator_api::Response::GetState* out) {
  getTasks(b, out->mutable_get_tasks());
  getExecutors(b, out->mutable_get_executors());
  getFrameworks(b, out->mutable_get_frameworks());
  getAgents(b, out->mutable_get_agents());
}

std::map<std::string, std::pair<double, std::vector<std::string>>> knownRoles(const Books& b) {
  std::map<std::string, std::pair<double, std::vector<std::string>>> roles;
  for (const auto& [role, weight] : b.roles.weights()) {
    roles[role].first = weight;
  }
  for (const auto& [role, config] : b.roles.quotas()) {
    roles.try_emplace(role, 1.0, std::vector<std::string>{});
  }
  for (const auto& [id, fw] : b.frameworks.all()) {
    for (const auto& role : fw.roles) {
      auto [it, inserted] = roles.try_emplace(role, 1.0, std::vector<std::string>{});
      it->second.second.push_back(id);
    }
  }
  return roles;
}

void getRoles(const Books& b, operator_api::Response::GetRoles* out) {
  for (const auto& [name, known] : knownRoles(b)) {
    if (!b.showsRole(name)) {
      continue;
    }
    auto* role = out->add_roles();
    role->set_name(name);
    role->set_weight(known.first);
    Resources held;
    for (const auto& framework_id : known.second) {
      role->add_frameworks()->set_value(framework_id);
      const Framework& fw = b.frameworks.all().at(framework_id);
      held += heldInRole(b, fw, name, false) + heldInRole(b, fw, name, true);
    }
    resourcesToProto(held, role->mutable_resources(), name);
  }
}

}  // namespace plateau::master
