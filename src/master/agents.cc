// The agent link: registration stream, status updates, executor exits, liveness.

#include <fmt/format.h>

#include "common/recordio.h"
#include "common/resource_growth.h"
#include "common/resources_proto.h"
#include "http/record.h"
#include "master/maintenance_book.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

namespace {

// The backlog (a fraction of the slow-reader bound) past which a framework's stream gets no
// agent updates, which the agents send again: half-way, so the stream is never cut for them.
constexpr double kDeferUpdatesBacklog = 0.5;

// What a task's update says while its agent drains, as Mesos's draining agent reports it: a
// kill is the drain's (REASON_AGENT_DRAINING), and with `mark_gone` a killed task is
// TASK_GONE_BY_OPERATOR. `latest` is the agent's latest state for the task.
void asDrained(const v1::DrainConfig& config, v1::TaskStatus& status, v1::TaskState& latest) {
  if (status.state() != v1::TASK_KILLING && status.state() != v1::TASK_KILLED) {
    return;
  }
  status.set_reason(v1::TaskStatus::REASON_AGENT_DRAINING);
  if (config.mark_gone()) {
    if (status.state() == v1::TASK_KILLED) {
      status.set_state(v1::TASK_GONE_BY_OPERATOR);
    }
    if (latest == v1::TASK_KILLED) {
      latest = v1::TASK_GONE_BY_OPERATOR;
    }
  }
}

}  // namespace

void Master::agentApi(http::Request& request, http::Responder responder) {
  if (request.method != "POST") {
    http::Response r = http::Response::text(405, "Expecting 'POST'");
    r.headers["allow"] = "POST";
    return responder.respond(std::move(r));
  }
  internal::AgentCall call;
  if (!call.ParseFromString(request.body)) {
    return responder.respond(http::Response::text(400, "Failed to parse body into AgentCall"));
  }
  if (auto limited = limitAgentCall(request, call)) {
    return responder.respond(std::move(*limited));
  }
  if (call.type() == internal::AgentCall::REGISTER) {
    return agentRegisterCall(request, call, std::move(responder));
  }
  if (call.type() == internal::AgentCall::HEARTBEAT && call.heartbeats_size() > 0) {
    agentHeartbeats(call);
    return responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
  }
  Agent* known = agents_.find(call.agent_id().value());
  if (known == nullptr) {
    return responder.respond(http::Response::text(
        404, fmt::format("Agent '{}' is not registered", call.agent_id().value())));
  }
  Agent& agent = *known;
  if (agent.session.empty() || call.session() != agent.session) {
    // Only the peer the agent registered through speaks for it: a call from anyone else (who
    // may know the agent's id) changes nothing.
    log_->warn(
        "agent_call_refused agent_id={} type={} source={} reason=\"not the agent's session\"",
        agent.id, internal::AgentCall::Type_Name(call.type()), request.remote);
    return responder.respond(http::Response::text(
        403, fmt::format("Call for agent '{}' does not carry the agent's session", agent.id)));
  }
  if (call.has_status_update() && call.status_updates_size() > 0) {
    return responder.respond(http::Response::text(
        400, "A STATUS_UPDATE call carries 'status_update' or 'status_updates', not both"));
  }
  agents_.heard(agent);
  if (Status s = agentSessionCall(agent, call); !s.isOk()) {
    return responder.respond(http::Response::text(400, s.message()));
  }
  responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
}

Status Master::agentSessionCall(Agent& agent, internal::AgentCall& call) {
  switch (call.type()) {
    case internal::AgentCall::STATUS_UPDATE:
      if (call.status_updates_size() == 0) {
        agentStatusUpdate(agent, *call.mutable_status_update());
        return Status::ok();
      }
      metrics_.status_updates_batched += call.status_updates_size();
      for (auto& update : *call.mutable_status_updates()) {
        agentStatusUpdate(agent, update);  // in the agent's order: each task's stay in order
      }
      return Status::ok();
    case internal::AgentCall::EXECUTOR_EXITED:
      executorExited(agent, call.executor_exited());
      return Status::ok();
    case internal::AgentCall::FRAMEWORK_MESSAGE:
      agentFrameworkMessage(agent, call.framework_message());
      return Status::ok();
    case internal::AgentCall::HEARTBEAT:
      return Status::ok();
    case internal::AgentCall::UPDATE_OPERATION_STATUS:
      agentOperation(agent, call.operation());
      return Status::ok();
    case internal::AgentCall::UPDATE_OVERSUBSCRIBED:
      return updateOversubscribed(agent, call.update_oversubscribed());
    default:
      return Status(StatusCode::kInvalidArgument, "Unknown agent call");
  }
}

