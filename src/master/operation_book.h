#pragma once

// Offer operations that asked for feedback (an `id` set by their framework), as Mesos keeps
// them for operation feedback and GET_OPERATIONS:
//  - one record per (framework, operation id) with its statuses, newest last, and the latest
//    one apart; the record's own uuid names the operation (not one of its statuses);
//  - a record leaves once its framework acknowledges a terminal latest status by its uuid, or
//    when the framework is removed; acknowledging anything else changes nothing;
//  - the records of one agent or one framework are found without a walk over all of them;
//  - what an operation consumed (the `from` of its conversion) is kept while it is pending, so
//    that the agent's total gets it back when the agent fails the operation.
// No I/O: the master sends the updates, the agent keeps its own copy across master failovers.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <mesos/v1/mesos.pb.h>

namespace plateau::master {

class OperationBook {
 public:
  using Key = std::pair<std::string, std::string>;  // (framework id, operation id)

  using ResourceList = google::protobuf::RepeatedPtrField<mesos::v1::Resource>;

  // Records an operation (replacing an earlier one with the same id) with its first status;
  // `uuid` (16 bytes) names the operation; `consumed`, what it converted.
  const mesos::v1::Operation& add(const std::string& framework_id, const std::string& agent_id,
                                  const mesos::v1::Offer::Operation& info,
                                  const mesos::v1::OperationStatus& status, const std::string& uuid,
                                  const ResourceList& consumed = {});
  // Records an operation as its agent reports it (framework id, agent id and info set),
  // replacing what was known of it.
  const mesos::v1::Operation& put(mesos::v1::Operation operation);
  const mesos::v1::Operation* find(const std::string& framework_id,
                                   const std::string& operation_id) const;
  // What the operation consumed, as given to add(); null once its record was replaced (by
  // put(): the agent reported it) or removed.
  const ResourceList* consumed(const std::string& framework_id,
                               const std::string& operation_id) const;
  // The framework acknowledges the status `uuid` (16 raw bytes): true when it was the latest
  // one and terminal, and the record is gone.
  bool acknowledge(const std::string& framework_id, const std::string& operation_id,
                   const std::string& uuid);
  void forgetFramework(const std::string& framework_id);
  // The operations of one framework, or on one agent, in no particular order.
  std::vector<const mesos::v1::Operation*> ofFramework(const std::string& framework_id) const;
  std::vector<const mesos::v1::Operation*> onAgent(const std::string& agent_id) const;
  const std::map<Key, mesos::v1::Operation>& all() const { return operations_; }
  size_t size() const { return operations_.size(); }

  static bool isTerminal(mesos::v1::OperationState state);

 private:
  void erase(std::map<Key, mesos::v1::Operation>::iterator it);

  std::map<Key, mesos::v1::Operation> operations_;
  std::map<std::string, std::set<Key>> by_agent_;
  std::map<Key, ResourceList> consumed_;  // of the records made by add()
};

}  // namespace plateau::master
