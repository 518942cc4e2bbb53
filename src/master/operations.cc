// Operation feedback (Mesos's offer operations with an `id`): RESERVE, UNRESERVE, CREATE and
// DESTROY on an agent's default resources finish at once and report OPERATION_FINISHED with a
// uuid, which the framework acknowledges (ACKNOWLEDGE_OPERATION_STATUS); RECONCILE_OPERATIONS
// answers with the latest state of each operation asked about (or of all the framework's);
// GET_OPERATIONS lists them for operators.

#include <algorithm>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/resources_proto.h"
#include "master/master.h"

namespace plateau::master {

void Master::operationFinished(Framework& framework, const Agent& agent,
                               const v1::Offer::Operation& operation, const Resources& converted) {
  scheduler::Event event;
  event.set_type(scheduler::Event::UPDATE_OPERATION_STATUS);
  auto* status = event.mutable_update_operation_status()->mutable_status();
  *status->mutable_operation_id() = operation.id();
  status->set_state(v1::OPERATION_FINISHED);
  status->mutable_agent_id()->set_value(agent.id);
  status->mutable_uuid()->set_value(uuids_.bytes());
  resourcesToProto(converted, status->mutable_converted_resources(), "");
  operations_.add(framework.id, agent.id, operation, *status);
  send(framework, event);
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
  if (!operations_.acknowledge(framework.id, ack.operation_id().value(), ack.uuid())) {
    log_->debug("operation_ack_ignored framework_id={} operation_id={}", framework.id,
                ack.operation_id().value());
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

namespace {

// Whether the reader may view every resource the operation names (view_roles).
bool showsOperation(const ViewFilter& view, const v1::Offer::Operation& info) {
  auto all = [&](const auto& resources) {
    return std::all_of(resources.begin(), resources.end(),
                       [&](const v1::Resource& r) { return view.resource(r); });
  };
  switch (info.type()) {
    case v1::Offer::Operation::RESERVE:
      return all(info.reserve().resources());
    case v1::Offer::Operation::UNRESERVE:
      return all(info.unreserve().resources());
    case v1::Offer::Operation::CREATE:
      return all(info.create().volumes());
    case v1::Offer::Operation::DESTROY:
      return all(info.destroy().volumes());
    case v1::Offer::Operation::GROW_VOLUME:
      return view.resource(info.grow_volume().volume());
    case v1::Offer::Operation::SHRINK_VOLUME:
      return view.resource(info.shrink_volume().volume());
    default:
      return true;
  }
}

}  // namespace

void getOperations(const OperationBook& operations, mesos::v1::master::Response::GetOperations* out,
                   const ViewFilter* view) {
  for (const auto& [key, operation] : operations.all()) {
    if (view == nullptr || view->showsAll() || showsOperation(*view, operation.info())) {
      *out->add_operations() = operation;
    }
  }
}

}  // namespace plateau::master
