#pragma once

// What the oversubscription and QoS tests (unit and integration) build alike: a framework that
// asks for revocable resources or not, the revocable cpus an offer holds, and a task on one
// revocable cpu (plus 32 MB of the agent's own memory) or on the agent's own cpus.

#include <string>

#include <mesos/v1/mesos.pb.h>

namespace plateau::testing {

namespace v1 = mesos::v1;

inline v1::FrameworkInfo revocableFramework(const std::string& user, bool revocable) {
  v1::FrameworkInfo info;
  info.set_user(user);
  info.set_name(revocable ? "best-effort" : "plain");
  if (revocable) {
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::REVOCABLE_RESOURCES);
  }
  return info;
}

inline double revocableCpus(const v1::Offer& offer) {
  double cpus = 0;
  for (const auto& r : offer.resources()) {
    if (r.has_revocable() && r.name() == "cpus") {
      cpus += r.scalar().value();
    }
  }
  return cpus;
}

// `revocable`: one revocable cpu and 32 MB; else 0.5 of the agent's cpus and 32 MB. Runs `sleep`.
inline v1::TaskInfo sleepingTask(const std::string& id, const v1::AgentID& agent, bool revocable) {
  v1::TaskInfo info;
  info.set_name(id);
  info.mutable_task_id()->set_value(id);
  *info.mutable_agent_id() = agent;
  auto add = [&](const char* name, double value) {
    v1::Resource* r = info.add_resources();
    r->set_name(name);
    r->set_type(v1::Value::SCALAR);
    r->mutable_scalar()->set_value(value);
    return r;
  };
  add("mem", 32);
  add("cpus", revocable ? 1 : 0.5);
  if (revocable) {
    info.mutable_resources(1)->mutable_revocable();
  }
  info.mutable_command()->set_value("sleep 1000");
  return info;
}

}  // namespace plateau::testing
