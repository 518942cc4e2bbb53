#pragma once

// The jobs service's framework: the shared scheduler shell (service/scheduler_shell.h, which
// subscribes, keeps offers and acknowledges updates) with its events turned into Scheduler
// calls, and the Scheduler's Driver calls turned into the shell's calls. Loop thread only.

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "jobs/scheduler.h"
#include "runtime/event_loop.h"
#include "service/scheduler_shell.h"

namespace plateau::jobs {

using FrameworkOptions = service::FrameworkOptions;

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
  service::SchedulerShell shell_;
  Scheduler* scheduler_ = nullptr;
};

}  // namespace plateau::jobs
