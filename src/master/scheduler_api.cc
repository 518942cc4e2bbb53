// POST /api/v1/scheduler: decode, validate, find the framework, dispatch.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/recordio.h"
#include "common/resources_proto.h"
#include "http/stream_accept.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

namespace {

http::Response badRequest(std::string message) {
  return http::Response::text(400, std::move(message));
}

std::chrono::nanoseconds refuseDuration(const v1::Filters& filters) {
  double seconds = filters.refuse_seconds();  // proto default 5 s
  if (!(seconds >= 0)) {
    seconds = 5;
  }
  // Frameworks pass huge values to mean "forever": cap at ~100 years, no overflow.
  seconds = std::min(seconds, 3.15e9);
  return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
}

// The offers an ACCEPT uses, checked as Mesos does: outstanding, the caller's, not repeated,
// all of one agent and one role. `error` names the first problem ("" when none); `consumed`
// holds the valid outstanding ones, which are used up either way.
struct AcceptedOffers {
  std::string error;
  std::string agent_id;
  std::string role;
  std::vector<std::string> consumed;
};

AcceptedOffers collectAcceptedOffers(const OfferBook& book, const std::string& framework_id,
                                     const scheduler::Call::Accept& accept) {
  AcceptedOffers out;
  if (accept.offer_ids_size() == 0) {
    out.error = "No offers specified";
  }
  auto fail = [&out](std::string why) {
    if (out.error.empty()) {
      out.error = std::move(why);
    }
  };
  std::set<std::string> seen;
  for (const auto& offer_id : accept.offer_ids()) {
    const OfferBook::Offer* found = book.find(offer_id.value());
    if (!seen.insert(offer_id.value()).second) {
      out.error = fmt::format("Duplicate offer {} in the same accept call", offer_id.value());
      continue;
    }
    if (found == nullptr) {
      fail(fmt::format("Offer {} is no longer valid", offer_id.value()));
      continue;
    }
    const OfferBook::Offer& offer = *found;
    if (offer.offer.framework_id().value() != framework_id) {
      fail(fmt::format("Offer {} has invalid framework", offer_id.value()));
      continue;
    }
    if (!out.agent_id.empty() && offer.offer.agent_id().value() != out.agent_id) {
      fail("Aggregated offers must belong to one single agent");
    }
    out.agent_id = offer.offer.agent_id().value();
    if (!out.consumed.empty() && offer.role != out.role) {
      fail("Aggregated offers must be allocated to the same role");
    }
    out.role = offer.role;
    out.consumed.push_back(offer_id.value());
  }
  return out;
}

}  // namespace

void Master::schedulerApi(http::Request& request, http::Responder responder) {
  auto received = clock_.now();
  metrics_.calls_received++;
  scheduler::Call call;
  auto body_type = http::decodeCall(request, &call);
  if (!body_type) {
    metrics_.calls_invalid += body_type.error().status == 400 ? 1 : 0;
    return responder.respond(std::move(body_type.error()));
  }
  responder.onAnswer([this,
                      histogram = &metrics_.scheduler_calls.at(
                          call.type(), scheduler::Call::Type_Name(call.type())),
                      received] {
    histogram->observe(std::chrono::duration<double>(clock_.now() - received).count());
  });
  if (Status s = validateCall(call); !s.isOk()) {
    metrics_.calls_invalid++;
    return responder.respond(
        badRequest(fmt::format("Failed to validate scheduler::Call: {}", s.message())));
  }
  auto principal = schedulerCallPrincipal(request, call);
  auto* counters =
      principal ? principal_metrics_.counters(*principal, call.type() == scheduler::Call::SUBSCRIBE)
                : nullptr;
  if (counters != nullptr) {
    counters->received->inc();
  }
  if (rate_limiter_ != nullptr && principal) {
    std::string type = scheduler::Call::Type_Name(call.type());
    // Looked up again when its turn comes: an idle principal's pair may be dropped meanwhile.
    return throttle(*principal, type, std::move(responder),
                    [this, request = std::move(request), call = std::move(call),
                     principal = *principal](http::Responder responder) mutable {
                      if (auto* counters = principal_metrics_.counters(principal, false)) {
                        counters->processed->inc();
                      }
                      runSchedulerCall(request, call, std::move(responder));
                    });
  }
  if (counters != nullptr) {
    counters->processed->inc();
  }
  runSchedulerCall(request, call, std::move(responder));
}

