#include "master/operation_book.h"

namespace plateau::master {

const mesos::v1::Operation& OperationBook::add(const std::string& framework_id,
                                               const std::string& agent_id,
                                               const mesos::v1::Offer::Operation& info,
                                               const mesos::v1::OperationStatus& status,
                                               const std::string& uuid,
                                               const ResourceList& consumed) {
  mesos::v1::Operation op;
  op.mutable_framework_id()->set_value(framework_id);
  op.mutable_agent_id()->set_value(agent_id);
  *op.mutable_info() = info;
  *op.mutable_latest_status() = status;
  *op.add_statuses() = status;
  op.mutable_uuid()->set_value(uuid);
  const mesos::v1::Operation& added = put(std::move(op));
  consumed_[{framework_id, info.id().value()}] = consumed;
  return added;
}

const mesos::v1::Operation& OperationBook::put(mesos::v1::Operation operation) {
  Key key{operation.framework_id().value(), operation.info().id().value()};
  auto it = operations_.find(key);
  if (it != operations_.end()) {
    erase(it);
  }
  by_agent_[operation.agent_id().value()].insert(key);
  return operations_[key] = std::move(operation);
}

const OperationBook::ResourceList* OperationBook::consumed(const std::string& framework_id,
                                                           const std::string& operation_id) const {
  auto it = consumed_.find({framework_id, operation_id});
  return it == consumed_.end() ? nullptr : &it->second;
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
  erase(it);
  return true;
}

void OperationBook::forgetFramework(const std::string& framework_id) {
  auto it = operations_.lower_bound({framework_id, ""});
  while (it != operations_.end() && it->first.first == framework_id) {
    erase(it++);
  }
}

std::vector<const mesos::v1::Operation*> OperationBook::ofFramework(
    const std::string& framework_id) const {
  std::vector<const mesos::v1::Operation*> out;
  for (auto it = operations_.lower_bound({framework_id, ""});
       it != operations_.end() && it->first.first == framework_id; ++it) {
    out.push_back(&it->second);
  }
  return out;
}

std::vector<const mesos::v1::Operation*> OperationBook::onAgent(const std::string& agent_id) const {
  std::vector<const mesos::v1::Operation*> out;
  auto keys = by_agent_.find(agent_id);
  if (keys != by_agent_.end()) {
    for (const Key& key : keys->second) {
      out.push_back(&operations_.at(key));
    }
  }
  return out;
}

void OperationBook::erase(std::map<Key, mesos::v1::Operation>::iterator it) {
  auto keys = by_agent_.find(it->second.agent_id().value());
  if (keys != by_agent_.end()) {
    keys->second.erase(it->first);
    if (keys->second.empty()) {
      by_agent_.erase(keys);
    }
  }
  consumed_.erase(it->first);
  operations_.erase(it);
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