void Master::agentFrameworkMessage(const Agent& agent,
                                   const internal::AgentCall::FrameworkMessage& message) {
  Framework* fw = frameworks_.find(message.framework_id().value());
  if (fw == nullptr) {
    return;
  }
  metrics_.valid_executor_to_framework_messages++;
  scheduler::Event event;
  event.set_type(scheduler::Event::MESSAGE);
  event.mutable_message()->mutable_agent_id()->set_value(agent.id);
  *event.mutable_message()->mutable_executor_id() = message.executor_id();
  event.mutable_message()->set_data(message.data());
  send(*fw, event);
}

void Master::agentRegisterCall(const http::Request& request, internal::AgentCall& call,
                               http::Responder responder) {
  if (!call.has_register_()) {
    return responder.respond(http::Response::text(400, "Expecting 'register' to be present"));
  }
  if (auto refused = refusal(auth::Action::kRegisterAgent, request.principal, auth::kAnyObject)) {
    log_->warn("agent_register_forbidden principal={} source={}", request.principal,
               request.remote);
    return responder.respond(http::Response::text(403, *refused));
  }
  if (Agent* linked = agents_.find(call.register_().agent_info().id().value());
      linked != nullptr && linked->connected && call.session() != linked->session) {
    log_->warn("agent_register_refused agent_id={} source={} reason=\"agent is connected\"",
               linked->id, request.remote);
    return responder.respond(http::Response::text(
        403, fmt::format("Agent '{}' is connected: only its own session may re-register it",
                         linked->id)));
  }
  if (call.has_join_stream()) {
    if (call.share_stream()) {
      return responder.respond(http::Response::text(
          400,
          "A REGISTER either opens a shared stream ('share_stream') or joins one "
          "('join_stream'), not both"));
    }
    const AgentBook::Link* link = agents_.findShared(call.join_stream());
    if (link == nullptr) {
      return responder.respond(http::Response::text(
          404,
          "No shared agent stream with that id is open ('join_stream'): register with "
          "'share_stream' to open one"));
    }
    if (link->principal != request.principal) {
      log_->warn("agent_join_refused principal={} source={} reason=\"not the stream's principal\"",
                 request.principal, request.remote);
      return responder.respond(http::Response::text(
          403, "Only the principal that opened a shared agent stream may join agents to it"));
    }
  }
  return registerAgent(call, request.principal, std::move(responder));
}

void Master::agentHeartbeats(const internal::AgentCall& call) {
  const Clock::TimePoint now = clock_.now();
  int ignored = 0;
  for (const auto& beat : call.heartbeats()) {
    Agent* agent = agents_.find(beat.agent_id().value());
    if (agent == nullptr || agent->session.empty() || beat.session() != agent->session) {
      ignored++;
      continue;
    }
    // Each heartbeat counts under its own agent, as its own call would.
    if (agent_limiter_.admit("agent " + agent->id, now)) {
      metrics_.requests_limited++;
      continue;
    }
    agents_.heard(*agent);
  }
  if (ignored > 0) {
    log_->debug("agent_heartbeats_ignored count={} of={} reason=\"unknown agent or session\"",
                ignored, call.heartbeats_size());
  }
}

void Master::refuseRegistration(const internal::AgentCall& call, const std::string& agent_id,
                                http::Responder& responder, const std::string& message) {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::SHUTDOWN);
  event.mutable_shutdown()->set_message(message);
  if (call.share_stream() || call.has_join_stream()) {
    if (!agent_id.empty()) {
      event.mutable_agent_id()->set_value(agent_id);
    }
    event.set_stream_tag(call.stream_tag());
  }
  const std::string record = recordio::encode(event.SerializePartialAsString());
  if (call.has_join_stream()) {
    if (const AgentBook::Link* link = agents_.findShared(call.join_stream())) {
      link->stream->write(record);
    }
    return responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
  }
  auto stream = responder.stream(200, {{"content-type", http::kProtobufMediaType}});
  stream->write(record);
  stream->close();
}

