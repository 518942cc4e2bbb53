#pragma once

// The part of a service's framework (plateau-apps, plateau-jobs) that is the same for every
// service: a v1 scheduler client subscribed with a checkpointing, PARTITION_AWARE and
// TASK_KILLING_STATE FrameworkInfo, whose events are posted onto the service's loop and handed
// to the service's handlers, with the offers outstanding kept by id and every status update
// acknowledged once its handler returned. Calls (ACCEPT, DECLINE, KILL, SUPPRESS, REVIVE,
// RECONCILE) are built here from plain arguments. Nothing reaches a handler after stop() or
// destruction. Loop thread only, apart from the client's own threads.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <plateau/scheduler_client.h>
#include <spdlog/logger.h>

#include "common/status.h"
#include "runtime/event_loop.h"

namespace plateau::service {

struct FrameworkOptions {
  std::string master;  // host:port, http://host:port or zk://...
  std::string name;
  std::string role = "*";
  std::string user;
  std::string hostname;
  std::string webui_url;
  double failover_timeout_seconds = 604800;
  bool checkpoint = true;
  std::string principal;  // "" for none: no credential sent
  std::string secret;
};

class SchedulerShell {
 public:
  // Each runs on the loop thread.
  struct Handlers {
    std::function<void(const std::string& framework_id)> subscribed;
    // The subscription was lost (the client reconnects by itself); outstanding offers are gone.
    std::function<void()> disconnected;
    std::function<void(const std::vector<mesos::v1::Offer>& offers)> offers;
    std::function<void(const std::string& offer_id)> rescinded;  // may be empty
    // Acknowledged (when it carries a uuid) after this returns.
    std::function<void(const mesos::v1::TaskStatus& status)> update;
  };

  SchedulerShell(EventLoop& loop, FrameworkOptions options, std::shared_ptr<spdlog::logger> log);
  ~SchedulerShell();
  SchedulerShell(const SchedulerShell&) = delete;
  SchedulerShell& operator=(const SchedulerShell&) = delete;

  // Subscribes, as `framework_id` when not empty (failover). InvalidArgument for a bad master.
  Status start(Handlers handlers, const std::string& framework_id);
  void stop();

  // An offer received and not yet used, declined or rescinded; nullptr otherwise.
  const mesos::v1::Offer* offer(const std::string& offer_id) const;
  // ACCEPTs the offer with one LAUNCH of `tasks`, refusing what is left of it for
  // `refuse_seconds`. False (nothing sent) when the offer is gone.
  bool launch(const std::string& offer_id, std::vector<mesos::v1::TaskInfo> tasks,
              double refuse_seconds);
  void decline(const std::string& offer_id, double refuse_seconds);
  void kill(const std::string& task_id, const std::string& agent_id,
            std::optional<std::chrono::nanoseconds> grace_period = std::nullopt);
  // REVIVE when true, SUPPRESS when false.
  void wantOffers(bool wanted);
  // RECONCILE these (task id, agent id) pairs; none asks for every task.
  void reconcile(const std::vector<std::pair<std::string, std::string>>& tasks);

 private:
  void onEvent(const mesos::v1::scheduler::Event& event);
  void send(mesos::v1::scheduler::Call call);

  EventLoop& loop_;
  FrameworkOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  Handlers handlers_;
  std::unique_ptr<client::SchedulerClient> client_;
  std::map<std::string, mesos::v1::Offer> offers_;  // outstanding, by id
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plateau::service
