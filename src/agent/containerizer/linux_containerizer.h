#pragma once

// The Mesos containerizer, Plateau's way: owns every container (one per executor), launches its
// first process through the launcher with the isolators chosen by --isolation, reports usage,
// watches limits (every 500 ms), and destroys it. Loop thread only.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "agent/containerizer/cgroup_reaper.h"
#include "agent/containerizer/containerizer.h"
#include "agent/containerizer/isolator.h"
#include "agent/containerizer/launcher.h"
#include "agent/containerizer/zygote.h"
#include "common/json.h"
#include "common/process.h"
#include "common/status.h"

namespace plateau {
class Clock;
class EventLoop;
}  // namespace plateau

namespace plateau::agent {

struct ContainerizerOptions {
  std::string isolation = "posix/cpu,posix/mem";
  std::string launcher;  // posix | linux; empty: linux when root, else posix
  std::string cgroups_hierarchy = "/sys/fs/cgroup";
  std::string cgroups_root = "plateau";
  bool cgroups_enable_cfs = false;
  bool cgroups_limit_swap = false;
  bool cgroups_cpu_enable_pids_and_tids_count = false;
  bool revocable_cpu_low_priority = true;  // revocable cpus: low cpu.shares (cgroups/cpu)
  // How long a container's cgroups may take to empty and go once it is destroyed; past it the
  // destruction has failed (logged as container_destroy_failed, the cgroup left).
  std::chrono::nanoseconds cgroups_destroy_timeout = std::chrono::minutes(1);
  bool disallow_sharing_agent_pid_namespace = false;
  bool enforce_container_disk_quota = false;
  std::chrono::nanoseconds container_disk_watch_interval = std::chrono::seconds(15);
  bool switch_user = true;
  // The executor binary to pre-start as a zygote (zygote.h) that clones executors instead of
  // spawning them; empty: spawn every process.
  std::string executor_zygote;
};

// Every isolator name --isolation accepts, in the order --help lists them.
const std::vector<std::string>& knownIsolators();
// The --isolation names, validated and without duplicates. InvalidArgument names --isolation.
Result<std::vector<std::string>> parseIsolation(const std::string& flag);
// Checks --isolation and --launcher together (namespaces/pid needs the linux launcher).
Status validateContainerizerOptions(const ContainerizerOptions& options);

class LinuxContainerizer final : public Containerizer {
 public:
  // Builds the isolators (detecting cgroups when a cgroups isolator is asked for). Fails when
  // the host cannot give what --isolation asks. Usage timestamps are read from `clock`.
  static Result<std::unique_ptr<LinuxContainerizer>> create(EventLoop& loop, const Clock& clock,
                                                            ContainerizerOptions options,
                                                            std::shared_ptr<spdlog::logger> log);
  ~LinuxContainerizer() override;

  void setLimitationCallback(LimitationCallback on_limitation) override;
  // As Containerizer::launch; with --switch_user=false the user is ignored, and the sandbox is
  // chowned to the user otherwise.
  Result<pid_t> launch(ContainerConfig config, const LaunchSpec& process,
                       const std::string& user) override;
  void recover(const std::vector<ContainerConfig>& alive) override;
  void update(const std::string& container_id, double cpus, double mem_mb, double disk_mb) override;
  json::Value usage(const std::string& container_id) override;
  std::optional<Limitation> limitation(const std::string& container_id) override;
  // Signals the first process's session and process tree.
  void terminate(const std::string& container_id) override;
  // Kills the first process's session and process tree, and every member of the container's
  // cgroups.
  void kill(const std::string& container_id) override;
  // Removes the container's cgroups at once when they empty within a second; those that do not
  // are retried every 500 ms until --cgroups_destroy_timeout, then reported failed.
  void destroy(const std::string& container_id) override;
  bool contains(const std::string& container_id) const override {
    return containers_.contains(container_id);
  }
  // Containers whose cgroups outlived --cgroups_destroy_timeout.
  uint64_t destroyErrors() const override { return reaper_.failedContainers(); }
  const std::vector<std::string>& isolation() const { return names_; }

 private:
  LinuxContainerizer(EventLoop& loop, const Clock& clock, ContainerizerOptions options,
                     std::shared_ptr<spdlog::logger> log);
  void watch();
  // Retries the cgroups left behind; logs those given up.
  void reap();
  // Hands the cgroups a cleanup or recovery left behind to the reaper.
  void keep(const std::string& container_id, const std::vector<std::string>& dirs,
            Clock::TimePoint started);
  // What launch() starts: the process, as `user` when users are switched.
  Result<ChildSpec> childSpec(const ContainerConfig& config, const LaunchSpec& process,
                              const std::string& user) const;
  // Prepares every isolator for the container, and the clone flags they need; returns the
  // cgroup.procs files the child joins. On failure, what was prepared is cleaned up.
  Result<std::vector<std::string>> prepareIsolators(const ContainerConfig& config,
                                                    ChildSpec* child);
  // Cleans up the first `count` isolators, last first; returns the cgroups left behind.
  std::vector<std::string> cleanupIsolators(const std::string& container_id, size_t count);

  struct Container {
    ContainerConfig config;
    bool limited = false;  // reported already
  };

  EventLoop& loop_;
  const Clock& clock_;
  ContainerizerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  LimitationCallback on_limitation_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Isolator>> isolators_;
  std::map<std::string, Container> containers_;
  CgroupReaper reaper_;
  uint64_t watch_timer_ = 0;
  std::unique_ptr<ExecutorZygote> zygote_;  // when options_.executor_zygote is set
};

}  // namespace plateau::agent