void Master::registerAgent(internal::AgentCall& call, const std::string& principal,
                           http::Responder responder) {
  v1::AgentInfo info = call.register_().agent_info();
  auto total = resourcesFromProto(info.resources());
  if (!total) {
    return responder.respond(http::Response::text(
        400, fmt::format("Agent resources are invalid: {}", total.error().message())));
  }
  std::string id = info.has_id() && !info.id().value().empty() ? info.id().value() : nextAgentId();
  info.mutable_id()->set_value(id);
  if (registry_state_.gone.contains(id)) {
    // An operator marked this agent gone: it must start over under a new id.
    return refuseRegistration(call, id, responder, "Agent was marked gone");
  }
  if (maintenance_->refusesAgent(info.hostname(), call.register_().ip())) {
    // Its machine is DOWN for maintenance: refused until an operator brings it UP.
    refuseRegistration(call, info.id().value(), responder,
                       "Agent's machine is DOWN for maintenance");
    log_->warn("agent_refused hostname={} ip={} reason=machine_down", info.hostname(),
               call.register_().ip());
    return;
  }
  if (refuseAgentDomain(call, info, responder)) {
    return;
  }
  if (agents_.removing(id)) {
    // As in Mesos: not while its removal is being stored; the agent tries again later.
    return responder.respond(http::Response::text(
        503, fmt::format("Agent {} is being marked unreachable; retry later", id)));
  }
  auto shared = std::make_shared<http::Responder>(std::move(responder));
  if (registry_state_.unreachable.contains(id)) {
    agents_.returning(id);
  }
  auto known = registry_state_.agents.find(id);
  if (known != registry_state_.agents.end() &&
      known->second.SerializePartialAsString() == info.SerializePartialAsString()) {
    return admitAgent(std::move(call), std::move(info), std::move(*total), principal, shared);
  }
  std::vector<registry::Change> changes{registry::Change::putAgent(info)};
  if (registry_state_.unreachable.contains(id)) {
    changes.push_back(registry::Change::erase(registry::Change::Kind::kUnreachable, id));
  }
  // Admitted only once the registry has it: a failover must not forget an agent we accepted.
  persist(std::move(changes), [this, call = std::move(call), info, total = std::move(*total),
                               principal, shared](Status status) mutable {
    if (!status.isOk()) {
      shared->respond(http::Response::text(
          503, fmt::format("Cannot store the agent in the registry: {}", status.message())));
      return;
    }
    admitAgent(std::move(call), std::move(info), std::move(total), principal, shared);
  });
}

void Master::admitAgent(internal::AgentCall call, v1::AgentInfo info, Resources total,
                        const std::string& principal, std::shared_ptr<http::Responder> responder) {
  const std::string id = info.id().value();
  if (call.has_join_stream() && agents_.findShared(call.join_stream()) == nullptr) {
    // The shared stream ended while the registration was being stored.
    return responder->respond(http::Response::text(
        404, "The shared agent stream ('join_stream') has closed: register again"));
  }
  const bool was_expected = agents_.stopExpecting(id);
  auto [agent, inserted] = agents_.admit(id);
  if (inserted) {
    agent.registered_time = now();
    agents_.setTotal(agent, total);
    agent.info = info;
    (was_expected ? metrics_.agent_reregistrations : metrics_.agent_registrations)++;
    addReregisteredWork(agent, call.register_(), agents_.takeReturning(id));
    log_->info("agent_registered agent_id={} hostname={} resources=\"{}\" tasks={}", id,
               info.hostname(), total.toString(), tasks_.countOn(agent.id));
  } else {
    metrics_.agent_reregistrations++;
    agent.reregistered_time = now();
    log_->info("agent_reregistered agent_id={} hostname={}", id, info.hostname());
  }
  // As Mesos's master takes the AgentInfo of an agent that restarted with more (its
  // --reconfiguration_policy let it), what was added joins the books and is offered; the
  // books decide the reservations and volumes: those made while it was away are sent to it.
  if (auto grown = grownBy(agent.total(), total); !inserted && grown && *grown != agent.total()) {
    log_->info("agent_resources_grown agent_id={} from=\"{}\" to=\"{}\"", id,
               agent.total().toString(), grown->toString());
    agents_.setTotal(agent, std::move(*grown));
    checked(allocator_.updateAgentTotal(id, agent.total()));
  }
  const bool stale_total = !inserted && total != agent.total();
  if (!inserted) {
    checked(allocator_.updateAgentLabels(id, agentLabels(info)));  // constraints see new attributes
  }
  agent.info = info;
  agent.ip = call.register_().ip();
  maintenance_->agentAdded(agent.id, agent.info.hostname(), agent.ip);
  if (stale_total) {
    agent.info.clear_resources();
    resourcesToProto(agent.total(), agent.info.mutable_resources(), "", ResourceFormat::kPost);
  }
  agent.version = call.register_().version();
  agent.batches = call.register_().batches();
  linkAgent(agent, call, principal, *responder);

  if (stale_total) {
    sendToAgent(agent, checkpointEvent(agent, nullptr));
    log_->info("agent_resources_resent agent_id={} reported=\"{}\" total=\"{}\"", id,
               total.toString(), agent.total().toString());
  }
  agentOperations(agent, call.register_());
  for (const auto& held : agents_.takeHeld(id)) {
    sendToAgent(agent, held);
  }
  if (drains_.deactivated(id)) {
    applyHold(id);  // no offers; a draining agent's tasks are killed (again)
  } else {
    checked(allocator_.activateAgent(id));
  }
  feed_.agentAdded(agent);
  scheduleAllocation();
}

