#include "master/operation_book.h"

namespace plateau::master {

const mesos::v1::Operation& OperationBook::add(const std::string& framework_id,
                                               const std::string& agent_id,
                                               const mesos::v1::Offer::Operation& info,
                                               const mesos::v1::OperationStatus& status) {
  mesos::v1::Operation& op = operations_[{framework_id, info.id().value()}];
  op.Clear();
  op.mutable_framework_id()->set_value(framework_id);
  op.mutable_agent_id()->set_value(agent_id);
  *op.mutable_info() = info;
  *op.mutable_latest_status() = status;
  *op.add_statuses() = status;
  op.mutable_uuid()->set_value(status.uuid().value());
  return op;
}

const mesos::v1::Operation* OperationBook::find(const std::string& framework_id,
                                                const std::string& operation_id) const {
  auto it = operations_.find({framework_id, operation_id});
  return it == operations_.end() ? nullptr : &it->second;
}

bool OperationBook::acknowledge(const std::string& framework_id, const std::string& operation_id,
                                const std::string& uuid) {
  auto it = operations_.find({framework_id, operation_id});
  if (it == operations_.end()) {
    return false;
  }
  const auto& latest = it->second.latest_status();
  if (latest.uuid().value() != uuid || !isTerminal(latest.state())) {
    return false;
  }
  operations_.erase(it);
  return true;
}

void OperationBook::forgetFramework(const std::string& framework_id) {
  auto it = operations_.lower_bound({framework_id, ""});
  while (it != operations_.end() && it->first.first == framework_id) {
    it = operations_.erase(it);
  }
}

bool OperationBook::isTerminal(mesos::v1::OperationState state) {
  switch (state) {
    case mesos::v1::OPERATION_FINISHED:
    case mesos::v1::OPERATION_FAILED:
    case mesos::v1::OPERATION_ERROR:
    case mesos::v1::OPERATION_DROPPED:
    case mesos::v1::OPERATION_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

}  // namespace plateau::master
