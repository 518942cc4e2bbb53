#pragma once

// The Mesos containerizer, Plateau's way: owns every container (one per executor), launches its
// first process through the launcher with the isolators chosen by --isolation, reports usage,
// watches limits, and destroys it. Loop thread only.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "agent/containerizer/isolator.h"
#include "agent/containerizer/launcher.h"
#include "common/json.h"
#include "common/process.h"
#include "common/status.h"

namespace plateau {
class EventLoop;
}

namespace plateau::agent {

struct ContainerizerOptions {
  std::string isolation = "posix/cpu,posix/mem";
  std::string launcher;  // posix | linux; empty: linux when root, else posix
  std::string cgroups_hierarchy = "/sys/fs/cgroup";
  std::string cgroups_root = "plateau";
  bool cgroups_enable_cfs = false;
  bool enforce_container_disk_quota = false;
  std::chrono::nanoseconds container_disk_watch_interval = std::chrono::seconds(15);
  bool switch_user = true;
};

// The --isolation names, validated and without duplicates. InvalidArgument names --isolation.
Result<std::vector<std::string>> parseIsolation(const std::string& flag);
// Checks --isolation and --launcher together (namespaces/pid needs the linux launcher).
Status validateContainerizerOptions(const ContainerizerOptions& options);

class Containerizer {
 public:
  using LimitationCallback = std::function<void(const std::string& container_id, Limitation)>;

  // Builds the isolators (detecting cgroups when a cgroups isolator is asked for). Fails when
  // the host cannot give what --isolation asks.
  static Result<std::unique_ptr<Containerizer>> create(EventLoop& loop,
                                                       ContainerizerOptions options,
                                                       std::shared_ptr<spdlog::logger> log,
                                                       LimitationCallback on_limitation);
  ~Containerizer();

  // Launches a container's first process as `user` (empty, or --switch_user=false: the
  // agent's own user), inside the isolators. The sandbox is chowned to the user. Errors (an
  // unknown user, a cgroup that cannot be made, a program that cannot run) leave nothing
  // behind and name what failed.
  Result<pid_t> launch(ContainerConfig config, const LaunchSpec& process, const std::string& user);

  // Takes over containers found running at agent start, and removes every other container
  // an earlier agent left behind (cgroups of orphans).
  void recover(const std::vector<ContainerConfig>& alive);

  // Resources changed (tasks added to or ended in a running executor): cpu and disk limits
  // follow; the memory limit is only ever raised.
  void update(const std::string& container_id, double cpus, double mem_mb, double disk_mb);

  // ResourceStatistics fields of a container as a JSON object (null when unknown).
  json::Value usage(const std::string& container_id);

  // A limit the container has crossed, checked now (reported once through the callback too).
  std::optional<Limitation> limitation(const std::string& container_id);

  // SIGKILLs every process of the container (its process tree and its cgroups' members) while
  // the container stays known; the executor's exit then leads to destroy().
  void kill(const std::string& container_id);

  // Kills everything in the container and removes what the isolators made. Idempotent.
  void destroy(const std::string& container_id);

  bool contains(const std::string& container_id) const {
    return containers_.contains(container_id);
  }
  const std::vector<std::string>& isolation() const { return names_; }

 private:
  Containerizer(EventLoop& loop, ContainerizerOptions options, std::shared_ptr<spdlog::logger> log,
                LimitationCallback on_limitation);
  void watch();
  // What launch() starts: the process, as `user` when users are switched.
  Result<ChildSpec> childSpec(const ContainerConfig& config, const LaunchSpec& process,
                              const std::string& user) const;
  // Prepares every isolator for the container, and the clone flags they need; returns the
  // cgroup.procs files the child joins. On failure, what was prepared is cleaned up.
  Result<std::vector<std::string>> prepareIsolators(const ContainerConfig& config,
                                                    ChildSpec* child);
  // Cleans up the first `count` isolators, last first.
  void cleanupIsolators(const std::string& container_id, size_t count);

  struct Container {
    ContainerConfig config;
    bool limited = false;  // reported already
  };

  EventLoop& loop_;
  ContainerizerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  LimitationCallback on_limitation_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Isolator>> isolators_;
  std::map<std::string, Container> containers_;
  uint64_t watch_timer_ = 0;
};

}  // namespace plateau::agent
