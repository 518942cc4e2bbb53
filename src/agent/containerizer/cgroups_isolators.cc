// cgroups/cpu, cgroups/mem and cgroups/pids: one cgroup per container, <root>/<container_id>,
// in each controller's v1 hierarchy or in the v2 unified tree.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "agent/containerizer/isolators.h"

namespace plateau::agent {

namespace fs = std::filesystem;

namespace {

// What the cgroups isolators share: making, joining, listing and removing the cgroups.
class CgroupsIsolator : public Isolator {
 public:
  // v1_controllers: the v1 hierarchies used (e.g. cpu and cpuacct); v2_controller: the
  // controller enabled for it in the unified tree.
  CgroupsIsolator(std::string name, CgroupsConfig config, std::vector<std::string> v1_controllers,
                  std::string v2_controller)
      : name_(std::move(name)),
        config_(std::move(config)),
        v1_controllers_(std::move(v1_controllers)),
        v2_controller_(std::move(v2_controller)) {}

  std::string name() const override { return name_; }

  Status prepare(const ContainerConfig& container) override {
    for (const auto& dir : dirs(container.container_id)) {
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) {
        return {StatusCode::kUnavailable,
                fmt::format("Failed to create cgroup '{}': {}", dir, ec.message())};
      }
      // v2: the controller's files appear in the container's cgroup once every ancestor
      // delegates it.
      if (v2()) {
        if (Status s = cgroups::enableV2Controllers(config_.layout.unified, dir, {v2_controller_});
            !s.isOk()) {
          return s;
        }
      }
    }
    return apply(container);
  }

  Status update(const ContainerConfig& container) override { return apply(container); }

  std::vector<std::string> procsFiles(const std::string& container_id) const override {
    std::vector<std::string> out;
    for (const auto& dir : dirs(container_id)) {
      out.push_back(dir + "/cgroup.procs");
    }
    return out;
  }

  std::vector<std::string> cleanup(const std::string& container_id) override {
    std::vector<std::string> left;
    for (const auto& dir : dirs(container_id)) {
      if (!cgroups::destroy(dir, config_.destroy_wait).isOk()) {
        left.push_back(dir);
      }
    }
    return left;
  }

  std::vector<std::string> recover(const std::set<std::string>& alive) override {
    std::vector<std::string> left;
    std::set<std::string> roots;
    for (const auto& controller : controllers()) {
      roots.insert(cgroups::rootPath(config_.layout, controller, config_.root));
    }
    for (const auto& root : roots) {
      if (root.empty()) {
        continue;
      }
      for (const auto& child : cgroups::children(root)) {
        // The agent's own cgroup (--agent_subsystems) holds the agent, not a container.
        if (!alive.contains(child) && child != cgroups::kAgentCgroup &&
            !cgroups::destroy(root + "/" + child, config_.destroy_wait).isOk()) {
          left.push_back(root + "/" + child);
        }
      }
    }
    return left;
  }

 protected:
  virtual Status apply(const ContainerConfig& container) = 0;

  bool v2() const { return config_.layout.version == cgroups::Version::kV2; }

  std::vector<std::string> controllers() const {
    return v2() ? std::vector<std::string>{v2_controller_} : v1_controllers_;
  }

  // The cgroup directory of `controller` (v1 name) for a container.
  std::string dir(const std::string& controller, const std::string& container_id) const {
    return cgroups::containerPath(config_.layout, controller, config_.root, container_id);
  }

  // Distinct directories (co-mounted v1 controllers, or v2, share one).
  std::vector<std::string> dirs(const std::string& container_id) const {
    std::vector<std::string> out;
    for (const auto& controller : controllers()) {
      std::string d = dir(controller, container_id);
      if (!d.empty() && std::find(out.begin(), out.end(), d) == out.end()) {
        out.push_back(d);
      }
    }
    return out;
  }

  std::map<std::string, uint64_t> keyValues(const std::string& path) const {
    auto text = cgroups::readFile(path);
    return text ? cgroups::parseKeyValues(*text) : std::map<std::string, uint64_t>{};
  }

  std::optional<uint64_t> number(const std::string& path) const {
    auto text = cgroups::readFile(path);
    if (!text) {
      return std::nullopt;
    }
    try {
      return std::stoull(*text);
    } catch (...) {
      return std::nullopt;
    }
  }

