#pragma once

// The shell between the orchestrator and the master: a v1 scheduler client whose events are
// posted onto the service's loop and turned into orchestrator calls (offers, status updates,
// subscription), and the orchestrator's Driver calls turned into scheduler calls (ACCEPT,
// DECLINE, KILL, SUPPRESS, REVIVE, RECONCILE). Status updates are acknowledged once handled.
// Loop thread only, apart from the client's own threads.

#include <map>
#include <memory>
#include <string>

#include <plateau/scheduler_client.h>
#include <spdlog/logger.h>

#include "apps/orchestrator.h"
#include "runtime/event_loop.h"

namespace plateau::apps {

struct FrameworkOptions {
  std::string master;
  std::string name = "plateau-apps";
  std::string role = "*";
  std::string user;
  std::string hostname;
  std::string webui_url;
  double failover_timeout_seconds = 604800;
  std::string principal;  // "" for none: no credential sent
  std::string secret;
};

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
  void onEvent(const mesos::v1::scheduler::Event& event);
  void send(mesos::v1::scheduler::Call call);

  EventLoop& loop_;
  FrameworkOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  Orchestrator* orchestrator_ = nullptr;
  std::unique_ptr<client::SchedulerClient> client_;
  std::map<std::string, mesos::v1::Offer> offers_;  // outstanding, by id
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plateau::apps
