#pragma once

// What plateau-dns knows of the cluster, kept from the master's operator API (JSON): the agents,
// the frameworks, the live tasks, and the leading master. Fed by the SUBSCRIBE stream's events
// and by full GET_STATE answers; only what naming needs is kept.
//
// Invariants:
//   1. tasks_ holds no task in a terminal state: a terminal update removes it.
//   2. Every task keeps at most kMaxStatuses statuses, the newest last.
// Single-threaded (the loop thread).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace plateau::dns {

struct Label {
  std::string key;
  std::string value;
};

struct TaskStatusInfo {
  std::string state;
  double timestamp = 0;
  std::vector<Label> labels;
  std::vector<std::string> network_ips;  // container_status.network_infos[].ip_addresses
};

struct DiscoveryPort {
  uint32_t number = 0;
  std::string name;
  std::string protocol;
  std::vector<Label> labels;
};

struct TaskInfo {
  std::string id;
  std::string name;
  std::string framework_id;
  std::string agent_id;
  std::string state;
  std::vector<uint32_t> ports;  // the "ports" resources, expanded, in order
  std::vector<TaskStatusInfo> statuses;
  std::string discovery_name;  // DiscoveryInfo.name ("" without DiscoveryInfo)
  std::vector<DiscoveryPort> discovery_ports;
};

struct AgentInfo {
  std::string id;
  std::string hostname;
  std::string pid_host;  // from "slave(1)@host:port"
  std::string pid_port;
};

struct FrameworkInfo {
  std::string id;
  std::string name;
  std::string hostname;
};

class ClusterState {
 public:
  static constexpr size_t kMaxStatuses = 8;

  // Replaces everything with a GET_STATE answer's `get_state` object.
  void reset(const json::Value& get_state);
  // Applies one operator API event (the whole event object, with "type"). Returns true when
  // what naming depends on may have changed. Unknown event types change nothing.
  bool apply(const json::Value& event);
  // The leading master as Mesos-DNS names it ("master@ip:port"); "" while unknown.
  void setLeader(std::string leader_pid) { leader_ = std::move(leader_pid); }

  const std::map<std::string, AgentInfo>& agents() const { return agents_; }
  const std::map<std::string, FrameworkInfo>& frameworks() const { return frameworks_; }
  // Live tasks by (framework id, task id).
  const std::map<std::pair<std::string, std::string>, TaskInfo>& tasks() const { return tasks_; }
  const std::string& leader() const { return leader_; }

 private:
  void addAgent(const json::Value& agent);
  void addFramework(const json::Value& framework);
  void addTask(const json::Value& task);

  std::map<std::string, AgentInfo> agents_;
  std::map<std::string, FrameworkInfo> frameworks_;
  std::map<std::pair<std::string, std::string>, TaskInfo> tasks_;
  std::string leader_;
};

// Mesos's terminal task states (TASK_FINISHED, TASK_FAILED, ...).
bool isTerminalState(std::string_view state);

// Parses a TaskStatus's JSON into what naming uses.
TaskStatusInfo statusOf(const json::Value& status);

}  // namespace plateau::dns