  std::string name_;
  CgroupsConfig config_;
  std::vector<std::string> v1_controllers_;
  std::string v2_controller_;
};

class CpuIsolator : public CgroupsIsolator {
 public:
  explicit CpuIsolator(const CgroupsConfig& config)
      : CgroupsIsolator("cgroups/cpu", config, {"cpu", "cpuacct"}, "cpu") {}

  void usage(const ContainerConfig& container, json::Value* stats) override {
    const std::string& id = container.container_id;
    if (config_.count_pids_and_tids) {
      countPidsAndTids(dir(v2() ? "cpu" : "cpuacct", id), stats);
    }
    if (v2()) {
      auto stat = keyValues(dir("cpu", id) + "/cpu.stat");
      stats->set("cpus_user_time_secs", stat["user_usec"] / 1e6);
      stats->set("cpus_system_time_secs", stat["system_usec"] / 1e6);
      stats->set("cpus_nr_periods", stat["nr_periods"]);
      stats->set("cpus_nr_throttled", stat["nr_throttled"]);
      stats->set("cpus_throttled_time_secs", stat["throttled_usec"] / 1e6);
      return;
    }
    // cpuacct.stat counts USER_HZ ticks (100 per second on Linux).
    auto acct = keyValues(dir("cpuacct", id) + "/cpuacct.stat");
    stats->set("cpus_user_time_secs", acct["user"] / 100.0);
    stats->set("cpus_system_time_secs", acct["system"] / 100.0);
    auto stat = keyValues(dir("cpu", id) + "/cpu.stat");
    stats->set("cpus_nr_periods", stat["nr_periods"]);
    stats->set("cpus_nr_throttled", stat["nr_throttled"]);
    stats->set("cpus_throttled_time_secs", stat["throttled_time"] / 1e9);
  }

 protected:
  // --cgroups_cpu_enable_pids_and_tids_count: what the container's cgroup holds, as Mesos counts
  // it (cgroup.procs, and the threads: v1 tasks, v2 cgroup.threads).
  void countPidsAndTids(const std::string& d, json::Value* stats) const {
    if (auto procs = cgroups::readFile(d + "/cgroup.procs")) {
      stats->set("processes", cgroups::parsePids(*procs).size());
    }
    if (auto threads = cgroups::readFile(d + (v2() ? "/cgroup.threads" : "/tasks"))) {
      stats->set("threads", cgroups::parsePids(*threads).size());
    }
  }

  Status apply(const ContainerConfig& container) override {
    const std::string d = dir("cpu", container.container_id);
    uint64_t shares = cgroups::cpuShares(
        container.cpus, container.revocable_cpus && config_.revocable_cpu_low_priority);
    std::optional<uint64_t> quota;
    if (config_.enable_cfs) {
      quota = cgroups::cfsQuotaUs(container.cpus);
    }
    if (v2()) {
      if (Status s = cgroups::writeFile(d + "/cpu.weight",
                                        std::to_string(cgroups::sharesToWeight(shares)));
          !s.isOk()) {
        return s;
      }
      return cgroups::writeFile(d + "/cpu.max", cgroups::cpuMax(quota));
    }
    if (Status s = cgroups::writeFile(d + "/cpu.shares", std::to_string(shares)); !s.isOk()) {
      return s;
    }
    if (quota) {
      if (Status s =
              cgroups::writeFile(d + "/cpu.cfs_period_us", std::to_string(cgroups::kCfsPeriodUs));
          !s.isOk()) {
        return s;
      }
      return cgroups::writeFile(d + "/cpu.cfs_quota_us", std::to_string(*quota));
    }
    return {};
  }
};

class MemIsolator : public CgroupsIsolator {
 public:
  explicit MemIsolator(const CgroupsConfig& config)
      : CgroupsIsolator("cgroups/mem", config, {"memory"}, "memory") {}

