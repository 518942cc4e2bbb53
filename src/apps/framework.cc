#include "apps/framework.h"

#include "apps/task_info.h"

namespace plateau::apps {

namespace v1 = mesos::v1;

Framework::Framework(EventLoop& loop, FrameworkOptions options, std::shared_ptr<spdlog::logger> log)
    : shell_(loop, std::move(options), std::move(log)) {}

Framework::~Framework() { stop(); }

void Framework::stop() { shell_.stop(); }

Status Framework::start(Orchestrator& orchestrator, const std::string& framework_id) {
  orchestrator_ = &orchestrator;
  service::SchedulerShell::Handlers handlers;
  handlers.subscribed = [this](const std::string& id) { orchestrator_->onSubscribed(id); };
  handlers.disconnected = [this] { orchestrator_->onDisconnected(); };
  handlers.offers = [this](const std::vector<v1::Offer>& offers) {
    std::vector<OfferView> views;
    views.reserve(offers.size());
    for (const auto& offer : offers) {
      views.push_back(offerView(offer));
    }
    orchestrator_->onOffers(std::move(views));
  };
  handlers.update = [this](const v1::TaskStatus& status) {
    StatusView view;
    view.task_id = status.task_id().value();
    view.agent_id = status.agent_id().value();
    view.state = v1::TaskState_Name(status.state());
    if (status.has_healthy()) {
      view.healthy = status.healthy();
    }
    view.message = status.message();
    view.reason = status.has_reason() ? v1::TaskStatus::Reason_Name(status.reason()) : "";
    orchestrator_->onStatus(view);
  };
  return shell_.start(std::move(handlers), framework_id);
}

void Framework::launch(const OfferView& offer, const std::vector<LaunchSpec>& tasks) {
  const v1::Offer* full = shell_.offer(offer.id);
  if (full == nullptr) {
    // The shell logs it; the tasks stay STAGING until the launch timeout or reconciliation
    // ends them.
    shell_.launch(offer.id, {}, 1);
    return;
  }
  std::vector<v1::TaskInfo> infos;
  infos.reserve(tasks.size());
  for (const auto& spec : tasks) {
    infos.push_back(buildTaskInfo(*full, spec));
  }
  shell_.launch(offer.id, std::move(infos), 1);
}

void Framework::decline(const std::string& offer_id, double refuse_seconds) {
  shell_.decline(offer_id, refuse_seconds);
}

void Framework::kill(const std::string& task_id, const std::string& agent_id,
                     std::optional<int> grace_seconds) {
  std::optional<std::chrono::nanoseconds> grace;
  if (grace_seconds) {
    grace = std::chrono::seconds(*grace_seconds);
  }
  shell_.kill(task_id, agent_id, grace);
}

void Framework::wantOffers(bool wanted) { shell_.wantOffers(wanted); }

void Framework::reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) {
  shell_.reconcile(tasks);
}

}  // namespace plateau::apps
