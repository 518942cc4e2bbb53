#include "dns/records.h"

#include <arpa/inet.h>

#include <algorithm>

namespace plateau::dns {

namespace {

bool isIpv4(const std::string& text) {
  in_addr addr;
  return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

// The newest TASK_RUNNING status, as Mesos-DNS picks it (by timestamp), or nullptr.
const TaskStatusInfo* runningStatus(const TaskInfo& task) {
  const TaskStatusInfo* best = nullptr;
  for (const auto& status : task.statuses) {
    if (status.state == "TASK_RUNNING" && (!best || status.timestamp > best->timestamp)) {
      best = &status;
    }
  }
  return best;
}

std::vector<std::string> labelAddresses(const TaskInfo& task, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* status = runningStatus(task)) {
    for (const auto& label : status->labels) {
      if (label.key == key) {
        if (auto ip = canonicalIp(label.value); !ip.empty()) {
          out.push_back(ip);
        }
      }
    }
  }
  return out;
}

std::vector<std::string> networkAddresses(const TaskInfo& task) {
  std::vector<std::string> out;
  if (const auto* status = runningStatus(task)) {
    for (const auto& address : status->network_ips) {
      if (auto ip = canonicalIp(address); !ip.empty()) {
        out.push_back(ip);
      }
    }
  }
  return out;
}

std::vector<std::string> hostAddresses(const std::string& agent_ip) {
  if (auto ip = canonicalIp(agent_ip); !ip.empty()) {
    return {ip};
  }
  return {};
}

std::vector<std::string> autoAddresses(const TaskInfo& task, const std::string& agent_ip) {
  if (task.discovery_ports.empty()) {
    return {};
  }
  std::string scope;
  for (const auto& label : task.discovery_ports.front().labels) {
    if (label.key == "network-scope") {
      scope = label.value;
    }
  }
  if (scope.empty() || scope == "host") {
    return hostAddresses(agent_ip);
  }
  if (scope == "container") {
    return networkAddresses(task);
  }
  return {};
}

// Builds the records as Mesos-DNS's generator does, step by step.
class Generator {
 public:
  Generator(const ClusterState& state, const Config& config, RecordSet& out)
      : state_(state),
        config_(config),
        out_(out),
        rules_(config.labelRules()),
        tail_("." + config.zone()) {}

  void frameworks() {
    for (const auto& [id, framework] : state_.frameworks()) {
      std::string fname = domainFragment(framework.name, rules_);
      std::string ip = canonicalIp(framework.hostname);
      if (!fname.empty() && !ip.empty()) {
        out_.addAddress(fname + tail_, ip);
      }
    }
  }

  void agents() {
    for (const auto& [id, agent] : state_.agents()) {
      std::string ip = canonicalIp(agent.pid_host);
      if (!ip.empty()) {
        std::string name = "slave" + tail_;
        out_.addAddress(name, ip);
        if (auto port = portOf(agent.pid_port)) {
          out_.addSrv("_slave._tcp" + tail_, {name, *port});
        }
        agent_ips_[id] = ip;
      } else {
        agent_ips_[id] = domainFragment(agent.pid_host, rules_);
      }
    }
  }

  void listener(const std::vector<std::string>& ips) {
    for (const auto& ip : ips) {
      out_.addAddress(config_.soa_mname, ip);
    }
  }

  // leader.domain., master.domain., masterN.domain., _leader._tcp/_udp and _master._tcp/_udp.
  void masters() {
    const std::string& leader = state_.leader();
    size_t at = leader.find('@');
    if (at == std::string::npos) {
      return;
    }
    std::string leader_address = leader.substr(at + 1);
    auto [leader_host, leader_port] = splitHostPort(leader_address);
    std::string leader_ip = canonicalIp(leader_host);
    if (leader_ip.empty()) {
      return;
    }
    std::string leader_name = "leader" + tail_;
    std::string all_masters = "master" + tail_;
    out_.addAddress(leader_name, leader_ip);
    out_.addAddress(all_masters, leader_ip);
    if (auto port = portOf(leader_port)) {
      out_.addSrv("_leader._tcp" + tail_, {leader_name, *port});
      out_.addSrv("_leader._udp" + tail_, {leader_name, *port});
    }
    // With ZooKeeper, Mesos-DNS lists the leader ZooKeeper reports first.
    std::vector<std::string> masters;
    if (!config_.zk.empty()) {
      masters.push_back(leader_address);
    }
    masters.insert(masters.end(), config_.masters.begin(), config_.masters.end());
    bool leader_numbered = false;
    size_t index = 0;
    for (const auto& master : masters) {
      auto [host, port_text] = splitHostPort(master);
      std::string ip = canonicalIp(host);
      if (ip.empty()) {
        continue;
      }
      bool is_leader = master == leader_address;
      if (!is_leader && !out_.addAddress(all_masters, ip)) {
        continue;  // the same master twice
      }
      if (is_leader && leader_numbered) {
        continue;
      }
      std::string numbered = "master" + std::to_string(index++) + tail_;
      out_.addAddress(numbered, ip);
      if (auto port = portOf(port_text)) {
        out_.addSrv("_master._tcp" + tail_, {numbered, *port});
        out_.addSrv("_master._udp" + tail_, {numbered, *port});
      }
      leader_numbered = leader_numbered || is_leader;
    }
    if (!leader_numbered) {
      std::string numbered = "master" + std::to_string(index) + tail_;
      out_.addAddress(numbered, leader_ip);
      if (auto port = portOf(leader_port)) {
        out_.addSrv("_master._tcp" + tail_, {numbered, *port});
        out_.addSrv("_master._udp" + tail_, {numbered, *port});
      }
    }
  }