  void usage(const ContainerConfig& container, json::Value* stats) override {
    const std::string d = dir("memory", container.container_id);
    auto stat = keyValues(d + "/memory.stat");
    if (v2()) {
      stats->set("mem_total_bytes", number(d + "/memory.current").value_or(0));
      stats->set("mem_rss_bytes", stat["anon"]);
      stats->set("mem_anon_bytes", stat["anon"]);
      stats->set("mem_file_bytes", stat["file"]);
      stats->set("mem_cache_bytes", stat["file"]);
      stats->set("mem_mapped_file_bytes", stat["file_mapped"]);
      if (auto peak = number(d + "/memory.peak")) {
        stats->set("mem_max_total_bytes", *peak);
      }
      if (config_.limit_swap) {
        auto swap = number(d + "/memory.swap.current");
        stats->set("mem_swap_bytes", swap.value_or(0));
        stats->set("mem_total_memsw_bytes",
                   number(d + "/memory.current").value_or(0) + swap.value_or(0));
      }
      return;
    }
    if (config_.limit_swap) {
      stats->set("mem_total_memsw_bytes", number(d + "/memory.memsw.usage_in_bytes").value_or(0));
    }
    stats->set("mem_total_bytes", number(d + "/memory.usage_in_bytes").value_or(0));
    stats->set("mem_max_total_bytes", number(d + "/memory.max_usage_in_bytes").value_or(0));
    stats->set("mem_rss_bytes", stat["total_rss"]);
    stats->set("mem_anon_bytes", stat["total_rss"]);
    stats->set("mem_cache_bytes", stat["total_cache"]);
    stats->set("mem_file_bytes", stat["total_cache"]);
    stats->set("mem_mapped_file_bytes", stat["total_mapped_file"]);
    stats->set("mem_swap_bytes", stat["total_swap"]);
  }

  std::optional<Limitation> check(const ContainerConfig& container) override {
    const std::string d = dir("memory", container.container_id);
    auto text = cgroups::readFile(d + (v2() ? "/memory.events" : "/memory.oom_control"));
    if (!text || cgroups::oomKills(*text) == 0) {
      return std::nullopt;
    }
    uint64_t limit = cgroups::memoryLimitBytes(container.mem_mb);
    auto peak = number(d + (v2() ? "/memory.peak" : "/memory.max_usage_in_bytes"));
    std::string used = peak ? fmt::format(" Maximum Used: {}MB", *peak >> 20) : "";
    return Limitation{Limitation::Kind::kMemory,
                      fmt::format("Memory limit exceeded: Requested: {}MB{}", limit >> 20, used)};
  }

 protected:
  Status apply(const ContainerConfig& container) override {
    const std::string d = dir("memory", container.container_id);
    uint64_t limit = cgroups::memoryLimitBytes(container.mem_mb);
    if (!v2()) {
      (void)cgroups::writeFile(d + "/memory.soft_limit_in_bytes", std::to_string(limit));
    }
    // The order of v1's two limits depends on the current one (unlimited the first time).
    uint64_t current = v2() ? 0 : number(d + "/memory.limit_in_bytes").value_or(UINT64_MAX);
    for (const auto& write :
         cgroups::memoryLimitWrites(config_.layout.version, current, limit, config_.limit_swap)) {
      if (Status s = cgroups::writeFile(d + "/" + write.file, write.value); !s.isOk()) {
        return s;
      }
    }
    return {};
  }
};

class PidsIsolator : public CgroupsIsolator {
 public:
  explicit PidsIsolator(const CgroupsConfig& config)
      : CgroupsIsolator("cgroups/pids", config, {"pids"}, "pids") {}

  void usage(const ContainerConfig& container, json::Value* stats) override {
    const std::string d = dir("pids", container.container_id);
    if (auto procs = cgroups::readFile(d + "/cgroup.procs")) {
      stats->set("processes", cgroups::parsePids(*procs).size());
    }
    if (auto current = number(d + "/pids.current")) {
      stats->set("threads", *current);
    }
  }

 protected:
  Status apply(const ContainerConfig&) override { return {}; }
};

}  // namespace

std::unique_ptr<Isolator> makeCgroupsCpuIsolator(const CgroupsConfig& config) {
  return std::make_unique<CpuIsolator>(config);
}

std::unique_ptr<Isolator> makeCgroupsMemIsolator(const CgroupsConfig& config) {
  return std::make_unique<MemIsolator>(config);
}

std::unique_ptr<Isolator> makeCgroupsPidsIsolator(const CgroupsConfig& config) {
  return std::make_unique<PidsIsolator>(config);
}

}  // namespace plateau::agent