void Master::runSchedulerCall(const http::Request& request, scheduler::Call& call,
                              http::Responder responder) {
  if (call.type() == scheduler::Call::SUBSCRIBE) {
    auto accept = http::streamAcceptType(request);
    if (!accept) {
      return responder.respond(http::Response::text(406, accept.error().message()));
    }
    return subscribe(request, call, accept->message, http::framedAs(*accept, std::move(responder)));
  }

  Framework* framework = caller(request, call.framework_id().value(), responder);
  if (framework == nullptr) {
    return;
  }
  per_framework_metrics_.call(framework->id, call.type());
  if (call.type() == scheduler::Call::UPDATE_FRAMEWORK) {
    if (auto refused = refuseFrameworkRoles(call.update_framework().framework_info())) {
      return responder.respond(http::Response::text(403, *refused));
    }
  }
  if (Status status = schedulerCall(*framework, call); !status.isOk()) {
    return responder.respond(http::errorResponse(status));
  }
  // Mesos answers UPDATE_FRAMEWORK with 200, every other call with 202.
  int code = call.type() == scheduler::Call::UPDATE_FRAMEWORK ? 200 : 202;
  responder.respond(http::Response{.status = code, .headers = {}, .body = {}});
}

Framework* Master::caller(const http::Request& request, const std::string& id,
                          http::Responder& responder) {
  // As Mesos: an unknown framework is a bad request; a known one without its subscription
  // (disconnected, waiting out its failover timeout) is forbidden until it subscribes again.
  Framework* it = frameworks_.find(id);
  if (it == nullptr) {
    responder.respond(badRequest(fmt::format("Framework '{}' cannot be found", id)));
    return nullptr;
  }
  Framework& framework = *it;
  if (!framework.connected) {
    responder.respond(
        http::Response::text(403, fmt::format("Framework '{}' is not subscribed", id)));
    return nullptr;
  }
  std::string stream_id = request.header("mesos-stream-id");
  if (stream_id.empty()) {
    responder.respond(
        badRequest("All non-subscribe calls should include the 'Mesos-Stream-Id' header"));
    return nullptr;
  }
  if (stream_id != framework.stream_id) {
    responder.respond(badRequest(fmt::format(
        "The stream ID '{}' included in this request didn't match the stream ID currently "
        "associated with framework ID '{}'",
        stream_id, id)));
    return nullptr;
  }
  return &framework;
}

Status Master::schedulerCall(Framework& framework, const scheduler::Call& call) {
  switch (call.type()) {
    case scheduler::Call::TEARDOWN:
      return teardown(framework);
    case scheduler::Call::ACCEPT:
      return accept(framework, call.accept());
    case scheduler::Call::DECLINE:
      return decline(framework, call.decline());
    case scheduler::Call::REVIVE:
      return revive(framework, call.revive());
    case scheduler::Call::SUPPRESS:
      return suppress(framework, call.suppress());
    case scheduler::Call::UPDATE_FRAMEWORK:
      return updateFramework(framework, call.update_framework());
    case scheduler::Call::KILL:
      return kill(framework, call.kill());
    case scheduler::Call::SHUTDOWN:
      return shutdownExecutor(framework, call.shutdown());
    case scheduler::Call::ACKNOWLEDGE:
      return acknowledge(framework, call.acknowledge());
    case scheduler::Call::RECONCILE:
      return reconcile(framework, call.reconcile());
    case scheduler::Call::MESSAGE:
      return message(framework, call.message());
    case scheduler::Call::REQUEST:
      return {};  // Mesos's allocator ignores requests too.
    case scheduler::Call::ACKNOWLEDGE_OPERATION_STATUS:
      return acknowledgeOperation(framework, call.acknowledge_operation_status());
    case scheduler::Call::RECONCILE_OPERATIONS:
      return reconcileOperations(framework, call.reconcile_operations());
    case scheduler::Call::ACCEPT_INVERSE_OFFERS:
      return answerInverseOffers(framework, call.accept_inverse_offers().inverse_offer_ids(),
                                 /*accept=*/true,
                                 call.accept_inverse_offers().filters().refuse_seconds());
    case scheduler::Call::DECLINE_INVERSE_OFFERS:
      return answerInverseOffers(framework, call.decline_inverse_offers().inverse_offer_ids(),
                                 /*accept=*/false,
                                 call.decline_inverse_offers().filters().refuse_seconds());
    default:
      return {StatusCode::kInvalidArgument, fmt::format("Call type '{}' is not supported yet",
                                                        scheduler::Call::Type_Name(call.type()))};
  }
}