void Master::linkAgent(Agent& agent, const internal::AgentCall& call, const std::string& principal,
                       http::Responder& responder) {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::REGISTERED);
  if (call.has_join_stream()) {
    agents_.join(agent, call.join_stream());  // open: admitAgent() checked
    responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
  } else {
    std::string shared_id = call.share_stream() ? auth::randomSecret() : std::string();
    agents_.attach(agent, responder.stream(200, {{"content-type", http::kProtobufMediaType}}),
                   shared_id, principal);
    if (!shared_id.empty()) {
      event.mutable_registered()->set_stream_id(shared_id);
    }
  }
  if (agent.shared_stream) {
    event.set_stream_tag(call.stream_tag());
  }
  event.mutable_registered()->mutable_agent_id()->set_value(agent.id);
  *event.mutable_registered()->mutable_master_info() = info_;
  agent.session = auth::randomSecret();
  event.mutable_registered()->set_session(agent.session);
  event.mutable_registered()->set_batches(true);
  event.mutable_registered()->set_heartbeat_interval_seconds(
      std::chrono::duration<double>(flags_.agent_ping_timeout).count() / 2);
  sendToAgent(agent, event);
}

// A re-registering agent (after a master restart or failover) reports what it still runs:
// its frameworks, executors and tasks go back on the books.
void Master::addReregisteredWork(Agent& agent, const internal::AgentCall::Register& reg,
                                 bool was_unreachable) {
  for (const auto& info : reg.frameworks()) {
    if (info.has_id() && !frameworks_.contains(info.id().value())) {
      addRecoveredFramework(info);
    }
  }
  // (framework, role) -> resources; the role is what the resources' allocation_info says, or
  // the framework's (only) role.
  std::map<std::pair<std::string, std::string>, Resources> used;
  auto roleOf = [](const Framework& fw, const auto& resources) {
    auto role = allocationRoleOf(resources);
    return role && !role->empty() ? *role : fw.role;
  };
  for (const auto& executor : reg.executors()) {
    Framework* fw = frameworks_.find(executor.framework_id().value());
    auto resources = resourcesFromProto(executor.resources());
    if (fw == nullptr || !resources) {
      continue;
    }
    const std::string role = roleOf(*fw, executor.resources());
    fw->executors[agent.id][executor.executor_id().value()] = Executor{executor, *resources, role};
    agent.frameworks_with_executors.insert(fw->id);
    frameworks_.use(*fw, agent.id, *resources);
    agents_.use(agent, *resources);
    used[{fw->id, role}] += *resources;
  }
  for (const auto& task : reg.tasks()) {
    Framework* fw = frameworks_.find(task.framework_id().value());
    auto resources = resourcesFromProto(task.resources());
    if (fw == nullptr || !resources || tasks_.contains(fw->id, task.task_id().value())) {
      continue;
    }
    const bool terminal = isTerminal(task.state());
    if (was_unreachable && !fw->partition_aware) {
      if (terminal) {
        continue;
      }
      // Its framework was told TASK_LOST: as in Mesos, the task does not come back to life.
      internal::AgentEvent kill;
      kill.set_type(internal::AgentEvent::KILL_TASK);
      kill.mutable_kill_task()->mutable_framework_id()->set_value(fw->id);
      *kill.mutable_kill_task()->mutable_task_id() = task.task_id();
      agents_.hold(agent.id, std::move(kill));
      continue;
    }
    Task record;
    record.info = task;
    record.info.mutable_agent_id()->set_value(agent.id);
    record.role = roleOf(*fw, task.resources());
    // A task that ended while its terminal update still waits for an acknowledgement stays on
    // the books, as in Mesos, so that reconciliation answers its state (not TASK_LOST); its
    // resources are free already.
    record.resources_released = terminal;
    if (was_unreachable) {
      tasks_.forgetUnreachable(fw->id, task.task_id().value());
    }
    const Task& added = tasks_.add(fw->id, std::move(record));
    feed_.taskAdded(added);
    if (terminal) {
      continue;
    }
    frameworks_.use(*fw, agent.id, *resources);
    agents_.use(agent, *resources);
    used[{fw->id, added.role}] += *resources;
  }
  std::vector<allocator::Allocation> used_by_framework;
  for (const auto& [key, resources] : used) {
    used_by_framework.push_back({key.first, key.second, resources});
  }
  checked(allocator_.addAgent(agent.id, agent.total(), used_by_framework, agentLabels(agent.info)));
}

