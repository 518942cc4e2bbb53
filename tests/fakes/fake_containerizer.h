#pragma once

// A Containerizer that starts nothing: it records what the agent asks (launches, resizes,
// kills, destroys), hands out made-up pids, and lets a test make a launch fail, give a container
// usage, or have a container cross a limit (reported through the limitation callback, as the
// real containerizer's periodic check would, or only when asked, as when the kernel was faster).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/containerizer/containerizer.h"

namespace plateau::testing {

class FakeContainerizer final : public agent::Containerizer {
 public:
  struct Launch {
    agent::ContainerConfig config;
    LaunchSpec process;
    std::string user;
  };

  void setLimitationCallback(LimitationCallback on_limitation) override {
    on_limitation_ = std::move(on_limitation);
  }

  Result<pid_t> launch(agent::ContainerConfig config, const LaunchSpec& process,
                       const std::string& user) override {
    if (next_launch_error_) {
      Status error = *next_launch_error_;
      next_launch_error_.reset();
      return std::unexpected(error);
    }
    if (containers_.contains(config.container_id)) {
      return std::unexpected(Status(StatusCode::kAlreadyExists, "container exists"));
    }
    config.pid = next_pid_++;
    launches.push_back({config, process, user});
    containers_[config.container_id] = config;
    return config.pid;
  }

  void recover(const std::vector<agent::ContainerConfig>& alive) override {
    for (const auto& config : alive) {
      containers_[config.container_id] = config;
      recovered.push_back(config.container_id);
    }
  }

  void update(const std::string& container_id, double cpus, double mem_mb,
              double disk_mb) override {
    auto it = containers_.find(container_id);
    if (it == containers_.end()) {
      return;
    }
    it->second.cpus = cpus;
    it->second.mem_mb = std::max(it->second.mem_mb, mem_mb);
    it->second.disk_mb = disk_mb;
    updates.push_back(it->second);
  }

  json::Value usage(const std::string& container_id) override {
    auto it = usage_.find(container_id);
    return it == usage_.end() || !containers_.contains(container_id) ? json::Value{} : it->second;
  }

  std::optional<agent::Limitation> limitation(const std::string& container_id) override {
    auto it = limits_.find(container_id);
    if (it == limits_.end() || !containers_.contains(container_id)) {
      return std::nullopt;
    }
    return it->second;
  }

  void terminate(const std::string& container_id) override { terminations.push_back(container_id); }
  void kill(const std::string& container_id) override { kills.push_back(container_id); }

  void destroy(const std::string& container_id) override {
    if (containers_.erase(container_id) > 0) {
      destroys.push_back(container_id);
    }
  }

  bool contains(const std::string& container_id) const override {
    return containers_.contains(container_id);
  }

  // The next launch fails with `error`.
  void failNextLaunch(Status error) { next_launch_error_ = std::move(error); }
  // What usage() answers for the container.
  void setUsage(const std::string& container_id, json::Value stats) {
    usage_[container_id] = std::move(stats);
  }
  // The container has crossed `limit`: limitation() answers it from now on, and with `report`
  // the container is killed and the callback told, as the periodic check does.
  void crossLimit(const std::string& container_id, agent::Limitation limit, bool report) {
    limits_[container_id] = limit;
    if (report) {
      kill(container_id);
      if (on_limitation_) {
        on_limitation_(container_id, limit);
      }
    }
  }
  // The container as last launched, recovered or resized (nullopt once destroyed).
  std::optional<agent::ContainerConfig> container(const std::string& container_id) const {
    auto it = containers_.find(container_id);
    return it == containers_.end() ? std::nullopt : std::optional(it->second);
  }

  std::vector<Launch> launches;
  std::vector<agent::ContainerConfig> updates;
  std::vector<std::string> recovered;
  std::vector<std::string> terminations;
  std::vector<std::string> kills;
  std::vector<std::string> destroys;

 private:
  LimitationCallback on_limitation_;
  std::optional<Status> next_launch_error_;
  pid_t next_pid_ = 10000;
  std::map<std::string, agent::ContainerConfig> containers_;
  std::map<std::string, json::Value> usage_;
  std::map<std::string, agent::Limitation> limits_;
};

}  // namespace plateau::testing