  void tasks() {
    std::map<std::string, size_t> framework_index;
    auto& enumeration = out_.mutableEnumeration();
    for (const auto& [id, framework] : state_.frameworks()) {
      framework_index[id] = enumeration.size();
      enumeration.push_back({framework.name, {}});
    }
    for (const auto& [key, task] : state_.tasks()) {
      auto framework = state_.frameworks().find(task.framework_id);
      auto agent_ip = agent_ips_.find(task.agent_id);
      if (framework == state_.frameworks().end() || agent_ip == agent_ips_.end() ||
          task.state != "TASK_RUNNING") {
        continue;
      }
      auto& tasks = enumeration[framework_index[framework->first]].tasks;
      tasks.push_back({task.name, task.id, {}});
      taskRecords(task, framework->second, agent_ip->second, tasks.back());
    }
  }

 private:
  struct Context {
    std::string task_name;
    std::string task_hash;
    std::string agent_tail;
    std::vector<std::string> task_ips;
    std::string agent_ip;
  };

  static std::pair<std::string, std::string> splitHostPort(const std::string& text) {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
      return {text, ""};
    }
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    return {host, text.substr(colon + 1)};
  }

  static std::optional<uint16_t> portOf(const std::string& text) {
    if (text.empty() || text.size() > 5 ||
        !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return std::nullopt;
    }
    int port = std::stoi(text);
    if (port > 65535) {
      return std::nullopt;
    }
    return static_cast<uint16_t>(port);
  }

  void addAddress(const std::string& name, const std::string& ip, EnumerableTask& e) {
    if (out_.addAddress(name, ip)) {
      e.records.push_back({name, ip, isIpv4(ip) ? "A" : "AAAA"});
    }
  }

  void addSrv(const std::string& name, const SrvTarget& target, EnumerableTask& e) {
    if (out_.addSrv(name, target)) {
      e.records.push_back({name, target.toString(), "SRV"});
    }
  }

  void taskRecords(const TaskInfo& task, const FrameworkInfo& framework,
                   const std::string& agent_ip, EnumerableTask& e) {
    Context ctx{label(task.name, rules_), taskIdHash(task.id), agentIdTail(task.agent_id),
                taskAddresses(task, agent_ip, config_.ip_sources), agent_ip};
    if (!task.discovery_name.empty()) {
      // Mesos-DNS names such a task twice: by the DiscoveryInfo name as given (kept for old
      // clients), then by that name made a label.
      ctx.task_name = task.discovery_name;
      contextRecords(ctx, task, framework, e);
      ctx.task_name = label(task.discovery_name, rules_);
    }
    contextRecords(ctx, task, framework, e);
  }

