#pragma once

// Several masters elected through a real ZooKeeper, and agents that follow the leader.

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/json.h"

#include "harness.h"
#include "zookeeper_server.h"

namespace plateau::testing {

class HaCluster {
  // Starts ZooKeeper and `masters` masters contending under /plateau.
 public:
  explicit HaCluster(int masters) {
    char tmpl[] = "/tmp/plateau-ha.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    zk_url_ = fmt::format("zk://{}/plateau", zk_.connectString());
    for (int i = 0; i < masters; ++i) {
      ports_.push_back(0);  // --port=0 at the first start; restarts keep the reported port
      masters_.emplace_back();
      startMaster(i);
    }
  }

  ~HaCluster() {
    agents_.clear();
    masters_.clear();
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::error_code ec;
      auto cwd = std::filesystem::read_symlink(entry.path() / "cwd", ec).string();
      if (!ec && cwd.starts_with(dir_)) {
        ::kill(std::stoi(entry.path().filename()), SIGKILL);
      }
    }
    if (!::testing::Test::HasFailure()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  void startMaster(int i) {
    masters_[i] = std::make_unique<Process>(
        fmt::format("master{}", i),
        std::vector<std::string>{std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--ip=127.0.0.1",
                                 fmt::format("--port={}", ports_[i]),
                                 fmt::format("--work_dir={}/master{}", dir_, i), "--zk=" + zk_url_,
                                 "--zk_session_timeout=1secs", "--allocation_interval=100ms",
                                 "--agent_reregister_timeout=30secs"},
        fmt::format("{}/master{}.{}.log", dir_, i, starts_++));
    if (ports_[i] == 0) {
      ports_[i] = masters_[i]->reportedPort("master_started");
      EXPECT_NE(ports_[i], 0) << masters_[i]->log();
    }
  }

  void addAgent(const std::string& resources) {
    size_t i = agents_.size();
    agents_.push_back(std::make_unique<Process>(
        fmt::format("agent{}", i),
        std::vector<std::string>{
            std::string(PLATEAU_BIN_DIR) + "/plateau-agent", "--master=" + zk_url_,
            "--ip=127.0.0.1", "--port=0", fmt::format("--work_dir={}/agent{}", dir_, i),
            "--resources=" + resources, "--switch_user=false"},  // frameworks name user "u"
        fmt::format("{}/agent{}.log", dir_, i)));
  }

  // The index of the master that leads and has recovered (its scheduler API answers 400 to
  // an empty call instead of redirecting or 503), or -1.
  int leader() {
    for (size_t i = 0; i < masters_.size(); ++i) {
      if (!masters_[i] || !masters_[i]->running()) continue;
      auto r = http::fetchSync(endpoint(i),
                               {.method = "POST",
                                .path = "/api/v1/scheduler",
                                .headers = {{"content-type", "application/json"}},
                                .body = "{}"},
                               1s);
      if (r && r->status == 400) return static_cast<int>(i);
    }
    return -1;
  }

  size_t activeAgents(int master) {
    auto r = http::fetchSync(endpoint(master), {.method = "GET", .path = "/master/state"}, 2s);
    auto state = json::parse(r ? r->body : "");
    if (!state) return 0;
    size_t n = 0;
    for (const auto& a : (*state)["slaves"].asArray()) n += a["active"].asBool() ? 1 : 0;
    return n;
  }

  http::Endpoint endpoint(size_t i) const { return {"127.0.0.1", ports_[i]}; }
  Process& master(int i) { return *masters_[i]; }
  Process& agent(size_t i) { return *agents_[i]; }
  ZooKeeperServer& zookeeper() { return zk_; }
  const std::string& zkUrl() const { return zk_url_; }

 private:
  ZooKeeperServer zk_;
  std::string dir_;
  std::string zk_url_;
  std::vector<uint16_t> ports_;
  std::vector<std::unique_ptr<Process>> masters_;
  std::vector<std::unique_ptr<Process>> agents_;
  int starts_ = 0;
};

}  // namespace plateau::testing