void Master::subscribe(const http::Request& request, scheduler::Call& call,
                       http::ContentType accept, http::Responder responder) {
  (void)request;
  v1::FrameworkInfo info = call.subscribe().framework_info();
  std::string stream_id = uuids_.text();
  http::Headers headers{{"content-type", http::mediaType(accept)},
                        {"mesos-stream-id", stream_id},
                        {"cache-control", "no-cache"}};

  auto fail = [&](const std::string& why) {
    // Mesos answers an invalid subscription with an ERROR event on a fresh stream.
    auto stream = responder.stream(200, headers);
    scheduler::Event event;
    event.set_type(scheduler::Event::ERROR);
    event.mutable_error()->set_message(why);
    stream->write(recordio::encode(http::encode(event, accept)));
    stream->close();
    log_->warn("framework_subscribe_refused name={} reason={}", info.name(), why);
  };

  if (Status s = validateFrameworkInfo(info); !s.isOk()) {
    return fail(s.message());
  }
  if (Status s = checkRoleWhitelist(info); !s.isOk()) {
    return fail(s.message());
  }
  if (info.user() == "root" && !flags_.root_submissions) {
    return fail("User 'root' is not allowed to run frameworks without --root_submissions set");
  }
  if (auto refused = refuseFrameworkRoles(info)) {
    return fail(*refused);
  }
  if (Status s = checkSuppressedRoles(info, call.subscribe().suppressed_roles()); !s.isOk()) {
    return fail(s.message());
  }
  if (auto constraints = compileOfferConstraints(info, call.subscribe().offer_constraints());
      !constraints) {
    return fail(constraints.error().message());
  }
  if (info.has_id() && frameworks_.removed(info.id().value())) {
    return fail("Framework has been removed");
  }

  std::string id = info.has_id() ? info.id().value() : nextFrameworkId();
  info.mutable_id()->set_value(id);
  *call.mutable_subscribe()->mutable_framework_info() = info;
  auto shared = std::make_shared<http::Responder>(std::move(responder));
  // Subscribed only once the registry has it, so a failover keeps the framework.
  persist({registry::Change::putFramework(info)}, [this, call, accept,
                                                   shared](Status status) mutable {
    if (!status.isOk()) {
      shared->respond(http::Response::text(
          503, fmt::format("Cannot store the framework in the registry: {}", status.message())));
      return;
    }
    completeSubscribe(std::move(call), accept, shared);
  });
}

