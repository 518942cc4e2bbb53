#pragma once

// The shell between the job scheduler and the master: a v1 scheduler client whose events are
// posted onto the service's loop and turned into Scheduler calls, and the Scheduler's Driver
// calls turned into scheduler calls (ACCEPT, DECLINE, KILL, SUPPRESS, REVIVE, RECONCILE).
// Status updates are acknowledged once handled. Loop thread only, apart from the client's
// own threads.

#include <map>
#include <memory>
#include <string>

#include <plateau/scheduler_client.h>
#include <spdlog/logger.h>

#include "jobs/scheduler.h"
#include "runtime/event_loop.h"

namespace plateau::jobs {

struct FrameworkOptions {
  std::string master;
  std::string name = "plateau-jobs";
  std::string role = "*";
  std::string user;
  std::string hostname;
  std::string webui_url;
  double failover_timeout_seconds = 604800;
  bool checkpoint = true;
  std::string principal;  // "" for none: no credential sent
  std::string secret;
};

class Framework final : public Driver {
 public:
  Framework(EventLoop& loop, FrameworkOptions options, std::shared_ptr<spdlog::logger> log);
  ~Framework() override;

  // Subscribes with `framework_id` when not empty (failover); events go to `scheduler`.
  Status start(Scheduler& scheduler, const std::string& framework_id);
  void stop();

  bool launch(const std::string& offer_id, const std::vector<LaunchSpec>& tasks) override;
  void decline(const std::string& offer_id, double refuse_seconds) override;
  void kill(const std::string& task_id, const std::string& agent_id) override;
  void wantOffers(bool wanted) override;
  void reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) override;

 private:
  void onEvent(const mesos::v1::scheduler::Event& event);
  void send(mesos::v1::scheduler::Call call);

  EventLoop& loop_;
  FrameworkOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  Scheduler* scheduler_ = nullptr;
  std::unique_ptr<client::SchedulerClient> client_;
  std::map<std::string, mesos::v1::Offer> offers_;  // outstanding, by id
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plateau::jobs