void Master::sendToAgent(Agent& agent, const internal::AgentEvent& event) {
  if (acks_.pending(agent.id)) {
    // What was acknowledged before this event reaches the agent before it.
    flushAcks(agent.id);
  }
  writeToAgent(agent, event);
}

void Master::flushAcks(const std::string& agent_id) {
  std::optional<internal::AgentEvent> acks = acks_.take(agent_id);
  Agent* agent = agents_.find(agent_id);
  if (acks && agent != nullptr) {
    writeToAgent(*agent, *acks);
  }
}

void Master::writeToAgent(Agent& agent, const internal::AgentEvent& event) {
  if (!agent.stream || agent.stream->closed()) {
    return;
  }
  if (!agent.shared_stream || event.has_agent_id()) {
    agent.stream->write(http::encodeRecord(event, http::ContentType::kProtobuf));
    return;
  }
  // Tagged with the agent it is for: a message's encodings concatenated are their merge.
  std::string bytes = event.SerializePartialAsString();
  internal::AgentEvent tag;
  tag.mutable_agent_id()->set_value(agent.id);
  bytes += tag.SerializePartialAsString();
  agent.stream->write(recordio::encode(bytes));
}

void Master::agentDisconnected(const std::string& agent_id) {
  Agent* found = agents_.find(agent_id);
  if (found == nullptr) {
    return;
  }
  Agent& agent = *found;
  agents_.detach(agent);
  checked(allocator_.deactivateAgent(agent_id));
  const auto& outstanding = offers_.onAgent(agent.id);
  std::vector<std::string> offers(outstanding.begin(), outstanding.end());
  for (const auto& offer_id : offers) {
    removeOffer(offer_id, std::nullopt, true);
  }
  log_->warn("agent_disconnected agent_id={}", agent_id);
  // As in Mesos: the executors of a framework that does not checkpoint end with the agent's
  // connection (they exit when the agent goes away), so their tasks are lost now.
  auto tasks = tasks_.on(agent.id);  // a copy: completing tasks changes it
  std::set<std::string> lost_frameworks;
  for (const auto& [framework_id, task_id] : tasks) {
    Framework* fw = frameworks_.find(framework_id);
    if (fw == nullptr || fw->info.checkpoint()) {
      continue;
    }
    Task* task = tasks_.find(framework_id, task_id);
    if (task == nullptr) {
      continue;
    }
    lost_frameworks.insert(framework_id);
    if (!isTerminal(task->info.state())) {
      v1::TaskStatus status = masterStatus(
          *fw, task_id, agent_id, v1::TASK_LOST, v1::TaskStatus::REASON_AGENT_DISCONNECTED,
          fmt::format("Agent {} disconnected", agent.info.hostname()));
      if (task->info.has_executor_id()) {
        *status.mutable_executor_id() = task->info.executor_id();
      }
      updateTaskState(*fw, *task, status, v1::TASK_LOST);
      sendTaskUpdate(*fw, status);
    }
    releaseTaskResources(*fw, *task, true);
    completeTask(*fw, task_id);
  }
  for (const auto& framework_id : lost_frameworks) {
    auto& fw = frameworks_.all().at(framework_id);
    auto executors = fw.executors.find(agent_id);
    if (executors == fw.executors.end()) {
      continue;
    }
    for (auto& [executor_id, executor] : executors->second) {
      frameworks_.release(fw, agent_id, executor.resources);
      agents_.release(agent, executor.resources);
      if (!executor.resources.empty()) {
        checked(allocator_.recoverResources(fw.id, executor.role.empty() ? fw.role : executor.role,
                                            agent_id, executor.resources, std::nullopt,
                                            clock_.now()));
      }
    }
    fw.executors.erase(executors);
    agent.frameworks_with_executors.erase(framework_id);
  }
}