void Master::completeSubscribe(scheduler::Call call, http::ContentType accept,
                               std::shared_ptr<http::Responder> responder) {
  const v1::FrameworkInfo& info = call.subscribe().framework_info();
  const std::string id = info.id().value();
  auto [fw, inserted] = frameworks_.add(id);
  fw.info = info;
  principal_metrics_.frameworkAdded(id, info.principal());
  per_framework_metrics_.added(id, info.name());
  per_framework_metrics_.call(id, scheduler::Call::SUBSCRIBE);
  fw.suppressed_roles = {call.subscribe().suppressed_roles().begin(),
                         call.subscribe().suppressed_roles().end()};
  fw.offer_constraints = call.subscribe().offer_constraints();
  // Validated before the registry write.
  fw.constraint_groups = compileOfferConstraints(info, fw.offer_constraints)
                             .value_or(std::map<std::string, allocator::ConstraintGroups>{});
  setRoles(fw);
  if (inserted) {
    fw.registered_time = now();
    checked(allocator_.addFramework(id, frameworkSpec(fw), true));
    log_->info("framework_added framework_id={} name={} roles=[{}]", id, info.name(),
               fmt::join(fw.roles, ","));
  } else {
    failOverFramework(fw);
  }
  fw.partition_aware = false;
  for (const auto& cap : info.capabilities()) {
    if (cap.type() == v1::FrameworkInfo::Capability::PARTITION_AWARE) {
      fw.partition_aware = true;
    }
  }
  connectFramework(fw, accept, *responder);
  inserted ? feed_.frameworkAdded(fw) : feed_.frameworkUpdated(fw);
  greetFramework(fw);
  scheduleAllocation();
}

void Master::failOverFramework(Framework& fw) {
  // The old connection (if any) is replaced, its offers withdrawn.
  if (fw.stream && !fw.stream->closed()) {
    scheduler::Event event;
    event.set_type(scheduler::Event::ERROR);
    event.mutable_error()->set_message("Framework failed over");
    send(fw, event);  // connectFramework() then closes that connection
  }
  const auto& outstanding = offers_.ofFramework(fw.id);
  std::vector<std::string> offers(outstanding.begin(), outstanding.end());
  for (const auto& offer_id : offers) {
    removeOffer(offer_id, std::nullopt, false);
  }
  fw.reregistered_time = now();
  // A re-subscription may change the roles, capabilities and suppressed roles.
  checked(allocator_.updateFramework(fw.id, frameworkSpec(fw)));
  checked(allocator_.pauseOffers(fw.id, false));  // a fresh link has nothing unread
  checked(allocator_.activateFramework(fw.id));
  log_->info("framework_resubscribed framework_id={} name={}", fw.id, fw.info.name());
}

void Master::connectFramework(Framework& fw, http::ContentType accept, http::Responder& responder) {
  std::string stream_id = uuids_.text();
  http::Headers headers{{"content-type", http::mediaType(accept)},
                        {"mesos-stream-id", stream_id},
                        {"cache-control", "no-cache"}};
  fw.recovered = false;
  frameworks_.attach(fw, responder.stream(200, headers), stream_id, accept);
}

void Master::greetFramework(Framework& fw) {
  scheduler::Event event;
  event.set_type(scheduler::Event::SUBSCRIBED);
  auto* subscribed = event.mutable_subscribed();
  subscribed->mutable_framework_id()->set_value(fw.id);
  subscribed->set_heartbeat_interval_seconds(
      std::chrono::duration<double>(flags_.framework_heartbeat).count());
  *subscribed->mutable_master_info() = info_;
  send(fw, event);  // then a heartbeat every interval (FrameworkBook)
  resendOperationUpdates(fw);
}

Status Master::teardown(Framework& framework) {
  removeFramework(framework.id, "Framework requested teardown");
  return {};
}

Status Master::accept(Framework& framework, const scheduler::Call::Accept& accept) {
  metrics_.offers_accepted++;
  AcceptedOffers offers = collectAcceptedOffers(offers_, framework.id, accept);
  Agent* agent_it = agents_.find(offers.agent_id);
  if (offers.error.empty() && (agent_it == nullptr || !agent_it->connected)) {
    offers.error = fmt::format("Agent {} is not connected", offers.agent_id);
  }
  if (!offers.error.empty()) {
    refuseAccept(framework, accept, offers.consumed, offers.error);
    return {};
  }
  // The offers are used up: their resources stay allocated to the framework while tasks use
  // them; what the operations leave over goes back to the allocator below.
  Resources available;
  for (const auto& offer_id : offers.consumed) {
    available += offers_.take(offer_id)->resources;  // each validated above as outstanding
  }
  Agent& agent = *agent_it;
  per_framework_metrics_.offers(framework.id, PerFrameworkMetrics::Offers::kAccepted,
                                offers.consumed.size());
  for (const auto& op : accept.operations()) {
    per_framework_metrics_.operation(framework.id, op.type());
    applyAcceptedOperation(framework, agent, offers.role, op, available);
  }
  if (!available.empty()) {
    checked(allocator_.recoverResources(framework.id, offers.role, agent.id, available,
                                        refuseDuration(accept.filters()), clock_.now()));
  }
  // What the operations left over waits for the next allocation round (as in Mesos): an
  // immediate round would bounce unusable leftovers back and forth at full speed.
  return {};
}

