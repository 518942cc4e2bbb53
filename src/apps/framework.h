#pragma once

// The apps service's framework: the shared scheduler shell (service/scheduler_shell.h, which
// subscribes, keeps offers and acknowledges updates) with its events turned into Orchestrator
// calls, and the Orchestrator's Driver calls turned into the shell's calls. Loop thread only.

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "apps/orchestrator.h"
#include "runtime/event_loop.h"
#include "service/scheduler_shell.h"

namespace plateau::apps {

using FrameworkOptions = service::FrameworkOptions;

class Framework final : public Driver {
 public:
  Framework(EventLoop& loop, FrameworkOptions options, std::shared_ptr<spdlog::logger> log);
  ~Framework() override;

  // Subscribes with `framework_id` when not empty (failover); events go to `orchestrator`.
  Status start(Orchestrator& orchestrator, const std::string& framework_id);
  void stop();

  void launch(const OfferView& offer, const std::vector<LaunchSpec>& tasks) override;
  void decline(const std::string& offer_id, double refuse_seconds) override;
  void kill(const std::string& task_id, const std::string& agent_id,
            std::optional<int> grace_seconds) override;
  void wantOffers(bool wanted) override;
  void reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) override;

 private:
  service::SchedulerShell shell_;
  Orchestrator* orchestrator_ = nullptr;
};

}  // namespace plateau::apps
