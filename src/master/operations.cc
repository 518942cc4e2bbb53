// Operation feedback (Mesos's offer operations with an `id`): RESERVE, UNRESERVE, CREATE,
// DESTROY, GROW_VOLUME and SHRINK_VOLUME on an agent's default resources are applied at once
// and recorded OPERATION_PENDING; the agent checkpoints each with its new total and answers
// OPERATION_FINISHED with a uuid, which goes to the framework, which acknowledges it
// (ACKNOWLEDGE_OPERATION_STATUS; the agent then forgets it). The agent reports the operations it
// keeps when it registers, so a new leading master knows them after a failover.
// RECONCILE_OPERATIONS answers with the latest state of each operation asked about (or of all
// the framework's); GET_OPERATIONS lists them for operators.

#include <set>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/resources_proto.h"
#include "master/master.h"

namespace plateau::master {

const v1::Operation& Master::operationPending(Framework& framework, const Agent& agent,
                                              const v1::Offer::Operation& operation,
                                              const Resources& consumed,
                                              const Resources& converted) {
  v1::OperationStatus status;
  *status.mutable_operation_id() = operation.id();
  status.set_state(v1::OPERATION_PENDING);
  status.mutable_agent_id()->set_value(agent.id);
  // Kept here until the agent has it; the statuses the framework sees carry it once finished.
  resourcesToProto(converted, status.mutable_converted_resources(), "");
  OperationBook::ResourceList from;
  resourcesToProto(consumed, &from, "");
  return operations_.add(framework.id, agent.id, operation, status, uuids_.bytes(), from);
}

void Master::revertOperation(Agent& agent, const v1::Operation& pending) {
  const auto* consumed =
      operations_.consumed(pending.framework_id().value(), pending.info().id().value());
  if (consumed == nullptr) {
    return;  // not made by this master (learned from the agent): nothing of it was applied
  }
  auto from = resourcesFromProto(*consumed);
  auto to = resourcesFromProto(pending.latest_status().converted_resources());
  if (!from || !to || !agent.total().contains(*to)) {
    log_->warn("operation_not_reverted agent_id={} operation_id={}", agent.id,
               pending.info().id().value());
    return;
  }
  if (!freeOnAgent(agent, *to)) {
    // A task already uses what the operation made: the total keeps it (the agent will be sent
    // it again with the next total).
    log_->warn("operation_not_reverted agent_id={} operation_id={} in_use=\"{}\"", agent.id,
               pending.info().id().value(), to->toString());
    return;
  }
  changeAgentTotal(agent, *to, *from);
  checked(allocator_.updateAgentTotal(agent.id, agent.total()));
  scheduleAllocation();
  log_->info("operation_reverted agent_id={} operation_id={} total=\"{}\"", agent.id,
             pending.info().id().value(), agent.total().toString());
}

void Master::agentOperation(Agent& agent, const v1::Operation& reported) {
  const std::string& framework_id = reported.framework_id().value();
  const std::string& operation_id = reported.info().id().value();
  Framework* framework = frameworks_.find(framework_id);
  if (framework == nullptr || operation_id.empty()) {
    // Its framework was removed: the agent need not keep it.
    internal::AgentEvent forget;
    forget.set_type(internal::AgentEvent::ACKNOWLEDGE_OPERATION);
    auto* ack = forget.mutable_acknowledge_operation();
    *ack->mutable_framework_id() = reported.framework_id();
    *ack->mutable_operation_id() = reported.info().id();
    sendToAgent(agent, forget);
    return;
  }
  const v1::Operation* known = operations_.find(framework_id, operation_id);
  const bool news =
      known == nullptr || known->latest_status().state() != reported.latest_status().state() ||
      known->latest_status().uuid().value() != reported.latest_status().uuid().value();
  if (!news) {
    return;
  }
  const v1::OperationState state = reported.latest_status().state();
  if (known != nullptr && known->latest_status().state() == v1::OPERATION_PENDING &&
      OperationBook::isTerminal(state) && state != v1::OPERATION_FINISHED) {
    revertOperation(agent, *known);
  }
  v1::Operation record = reported;
  record.mutable_agent_id()->set_value(agent.id);
  const v1::Operation& stored = operations_.put(std::move(record));
  log_->info("operation_updated framework_id={} operation_id={} agent_id={} state={}", framework_id,
             operation_id, agent.id, v1::OperationState_Name(stored.latest_status().state()));
  if (OperationBook::isTerminal(stored.latest_status().state())) {
    scheduler::Event event;
    event.set_type(scheduler::Event::UPDATE_OPERATION_STATUS);
    *event.mutable_update_operation_status()->mutable_status() = stored.latest_status();
    send(*framework, event);
  }
}

void Master::agentOperations(Agent& agent, const internal::AgentCall::Register& reg) {
  std::set<std::string> reported;  // "framework id/operation id"
  for (const auto& operation : reg.operations()) {
    reported.insert(operation.framework_id().value() + "/" + operation.info().id().value());
    agentOperation(agent, operation);
  }
  for (const v1::Operation* operation : operations_.onAgent(agent.id)) {
    if (operation->latest_status().state() == v1::OPERATION_PENDING &&
        !reported.contains(operation->framework_id().value() + "/" +
                           operation->info().id().value())) {
      sendToAgent(agent, checkpointEvent(agent, operation));
    }
  }
}

void Master::resendOperationUpdates(Framework& framework) {
  for (const v1::Operation* operation : operations_.ofFramework(framework.id)) {
    if (OperationBook::isTerminal(operation->latest_status().state()) &&
        operation->latest_status().has_uuid()) {
      scheduler::Event event;
      event.set_type(scheduler::Event::UPDATE_OPERATION_STATUS);
      *event.mutable_update_operation_status()->mutable_status() = operation->latest_status();
      send(framework, event);
    }
  }
}

Status Master::acknowledgeOperation(Framework& framework,
                                    const scheduler::Call::AcknowledgeOperationStatus& ack) {
  if (ack.uuid().size() != 16) {
    return {StatusCode::kInvalidArgument,
            "Expecting 'uuid' to be 16 bytes (the uuid of an operation status update)"};
  }
  if (ack.has_resource_provider_id()) {
    return {StatusCode::kInvalidArgument, "There are no resource providers"};
  }
  const v1::Operation* known = operations_.find(framework.id, ack.operation_id().value());
  const std::string agent_id = known == nullptr ? "" : known->agent_id().value();
  if (!operations_.acknowledge(framework.id, ack.operation_id().value(), ack.uuid())) {
    log_->debug("operation_ack_ignored framework_id={} operation_id={}", framework.id,
                ack.operation_id().value());
    return {};
  }
  // The agent keeps the operation (for a failover) until this acknowledgement reaches it.
  internal::AgentEvent forget;
  forget.set_type(internal::AgentEvent::ACKNOWLEDGE_OPERATION);
  forget.mutable_acknowledge_operation()->mutable_framework_id()->set_value(framework.id);
  *forget.mutable_acknowledge_operation()->mutable_operation_id() = ack.operation_id();
  if (Agent* agent = agents_.find(agent_id); agent != nullptr && agent->connected) {
    sendToAgent(*agent, forget);
  } else {
    agents_.hold(agent_id, std::move(forget));
  }
  return {};
}

v1::OperationState Master::unknownOperationState(const std::string& agent_id) const {
  if (agent_id.empty() || agents_.contains(agent_id)) {
    return v1::OPERATION_UNKNOWN;
  }
  if (registry_state_.gone.contains(agent_id)) {
    return v1::OPERATION_GONE_BY_OPERATOR;
  }
  if (registry_state_.unreachable.contains(agent_id)) {
    return v1::OPERATION_UNREACHABLE;
  }
  return agents_.expected().contains(agent_id) ? v1::OPERATION_RECOVERING : v1::OPERATION_UNKNOWN;
}

Status Master::reconcileOperations(Framework& framework,
                                   const scheduler::Call::ReconcileOperations& reconcile) {
  auto answer = [&](v1::OperationStatus status) {
    status.clear_uuid();  // reconciliation's answers are not acknowledged
    scheduler::Event event;
    event.set_type(scheduler::Event::UPDATE_OPERATION_STATUS);
    *event.mutable_update_operation_status()->mutable_status() = std::move(status);
    send(framework, event);
  };
  if (reconcile.operations().empty()) {
    for (const auto& [key, operation] : operations_.all()) {
      if (key.first == framework.id) {
        answer(operation.latest_status());
      }
    }
    return {};
  }
  for (const auto& asked : reconcile.operations()) {
    if (const v1::Operation* known = operations_.find(framework.id, asked.operation_id().value())) {
      answer(known->latest_status());
      continue;
    }
    v1::OperationStatus status;
    *status.mutable_operation_id() = asked.operation_id();
    status.set_state(unknownOperationState(asked.agent_id().value()));
    if (asked.has_agent_id()) {
      *status.mutable_agent_id() = asked.agent_id();
    }
    answer(std::move(status));
  }
  return {};
}

void getOperations(const OperationBook& operations, mesos::v1::master::Response::GetOperations* out,
                   const ViewFilter* view) {
  for (const auto& [key, operation] : operations.all()) {
    if (view == nullptr || view->showsAll() || view->operation(operation.info())) {
      *out->add_operations() = operation;
    }
  }
}

}  // namespace plateau::master