void Master::refuseAccept(Framework& framework, const scheduler::Call::Accept& accept,
                          const std::vector<std::string>& consumed, const std::string& error) {
  for (const auto& offer_id : consumed) {
    removeOffer(offer_id, std::nullopt, false);
  }
  for (const auto& op : accept.operations()) {
    const auto* tasks = op.type() == v1::Offer::Operation::LAUNCH ? &op.launch().task_infos()
                        : op.type() == v1::Offer::Operation::LAUNCH_GROUP
                            ? &op.launch_group().task_group().tasks()
                            : nullptr;
    if (tasks == nullptr) {
      continue;
    }
    for (const auto& task : *tasks) {
      auto state = framework.partition_aware ? v1::TASK_DROPPED : v1::TASK_LOST;
      (framework.partition_aware ? metrics_.tasks_dropped : metrics_.tasks_lost)++;
      per_framework_metrics_.taskEnded(framework.id, state);
      sendTaskUpdate(framework,
                     masterStatus(framework, task.task_id().value(), task.agent_id().value(), state,
                                  v1::TaskStatus::REASON_INVALID_OFFERS,
                                  fmt::format("Task launched with invalid offers: {}", error)));
    }
  }
  log_->warn("accept_refused framework_id={} reason={}", framework.id, error);
}

void Master::applyAcceptedOperation(Framework& framework, Agent& agent, const std::string& role,
                                    const v1::Offer::Operation& op, Resources& available) {
  switch (op.type()) {
    case v1::Offer::Operation::LAUNCH:
      return launch(framework, agent, role, op, available);
    case v1::Offer::Operation::LAUNCH_GROUP:
      return launchGroup(framework, agent, role, op, available);
    case v1::Offer::Operation::RESERVE:
    case v1::Offer::Operation::UNRESERVE:
    case v1::Offer::Operation::CREATE:
    case v1::Offer::Operation::DESTROY:
    case v1::Offer::Operation::GROW_VOLUME:
    case v1::Offer::Operation::SHRINK_VOLUME:
      break;
    case v1::Offer::Operation::CREATE_DISK:
    case v1::Offer::Operation::DESTROY_DISK:
      // Mesos's answer where the disk is no resource provider's: there are none here.
      return refuseOperation(framework, op, "'source' is not managed by a resource provider");
    default:
      return refuseOperation(framework, op,
                             fmt::format("Offer operation '{}' is not supported yet",
                                         v1::Offer::Operation::Type_Name(op.type())));
  }
  if (auto refused = refuseOfferOperation(framework, op)) {
    return refuseOperation(framework, op, *refused);
  }
  if (Status s = applyOfferOperation(framework, agent, role, op, available); !s.isOk()) {
    return refuseOperation(framework, op, s.message());
  }
}

void Master::refuseOperation(Framework& framework, const v1::Offer::Operation& operation,
                             const std::string& why) {
  log_->warn("operation_refused framework_id={} type={} reason={}", framework.id,
             v1::Offer::Operation::Type_Name(operation.type()), why);
  if (!operation.has_id()) {
    return;  // Without an id Mesos reports nothing either: the resources simply come back.
  }
  scheduler::Event event;
  event.set_type(scheduler::Event::UPDATE_OPERATION_STATUS);
  auto* status = event.mutable_update_operation_status()->mutable_status();
  *status->mutable_operation_id() = operation.id();
  status->set_state(v1::OPERATION_ERROR);
  status->set_message(why);
  send(framework, event);
}