  void contextRecords(const Context& ctx, const TaskInfo& task, const FrameworkInfo& framework,
                      EnumerableTask& e) {
    std::string fname = domainFragment(framework.name, rules_);
    std::string canonical =
        ctx.task_name + "-" + ctx.task_hash + "-" + ctx.agent_tail + "." + fname;
    std::string arec = ctx.task_name + "." + fname;
    for (const auto& ip : ctx.task_ips) {
      addAddress(arec + tail_, ip, e);
      addAddress(canonical + tail_, ip, e);
    }
    if (std::string ip = canonicalIp(ctx.agent_ip); !ip.empty()) {
      addAddress(arec + ".slave" + tail_, ip, e);
      addAddress(canonical + ".slave" + tail_, ip, e);
    }
    bool discovery = !task.discovery_name.empty();
    std::string agent_target = canonical + ".slave" + tail_;
    for (uint32_t port : task.ports) {
      SrvTarget target{agent_target, static_cast<uint16_t>(port)};
      for (const char* proto : {"._tcp.", "._udp."}) {
        addSrv("_" + ctx.task_name + proto + fname + ".slave" + tail_, target, e);
      }
      if (!discovery) {
        for (const char* proto : {"._tcp.", "._udp."}) {
          addSrv("_" + ctx.task_name + proto + fname + tail_, target, e);
        }
      }
    }
    if (!discovery) {
      return;
    }
    for (const auto& port : task.discovery_ports) {
      if (port.number > 65535) {
        continue;
      }
      SrvTarget target{canonical + tail_, static_cast<uint16_t>(port.number)};
      std::string protocol = label(port.protocol, rules_);
      std::vector<std::string> names;
      if (protocol.empty()) {
        names = {"_" + ctx.task_name + "._tcp." + fname, "_" + ctx.task_name + "._udp." + fname};
      } else {
        names = {"_" + ctx.task_name + "._" + protocol + "." + fname};
      }
      std::string port_name = label(port.name, rules_);
      size_t plain = names.size();
      if (!port_name.empty()) {
        for (size_t i = 0; i < plain; ++i) {
          names.push_back("_" + port_name + "." + names[i]);
        }
      }
      for (const auto& name : names) {
        addSrv(name + tail_, target, e);
      }
    }
  }

  const ClusterState& state_;
  const Config& config_;
  RecordSet& out_;
  LabelRules rules_;
  std::string tail_;  // ".<domain>."
  std::map<std::string, std::string> agent_ips_;
};

}  // namespace

std::string canonicalIp(const std::string& text) {
  char buf[INET6_ADDRSTRLEN];
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return inet_ntop(AF_INET, &v4, buf, sizeof(buf));
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return inet_ntop(AF_INET6, &v6, buf, sizeof(buf));
  }
  return {};
}

std::vector<std::string> taskAddresses(const TaskInfo& task, const std::string& agent_ip,
                                       const std::vector<std::string>& sources) {
  for (const auto& source : sources) {
    std::vector<std::string> ips;
    if (source == "netinfo") {
      ips = networkAddresses(task);
    } else if (source == "mesos") {
      ips = labelAddresses(task, "MesosContainerizer.NetworkSettings.IPAddress");
    } else if (source == "docker") {
      ips = labelAddresses(task, "Docker.NetworkSettings.IPAddress");
    } else if (source == "host") {
      ips = hostAddresses(agent_ip);
    } else if (source == "autoip") {
      ips = autoAddresses(task, agent_ip);
    }
    if (!ips.empty()) {
      return ips;
    }
  }
  return {};
}

bool RecordSet::seen(const std::string& name, size_t count, const std::string& value,
                     const std::function<bool()>& linear) {
  constexpr size_t kLinear = 16;
  if (count < kLinear) {
    return linear();
  }
  if (count == kLinear) {
    // From now on this name's values are looked up in the set: put the first ones there.
    const NameRecords& records = names_[name];
    for (const auto& a : records.a) {
      many_.insert(name + " " + a);
    }
    for (const auto& aaaa : records.aaaa) {
      many_.insert(name + " " + aaaa);
    }
    for (const auto& srv : records.srv) {
      many_.insert(name + " " + srv.toString());
    }
  }
  return !many_.insert(name + " " + value).second;
}

const NameRecords* RecordSet::find(const std::string& name) const {
  auto it = names_.find(name);
  return it == names_.end() ? nullptr : &it->second;
}

bool RecordSet::addAddress(const std::string& name, const std::string& address) {
  std::string ip = canonicalIp(address);
  if (ip.empty()) {
    return false;
  }
  bool v4 = isIpv4(ip);
  auto& values = v4 ? names_[name].a : names_[name].aaaa;
  if (seen(name, values.size(), ip,
           [&] { return std::find(values.begin(), values.end(), ip) != values.end(); })) {
    return false;
  }
  values.push_back(std::move(ip));
  ++count_;
  return true;
}

bool RecordSet::addSrv(const std::string& name, const SrvTarget& target) {
  auto& values = names_[name].srv;
  if (seen(name, values.size(), target.toString(),
           [&] { return std::find(values.begin(), values.end(), target) != values.end(); })) {
    return false;
  }
  values.push_back(target);
  ++count_;
  return true;
}

RecordSet generateRecords(const ClusterState& state, const Config& config,
                          const std::vector<std::string>& listener_ips) {
  RecordSet out;
  Generator generator(state, config, out);
  generator.frameworks();
  generator.agents();
  generator.listener(listener_ips);
  generator.masters();
  generator.tasks();
  return out;
}

}  // namespace plateau::dns
