#include "service/scheduler_shell.h"

namespace plateau::service {

namespace v1 = mesos::v1;
using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;

SchedulerShell::SchedulerShell(EventLoop& loop, FrameworkOptions options,
                               std::shared_ptr<spdlog::logger> log)
    : loop_(loop), options_(std::move(options)), log_(std::move(log)) {}

SchedulerShell::~SchedulerShell() { stop(); }

void SchedulerShell::stop() {
  *alive_ = false;
  if (client_) {
    client_->stop(false);
    client_.reset();
  }
}

Status SchedulerShell::start(Handlers handlers, const std::string& framework_id) {
  handlers_ = std::move(handlers);
  client::SchedulerOptions so;
  so.master = options_.master;
  so.principal = options_.principal;
  so.secret = options_.secret;
  auto& info = so.framework;
  info.set_user(options_.user);
  info.set_name(options_.name);
  info.set_role(options_.role);
  info.set_checkpoint(options_.checkpoint);
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
  // A fresh flag per start: events of an earlier, stopped client never arrive.
  alive_ = std::make_shared<bool>(true);
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
      handlers_.disconnected();
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

void SchedulerShell::send(Call call) {
  if (client_) {
    client_->send(std::move(call));
  }
}

void SchedulerShell::onEvent(const Event& event) {
  switch (event.type()) {
    case Event::SUBSCRIBED:
      log_->info("framework_subscribed framework_id={}", event.subscribed().framework_id().value());
      offers_.clear();
      handlers_.subscribed(event.subscribed().framework_id().value());
      break;
    case Event::OFFERS: {
      std::vector<v1::Offer> offers(event.offers().offers().begin(), event.offers().offers().end());
      for (const auto& offer : offers) {
        offers_[offer.id().value()] = offer;
      }
      handlers_.offers(offers);
      break;
    }
    case Event::RESCIND:
      offers_.erase(event.rescind().offer_id().value());
      if (handlers_.rescinded) {
        handlers_.rescinded(event.rescind().offer_id().value());
      }
      break;
    case Event::UPDATE: {
      const auto& status = event.update().status();
      handlers_.update(status);
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
    default:  // HEARTBEAT, FAILURE, MESSAGE, UPDATE_OPERATION_STATUS, INVERSE_OFFERS
      break;
  }
}

const v1::Offer* SchedulerShell::offer(const std::string& offer_id) const {
  auto it = offers_.find(offer_id);
  return it == offers_.end() ? nullptr : &it->second;
}

bool SchedulerShell::launch(const std::string& offer_id, std::vector<v1::TaskInfo> tasks,
                            double refuse_seconds) {
  if (offers_.erase(offer_id) == 0) {
    log_->warn("offer_gone offer_id={}", offer_id);
    return false;
  }
  Call call;
  call.set_type(Call::ACCEPT);
  auto* accept = call.mutable_accept();
  accept->add_offer_ids()->set_value(offer_id);
  auto* op = accept->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  for (auto& task : tasks) {
    *op->mutable_launch()->add_task_infos() = std::move(task);
  }
  accept->mutable_filters()->set_refuse_seconds(refuse_seconds);
  send(std::move(call));
  return true;
}

void SchedulerShell::decline(const std::string& offer_id, double refuse_seconds) {
  offers_.erase(offer_id);
  Call call;
  call.set_type(Call::DECLINE);
  call.mutable_decline()->add_offer_ids()->set_value(offer_id);
  call.mutable_decline()->mutable_filters()->set_refuse_seconds(refuse_seconds);
  send(std::move(call));
}

void SchedulerShell::kill(const std::string& task_id, const std::string& agent_id,
                          std::optional<std::chrono::nanoseconds> grace_period) {
  Call call;
  call.set_type(Call::KILL);
  call.mutable_kill()->mutable_task_id()->set_value(task_id);
  if (!agent_id.empty()) {
    call.mutable_kill()->mutable_agent_id()->set_value(agent_id);
  }
  if (grace_period) {
    call.mutable_kill()->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(
        grace_period->count());
  }
  send(std::move(call));
}

void SchedulerShell::wantOffers(bool wanted) {
  Call call;
  call.set_type(wanted ? Call::REVIVE : Call::SUPPRESS);
  send(std::move(call));
}

void SchedulerShell::reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) {
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

}  // namespace plateau::service