Status Master::decline(Framework& framework, const scheduler::Call::Decline& decline) {
  auto refuse = refuseDuration(decline.filters());
  uint64_t declined = 0;
  for (const auto& offer_id : decline.offer_ids()) {
    const OfferBook::Offer* offer = offers_.find(offer_id.value());
    if (offer == nullptr || offer->offer.framework_id().value() != framework.id) {
      log_->debug("decline_ignored framework_id={} offer_id={}", framework.id, offer_id.value());
      continue;
    }
    declined++;
    removeOffer(offer_id.value(), refuse, false);
  }
  // Counted once per call: a DECLINE may name thousands of offers.
  metrics_.offers_declined += declined;
  per_framework_metrics_.offers(framework.id, PerFrameworkMetrics::Offers::kDeclined, declined);
  return {};
}

Status Master::kill(Framework& framework, const scheduler::Call::Kill& kill) {
  Task* known = tasks_.find(framework.id, kill.task_id().value());
  if (known == nullptr) {
    // Unknown: answer with what reconciliation would say, as Mesos does.
    scheduler::Call::Reconcile reconcile;
    auto* task = reconcile.add_tasks();
    *task->mutable_task_id() = kill.task_id();
    if (kill.has_agent_id()) {
      *task->mutable_agent_id() = kill.agent_id();
    }
    return this->reconcile(framework, reconcile);
  }
  Task& task = *known;
  if (isTerminal(task.info.state())) {
    return {};
  }
  Agent* agent = agents_.find(task.info.agent_id().value());
  if (agent == nullptr) {
    return {};
  }
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::KILL_TASK);
  auto* k = event.mutable_kill_task();
  k->mutable_framework_id()->set_value(framework.id);
  *k->mutable_task_id() = kill.task_id();
  if (kill.has_kill_policy()) {
    *k->mutable_kill_policy() = kill.kill_policy();
  } else if (v1::Task details = task.details(); details.has_kill_policy()) {
    *k->mutable_kill_policy() = details.kill_policy();
  }
  sendToAgent(*agent, event);
  log_->info("task_kill_requested framework_id={} task_id={}", framework.id,
             kill.task_id().value());
  return {};
}

Status Master::shutdownExecutor(Framework& framework, const scheduler::Call::Shutdown& shutdown) {
  Agent* agent = agents_.find(shutdown.agent_id().value());
  if (agent == nullptr) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Agent '{}' is not known", shutdown.agent_id().value())};
  }
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::SHUTDOWN_EXECUTOR);
  event.mutable_shutdown_executor()->mutable_framework_id()->set_value(framework.id);
  *event.mutable_shutdown_executor()->mutable_executor_id() = shutdown.executor_id();
  sendToAgent(*agent, event);
  return {};
}

Status Master::acknowledge(Framework& framework, const scheduler::Call::Acknowledge& ack) {
  Agent* agent = agents_.find(ack.agent_id().value());
  const Task* task = tasks_.find(framework.id, ack.task_id().value());
  if (task != nullptr && task->info.status_update_uuid() == ack.uuid() &&
      isTerminal(task->info.status_update_state())) {
    completeTask(framework, ack.task_id().value());
  }
  if (agent == nullptr || !agent->connected) {
    log_->warn("ack_dropped framework_id={} task_id={} reason=agent_not_connected", framework.id,
               ack.task_id().value());
    return {};
  }
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::ACKNOWLEDGE);
  auto* a = event.mutable_acknowledge();
  a->mutable_framework_id()->set_value(framework.id);
  *a->mutable_task_id() = ack.task_id();
  a->set_uuid(ack.uuid());
  if (!agent->batches) {
    sendToAgent(*agent, event);
    return {};
  }
  // The acknowledgements of this turn of the loop go to the agent together, after the calls
  // already queued on the loop (often more acknowledgements for the same agent).
  if (acks_.add(agent->id, std::move(*a))) {
    timers_.post([this, agent_id = agent->id] { flushAcks(agent_id); });
  }
  return {};
}

