#include "jobs/framework.h"

#include "jobs/task_info.h"

namespace plateau::jobs {

namespace v1 = mesos::v1;

Framework::Framework(EventLoop& loop, FrameworkOptions options, std::shared_ptr<spdlog::logger> log)
    : shell_(loop, std::move(options), std::move(log)) {}

Framework::~Framework() { stop(); }

void Framework::stop() { shell_.stop(); }

Status Framework::start(Scheduler& scheduler, const std::string& framework_id) {
  scheduler_ = &scheduler;
  service::SchedulerShell::Handlers handlers;
  handlers.subscribed = [this](const std::string& id) { scheduler_->onSubscribed(id); };
  handlers.disconnected = [this] { scheduler_->onDisconnected(); };
  handlers.offers = [this](const std::vector<v1::Offer>& offers) {
    std::vector<OfferView> views;
    views.reserve(offers.size());
    for (const auto& offer : offers) {
      views.push_back(offerView(offer));
    }
    scheduler_->onOffers(std::move(views));
  };
  handlers.rescinded = [this](const std::string& offer_id) { scheduler_->onRescind(offer_id); };
  handlers.update = [this](const v1::TaskStatus& status) {
    StatusView view;
    view.task_id = status.task_id().value();
    view.agent_id = status.agent_id().value();
    view.state = v1::TaskState_Name(status.state());
    view.message = status.message();
    view.reason = status.has_reason() ? v1::TaskStatus::Reason_Name(status.reason()) : "";
    scheduler_->onStatus(view);
  };
  return shell_.start(std::move(handlers), framework_id);
}

bool Framework::launch(const std::string& offer_id, const std::vector<LaunchSpec>& tasks) {
  const v1::Offer* offer = shell_.offer(offer_id);
  if (offer == nullptr) {
    return shell_.launch(offer_id, {}, 0);  // logs it and answers false
  }
  std::vector<v1::TaskInfo> infos;
  infos.reserve(tasks.size());
  for (const auto& spec : tasks) {
    infos.push_back(buildTaskInfo(*offer, spec));
  }
  // No filter on what is left of the offer: a run due next is launched on it at its time.
  return shell_.launch(offer_id, std::move(infos), 0);
}

void Framework::decline(const std::string& offer_id, double refuse_seconds) {
  shell_.decline(offer_id, refuse_seconds);
}

void Framework::kill(const std::string& task_id, const std::string& agent_id) {
  shell_.kill(task_id, agent_id);
}

void Framework::wantOffers(bool wanted) { shell_.wantOffers(wanted); }

void Framework::reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) {
  shell_.reconcile(tasks);
}

}  // namespace plateau::jobs