void Master::agentStatusUpdate(Agent& agent, internal::AgentCall::StatusUpdate& update) {
  Framework* fw = frameworks_.find(update.framework_id().value());
  if (fw == nullptr) {
    metrics_.invalid_status_updates++;
    log_->warn("status_update_dropped agent_id={} framework_id={} reason=unknown_framework",
               agent.id, update.framework_id().value());
    return;
  }
  // Built in place in the scheduler's event: the status is moved, not copied twice.
  scheduler::Event event;
  event.set_type(scheduler::Event::UPDATE);
  v1::TaskStatus& status = *event.mutable_update()->mutable_status();
  status = std::move(*update.mutable_status());
  status.mutable_agent_id()->set_value(agent.id);
  v1::TaskState latest = update.has_latest_state() ? update.latest_state() : status.state();
  if (drains_.draining(agent.id)) {
    asDrained(drains_.find(agent.id)->drain->config(), status, latest);
  }
  Task* task = tasks_.find(fw->id, status.task_id().value());
  if (task != nullptr) {
    updateTaskState(*fw, *task, status, latest);
  }
  metrics_.valid_status_updates++;
  // An update with a uuid comes again from its agent until it is acknowledged, so a framework
  // whose stream is half-way to the slow-reader bound gets it then, rather than its stream being
  // cut (as Mesos drops an update for a framework that is not connected). The task's state and
  // the state last sent to the framework are kept as if it had gone out.
  if (status.has_uuid() && fw->stream && fw->stream->backlog() > kDeferUpdatesBacklog) {
    metrics_.status_updates_deferred++;
    log_->debug(
        "status_update_deferred framework_id={} task_id={} reason=\"its event stream lags\"",
        fw->id, status.task_id().value());
    return;
  }
  send(*fw, event);
}

void Master::executorExited(Agent& agent, const internal::AgentCall::ExecutorExited& exited) {
  Framework* fw = frameworks_.find(exited.framework_id().value());
  if (fw == nullptr) {
    return;
  }
  auto& executors = fw->executors[agent.id];
  auto it = executors.find(exited.executor_id().value());
  if (it != executors.end()) {
    frameworks_.release(*fw, agent.id, it->second.resources);
    agents_.release(agent, it->second.resources);
    if (!it->second.resources.empty()) {
      checked(
          allocator_.recoverResources(fw->id, it->second.role.empty() ? fw->role : it->second.role,
                                      agent.id, it->second.resources, std::nullopt, clock_.now()));
    }
    executors.erase(it);
    scheduleAllocation();
  }
  scheduler::Event event;
  event.set_type(scheduler::Event::FAILURE);
  event.mutable_failure()->mutable_agent_id()->set_value(agent.id);
  *event.mutable_failure()->mutable_executor_id() = exited.executor_id();
  if (exited.has_status()) {
    event.mutable_failure()->set_status(exited.status());
  }
  send(*fw, event);
}

