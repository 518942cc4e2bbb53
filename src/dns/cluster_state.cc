#include "dns/cluster_state.h"

namespace plateau::dns {

namespace {

std::vector<Label> labelsOf(const json::Value& labels) {
  std::vector<Label> out;
  for (const auto& label : labels["labels"].asArray()) {
    out.push_back({label["key"].asString(), label["value"].asString()});
  }
  return out;
}

// "slave(1)@10.0.0.1:5051" -> ("10.0.0.1", "5051").
std::pair<std::string, std::string> pidAddress(const std::string& pid) {
  size_t at = pid.find('@');
  if (at == std::string::npos) {
    return {};
  }
  std::string address = pid.substr(at + 1);
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return {address, ""};
  }
  return {address.substr(0, colon), address.substr(colon + 1)};
}

}  // namespace

bool isTerminalState(std::string_view state) {
  return state == "TASK_FINISHED" || state == "TASK_FAILED" || state == "TASK_KILLED" ||
         state == "TASK_LOST" || state == "TASK_ERROR" || state == "TASK_DROPPED" ||
         state == "TASK_GONE" || state == "TASK_GONE_BY_OPERATOR";
}

TaskStatusInfo statusOf(const json::Value& status) {
  TaskStatusInfo out;
  out.state = status["state"].asString();
  out.timestamp = status["timestamp"].asDouble();
  out.labels = labelsOf(status["labels"]);
  for (const auto& info : status["container_status"]["network_infos"].asArray()) {
    const auto& addresses = info["ip_addresses"].asArray();
    if (!addresses.empty()) {
      for (const auto& address : addresses) {
        if (address["ip_address"].isString()) {
          out.network_ips.push_back(address["ip_address"].asString());
        }
      }
    } else if (info["ip_address"].isString()) {
      out.network_ips.push_back(info["ip_address"].asString());  // Mesos 0.25's single field
    }
  }
  return out;
}

void ClusterState::addAgent(const json::Value& agent) {
  const auto& info = agent["agent_info"];
  AgentInfo a;
  a.id = info["id"]["value"].asString();
  if (a.id.empty()) {
    return;
  }
  a.hostname = info["hostname"].asString();
  std::tie(a.pid_host, a.pid_port) = pidAddress(agent["pid"].asString());
  if (a.pid_host.empty()) {
    a.pid_host = a.hostname;
    if (auto port = info["port"].toInt64()) {
      a.pid_port = std::to_string(*port);
    }
  }
  agents_[a.id] = std::move(a);
}

void ClusterState::addFramework(const json::Value& framework) {
  const auto& info = framework["framework_info"];
  FrameworkInfo f;
  f.id = info["id"]["value"].asString();
  if (f.id.empty()) {
    return;
  }
  f.name = info["name"].asString();
  f.hostname = info["hostname"].asString();
  frameworks_[f.id] = std::move(f);
}

void ClusterState::addTask(const json::Value& task) {
  TaskInfo t;
  t.id = task["task_id"]["value"].asString();
  t.framework_id = task["framework_id"]["value"].asString();
  t.state = task["state"].asString();
  if (t.id.empty() || t.framework_id.empty() || isTerminalState(t.state)) {
    return;
  }
  t.name = task["name"].asString();
  t.agent_id = task["agent_id"]["value"].asString();
  for (const auto& resource : task["resources"].asArray()) {
    if (resource["name"].asString() != "ports") {
      continue;
    }
    for (const auto& range : resource["ranges"]["range"].asArray()) {
      auto begin = range["begin"].toUint64();
      auto end = range["end"].toUint64();
      if (!begin || !end || *end > 65535 || *begin > *end) {
        continue;
      }
      for (uint64_t port = *begin; port <= *end; ++port) {
        t.ports.push_back(static_cast<uint32_t>(port));
      }
    }
  }
  for (const auto& status : task["statuses"].asArray()) {
    t.statuses.push_back(statusOf(status));
  }
  if (t.statuses.size() > kMaxStatuses) {
    t.statuses.erase(t.statuses.begin(), t.statuses.end() - kMaxStatuses);
  }
  const auto& discovery = task["discovery"];
  t.discovery_name = discovery["name"].asString();
  for (const auto& port : discovery["ports"]["ports"].asArray()) {
    DiscoveryPort p;
    p.number = static_cast<uint32_t>(port["number"].toUint64().value_or(0));
    p.name = port["name"].asString();
    p.protocol = port["protocol"].asString();
    p.labels = labelsOf(port["labels"]);
    t.discovery_ports.push_back(std::move(p));
  }
  auto key = std::make_pair(t.framework_id, t.id);
  tasks_[key] = std::move(t);
}

void ClusterState::reset(const json::Value& get_state) {
  agents_.clear();
  frameworks_.clear();
  tasks_.clear();
  for (const auto& agent : get_state["get_agents"]["agents"].asArray()) {
    addAgent(agent);
  }
  for (const auto& framework : get_state["get_frameworks"]["frameworks"].asArray()) {
    addFramework(framework);
  }
  for (const auto& task : get_state["get_tasks"]["tasks"].asArray()) {
    addTask(task);
  }
}

bool ClusterState::apply(const json::Value& event) {
  const std::string& type = event["type"].asString();
  if (type == "SUBSCRIBED") {
    reset(event["subscribed"]["get_state"]);
    return true;
  }
  if (type == "TASK_ADDED") {
    addTask(event["task_added"]["task"]);
    return true;
  }
  if (type == "TASK_UPDATED") {
    const auto& update = event["task_updated"];
    auto key = std::make_pair(update["framework_id"]["value"].asString(),
                              update["status"]["task_id"]["value"].asString());
    auto it = tasks_.find(key);
    if (it == tasks_.end()) {
      return false;
    }
    std::string state = update["state"].asString();
    if (state.empty()) {
      state = update["status"]["state"].asString();
    }
    if (isTerminalState(state)) {
      tasks_.erase(it);
      return true;
    }
    TaskInfo& task = it->second;
    task.state = state;
    task.statuses.push_back(statusOf(update["status"]));
    if (task.statuses.size() > kMaxStatuses) {
      task.statuses.erase(task.statuses.begin());
    }
    return true;
  }
  if (type == "AGENT_ADDED") {
    addAgent(event["agent_added"]["agent"]);
    return true;
  }
  if (type == "AGENT_REMOVED") {
    return agents_.erase(event["agent_removed"]["agent_id"]["value"].asString()) > 0;
  }
  if (type == "FRAMEWORK_ADDED") {
    addFramework(event["framework_added"]["framework"]);
    return true;
  }
  if (type == "FRAMEWORK_UPDATED") {
    addFramework(event["framework_updated"]["framework"]);
    return true;
  }
  if (type == "FRAMEWORK_REMOVED") {
    const std::string& id = event["framework_removed"]["framework_info"]["id"]["value"].asString();
    bool changed = frameworks_.erase(id) > 0;
    for (auto it = tasks_.lower_bound({id, ""}); it != tasks_.end() && it->first.first == id;) {
      it = tasks_.erase(it);
      changed = true;
    }
    return changed;
  }
  return false;
}

}  // namespace plateau::dns
