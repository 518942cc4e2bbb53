#pragma once

// The DNS records Mesos-DNS's records generator makes from a cluster's state: A, AAAA and SRV
// records by fully qualified, lower-case name, plus the per-task enumeration that /v1/enumerate
// shows. Built whole from a ClusterState and a Config (a pure function); read-only afterwards.
//
// Invariants: a name's values hold no duplicates and keep the order they were generated in;
// every name ends with '.'.

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dns/cluster_state.h"
#include "dns/config.h"

namespace plateau::dns {

struct SrvTarget {
  std::string host;  // fully qualified
  uint16_t port = 0;

  std::string toString() const { return host + ":" + std::to_string(port); }
  bool operator==(const SrvTarget&) const = default;
};

struct NameRecords {
  std::vector<std::string> a;     // IPv4 addresses, as text
  std::vector<std::string> aaaa;  // IPv6 addresses, as text
  std::vector<SrvTarget> srv;

  bool empty() const { return a.empty() && aaaa.empty() && srv.empty(); }
};

struct EnumerableRecord {
  std::string name;
  std::string host;  // an address, or "target:port" for SRV
  std::string rtype;
};

struct EnumerableTask {
  std::string name;
  std::string id;
  std::vector<EnumerableRecord> records;
};

struct EnumerableFramework {
  std::string name;
  std::vector<EnumerableTask> tasks;
};

class RecordSet {
 public:
  // The records of `name` (lower-case, fully qualified), or nullptr when it has none.
  const NameRecords* find(const std::string& name) const;
  const std::unordered_map<std::string, NameRecords>& all() const { return names_; }
  const std::vector<EnumerableFramework>& enumeration() const { return enumeration_; }
  size_t recordCount() const { return count_; }

  // Adds one record unless the same one is there; returns whether it was added. `address`
  // chooses A or AAAA by its form; an address that parses as neither is not added.
  bool addAddress(const std::string& name, const std::string& address);
  bool addSrv(const std::string& name, const SrvTarget& target);
  std::vector<EnumerableFramework>& mutableEnumeration() { return enumeration_; }

 private:
  // Whether (name, value) is already there: a linear search over a name's few values, or a
  // hash set once a name has many (thousands of instances of one task name).
  bool seen(const std::string& name, size_t count, const std::string& value,
            const std::function<bool()>& linear);

  std::unordered_map<std::string, NameRecords> names_;
  std::unordered_set<std::string> many_;  // "name value" of names with many values
  std::vector<EnumerableFramework> enumeration_;
  size_t count_ = 0;
};

// Every record for `state` under `config`'s domain, naming rules and IP sources.
// `listener_ips` are the addresses the SOA name (SOAMname) resolves to.
RecordSet generateRecords(const ClusterState& state, const Config& config,
                          const std::vector<std::string>& listener_ips);

// The task's addresses from the first IP source (in `sources` order) that yields any:
// netinfo (the newest TASK_RUNNING status's NetworkInfos), mesos and docker (that status's
// labels), host (`agent_ip`), autoip (by the first discovery port's network-scope label).
std::vector<std::string> taskAddresses(const TaskInfo& task, const std::string& agent_ip,
                                       const std::vector<std::string>& sources);

// The address as text in canonical form if it is an IPv4 or IPv6 address, else "".
std::string canonicalIp(const std::string& text);

}  // namespace plateau::dns