void Master::removeAgent(std::string agent_id, const std::string& why) {
  // As in Mesos: the registry marks the agent unreachable first, and its tasks are reported
  // unreachable (or lost) only once that is stored, so that a failover in between cannot
  // contradict what the frameworks were told.
  if (!agents_.beginRemoval(agent_id)) {
    return;  // not admitted, or its removal is being stored already
  }
  markUnreachable(agent_id, why, [this, agent_id, why](Status status) {
    agents_.endRemoval(agent_id);
    if (status.isOk()) {
      removeAgentAs(agent_id, why, /*gone=*/false);
    }
    // Otherwise it stays admitted and silent: the next missed ping tries again.
  });
}

void Master::dismissAgent(const std::string& agent_id, const std::string& message,
                          const std::string& why) {
  Agent* agent = agents_.find(agent_id);
  if (agent == nullptr) {
    return;
  }
  if (agent->stream) {
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::SHUTDOWN);
    event.mutable_shutdown()->set_message(message);
    sendToAgent(*agent, event);
  }
  removeAgentAs(agent_id, why, /*gone=*/true);
}

void Master::removeAgentAs(std::string agent_id, const std::string& why, bool gone) {
  Agent* found = agents_.find(agent_id);
  if (found == nullptr) {
    return;
  }
  Agent& agent = *found;
  log_->warn("agent_removed agent_id={} reason={}", agent_id, why);
  const auto& outstanding = offers_.onAgent(agent.id);
  std::vector<std::string> offers(outstanding.begin(), outstanding.end());
  for (const auto& offer_id : offers) {
    removeOffer(offer_id, std::nullopt, true);
  }
  auto tasks = tasks_.on(agent.id);  // a copy: completing tasks changes it
  for (const auto& [framework_id, task_id] : tasks) {
    Framework* fw = frameworks_.find(framework_id);
    if (fw == nullptr) {
      continue;
    }
    Task* task = tasks_.find(framework_id, task_id);
    if (task == nullptr) {
      continue;
    }
    if (!isTerminal(task->info.state())) {
      auto state = !fw->partition_aware ? v1::TASK_LOST
                   : gone               ? v1::TASK_GONE_BY_OPERATOR
                                        : v1::TASK_UNREACHABLE;
      v1::TaskStatus status = masterStatus(*fw, task_id, agent_id, state,
                                           gone ? v1::TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR
                                                : v1::TaskStatus::REASON_AGENT_REMOVED,
                                           fmt::format("Agent {} removed: {}", agent_id, why));
      if (task->info.has_executor_id()) {
        *status.mutable_executor_id() = task->info.executor_id();
      }
      if (auto marked = registry_state_.unreachable.find(agent_id);
          state == v1::TASK_UNREACHABLE && marked != registry_state_.unreachable.end()) {
        status.mutable_unreachable_time()->set_nanoseconds(
            static_cast<int64_t>(marked->second * 1e9));
      }
      updateTaskState(*fw, *task, status, state);
      // Nothing will acknowledge a master-generated update: the task is done here.
      sendTaskUpdate(*fw, status);
    }
    releaseTaskResources(*fw, *task, false);
    // As in Mesos, a partition-aware framework's tasks (terminal ones not yet acknowledged
    // included) are listed apart, as unreachable, until the agent comes back with them.
    completeTask(*fw, task_id, /*unreachable=*/!gone && fw->partition_aware);
  }
  for (const auto& framework_id : agent.frameworks_with_executors) {
    Framework* fw = frameworks_.find(framework_id);
    if (fw != nullptr) {
      for (auto& [executor_id, executor] : fw->executors[agent_id]) {
        frameworks_.release(*fw, agent_id, executor.resources);
      }
      fw->executors.erase(agent_id);
    }
  }
  for (auto& [id, fw] : frameworks_.all()) {
    scheduler::Event event;
    event.set_type(scheduler::Event::FAILURE);
    event.mutable_failure()->mutable_agent_id()->set_value(agent_id);
    send(fw, event);
  }
  checked(allocator_.removeAgent(agent_id));
  maintenance_->agentRemoved(agent_id);
  if (agent.shared_stream) {
    // Its shared stream stays open for the others: the agent is told it is off it.
    internal::AgentEvent detached;
    detached.set_type(internal::AgentEvent::DETACHED);
    sendToAgent(agent, detached);
  }
  agents_.remove(agent_id);  // its link is left (its own closed): not a SHUTDOWN, it may come back
  feed_.agentRemoved(agent_id);
  metrics_.agent_removals++;
  scheduleAllocation();
}

}  // namespace plateau::master
