#include "apps/framework.h"

#include "apps/task_info.h"

namespace plateau::apps {

namespace v1 = mesos::v1;
using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;

Framework::Framework(EventLoop& loop, FrameworkOptions options, std::shared_ptr<spdlog::logger> log)
    : loop_(loop), options_(std::move(options)), log_(std::move(log)) {}

Framework::~Framework() { stop(); }

void Framework::stop() {
  *alive_ = false;
  if (client_) {
    client_->stop(false);
    client_.reset();
  }
}

Status Framework::start(Orchestrator& orchestrator, const std::string& framework_id) {
  orchestrator_ = &orchestrator;
  client::SchedulerOptions so;
  so.master = options_.master;
  so.principal = options_.principal;
  so.secret = options_.secret;
  auto& info = so.framework;
  info.set_user(options_.user);
  info.set_name(options_.name);
  info.set_role(options_.role);
  info.set_checkpoint(true);
  info.set_failover_timeout(options_.failover_timeout_seconds);
  if (!options_.principal.empty()) {
    info.set_principal(options_.principal);
  }
  if (!options_.hostname.empty()) {
    info.set_hostname(options_.hostname);
  }
  if (!options_.webui_url.empty()) {
    info.set_webui_url(options_.webui_url);
  }
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::TASK_KILLING_STATE);
  if (!framework_id.empty()) {
    info.mutable_id()->set_value(framework_id);
  }
  auto alive = alive_;
  client::SchedulerCallbacks callbacks;
  callbacks.connected = [] {};
  callbacks.disconnected = [this, alive](const std::string& why) {
    loop_.post([this, alive, why] {
      if (!*alive) {
        return;
      }
      log_->warn("master_disconnected reason={}", why);
      offers_.clear();
      orchestrator_->onDisconnected();
    });
  };
  callbacks.received = [this, alive](const Event& event) {
    loop_.post([this, alive, event] {
      if (*alive) {
        onEvent(event);
      }
    });
  };
  auto client = client::SchedulerClient::create(std::move(so), std::move(callbacks));
  if (!client) {
    return {StatusCode::kInvalidArgument, client.error()};
  }
  client_ = std::move(*client);
  return {};
}

void Framework::send(Call call) {
  if (client_) {
    client_->send(std::move(call));
  }
}

void Framework::onEvent(const Event& event) {
  switch (event.type()) {
    case Event::SUBSCRIBED:
      log_->info("framework_subscribed framework_id={}", event.subscribed().framework_id().value());
      offers_.clear();
      orchestrator_->onSubscribed(event.subscribed().framework_id().value());
      break;
    case Event::OFFERS: {
      std::vector<OfferView> views;
      for (const auto& offer : event.offers().offers()) {
        offers_[offer.id().value()] = offer;
        views.push_back(offerView(offer));
      }
      orchestrator_->onOffers(std::move(views));
      break;
    }
    case Event::RESCIND:
      offers_.erase(event.rescind().offer_id().value());
      break;
    case Event::UPDATE: {
      const auto& status = event.update().status();
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
      if (status.has_uuid()) {
        Call ack;
        ack.set_type(Call::ACKNOWLEDGE);
        *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
        *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
        ack.mutable_acknowledge()->set_uuid(status.uuid());
        send(std::move(ack));
      }
      break;
    }
    case Event::ERROR:
      log_->error("framework_error message={}", event.error().message());
      break;
    case Event::FAILURE:
    case Event::HEARTBEAT:
    case Event::MESSAGE:
    default:
      break;
  }
}

void Framework::launch(const OfferView& offer, const std::vector<LaunchSpec>& tasks) {
  auto it = offers_.find(offer.id);
  if (it == offers_.end()) {
    log_->warn("offer_gone offer_id={}", offer.id);
    return;  // the tasks stay STAGING until the launch timeout or reconciliation ends them
  }
  Call call;
  call.set_type(Call::ACCEPT);
  auto* accept = call.mutable_accept();
  accept->add_offer_ids()->set_value(offer.id);
  auto* op = accept->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  for (const auto& spec : tasks) {
    *op->mutable_launch()->add_task_infos() = buildTaskInfo(it->second, spec);
  }
  accept->mutable_filters()->set_refuse_seconds(1);
  offers_.erase(it);
  send(std::move(call));
}

void Framework::decline(const std::string& offer_id, double refuse_seconds) {
  offers_.erase(offer_id);
  Call call;
  call.set_type(Call::DECLINE);
  call.mutable_decline()->add_offer_ids()->set_value(offer_id);
  call.mutable_decline()->mutable_filters()->set_refuse_seconds(refuse_seconds);
  send(std::move(call));
}

void Framework::kill(const std::string& task_id, const std::string& agent_id,
                     std::optional<int> grace_seconds) {
  Call call;
  call.set_type(Call::KILL);
  call.mutable_kill()->mutable_task_id()->set_value(task_id);
  if (!agent_id.empty()) {
    call.mutable_kill()->mutable_agent_id()->set_value(agent_id);
  }
  if (grace_seconds) {
    call.mutable_kill()->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(
        static_cast<int64_t>(*grace_seconds) * 1000000000);
  }
  send(std::move(call));
}

void Framework::wantOffers(bool wanted) {
  Call call;
  call.set_type(wanted ? Call::REVIVE : Call::SUPPRESS);
  send(std::move(call));
}

void Framework::reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) {
  Call call;
  call.set_type(Call::RECONCILE);
  call.mutable_reconcile();  // present even when empty: that asks for every task
  for (const auto& [task_id, agent_id] : tasks) {
    auto* t = call.mutable_reconcile()->add_tasks();
    t->mutable_task_id()->set_value(task_id);
    if (!agent_id.empty()) {
      t->mutable_agent_id()->set_value(agent_id);
    }
  }
  send(std::move(call));
}

}  // namespace plateau::apps