Status Master::reconcile(Framework& framework, const scheduler::Call::Reconcile& reconcile) {
  auto latest = [&](const Task& task) {
    // As Mesos: the state of the latest update sent to the framework (an agent that registers
    // again reports it), not the agent's latest state, whose update may still be to come.
    const v1::TaskState state =
        task.info.has_status_update_state() ? task.info.status_update_state() : task.info.state();
    v1::TaskStatus status =
        masterStatus(framework, task.info.task_id().value(), task.info.agent_id().value(), state,
                     v1::TaskStatus::REASON_RECONCILIATION, "Reconciliation: Latest task state");
    if (task.info.has_executor_id()) {
      *status.mutable_executor_id() = task.info.executor_id();
    }
    if (task.info.statuses_size() > 0) {
      // As Mesos: what the latest update said of the task's container, health and check (a
      // framework that failed over learns its tasks' addresses again from here); not its labels,
      // which Mesos's answer leaves out.
      const v1::TaskStatus& last = task.info.statuses(task.info.statuses_size() - 1);
      if (last.has_container_status()) *status.mutable_container_status() = last.container_status();
      if (last.has_healthy()) status.set_healthy(last.healthy());
      if (last.has_check_status()) *status.mutable_check_status() = last.check_status();
    }
    return status;
  };
  if (reconcile.tasks_size() == 0) {
    for (const auto& [id, task] : tasks_.of(framework.id)) {
      sendTaskUpdate(framework, latest(task));
    }
    return {};
  }
  for (const auto& entry : reconcile.tasks()) {
    if (const Task* task = tasks_.find(framework.id, entry.task_id().value())) {
      sendTaskUpdate(framework, latest(*task));
      continue;
    }
    // As in Mesos: what the master knows of the agent decides the answer (TASK_LOST for a
    // framework that is not partition-aware).
    const std::string agent_id = entry.has_agent_id() ? entry.agent_id().value() : "";
    if (!agent_id.empty() && agents_.expected().contains(agent_id)) {
      // As in Mesos: an agent admitted before a failover that has not re-registered yet may
      // still run the task; no answer now (the framework asks again), rather than a wrong one.
      continue;
    }
    v1::TaskState state = v1::TASK_UNKNOWN;
    std::string why = "Reconciliation: Task is unknown";
    if (!agent_id.empty() && agents_.contains(agent_id)) {
      state = v1::TASK_GONE;
      why = "Reconciliation: Task is unknown to the agent";
    } else if (!agent_id.empty() && registry_state_.unreachable.contains(agent_id)) {
      state = v1::TASK_UNREACHABLE;
      why = "Reconciliation: Task is on an unreachable agent";
    } else if (!agent_id.empty() && registry_state_.gone.contains(agent_id)) {
      state = v1::TASK_GONE_BY_OPERATOR;
      why = "Reconciliation: Task is on an agent marked gone";
    }
    if (!framework.partition_aware) {
      state = v1::TASK_LOST;
    }
    v1::TaskStatus status = masterStatus(framework, entry.task_id().value(), agent_id, state,
                                         v1::TaskStatus::REASON_RECONCILIATION, why);
    if (state == v1::TASK_UNREACHABLE) {
      // As in Mesos: when the agent was marked unreachable.
      status.mutable_unreachable_time()->set_nanoseconds(
          static_cast<int64_t>(registry_state_.unreachable.at(agent_id) * 1e9));
    }
    sendTaskUpdate(framework, status);
  }
  return {};
}

Status Master::message(Framework& framework, const scheduler::Call::Message& message) {
  Agent* agent = agents_.find(message.agent_id().value());
  if (agent == nullptr || !agent->connected) {
    log_->warn("framework_message_dropped framework_id={} agent_id={} reason=agent_not_connected",
               framework.id, message.agent_id().value());
    return {};
  }
  metrics_.valid_framework_to_executor_messages++;
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::FRAMEWORK_MESSAGE);
  auto* m = event.mutable_framework_message();
  m->mutable_framework_id()->set_value(framework.id);
  *m->mutable_executor_id() = message.executor_id();
  m->set_data(message.data());
  sendToAgent(*agent, event);
  return {};
}

}  // namespace plateau::master
