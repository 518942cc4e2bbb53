#include "agent/reconfiguration.h"

#include <map>

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include "common/resources_proto.h"

namespace plateau::agent {
namespace {

namespace v1 = mesos::v1;
using google::protobuf::util::MessageDifferencer;

Status changed(const std::string& what) { return {StatusCode::kFailedPrecondition, what}; }

std::map<std::string, const v1::Attribute*> byName(const v1::AgentInfo& info) {
  std::map<std::string, const v1::Attribute*> out;
  for (const auto& attribute : info.attributes()) {
    out[attribute.name()] = &attribute;
  }
  return out;
}

Status checkAttributes(bool additive, const v1::AgentInfo& previous, const v1::AgentInfo& current) {
  auto before = byName(previous);
  auto now = byName(current);
  for (const auto& [name, attribute] : before) {
    auto found = now.find(name);
    if (found == now.end()) {
      return changed(fmt::format("attribute '{}' was removed", name));
    }
    if (!MessageDifferencer::Equivalent(*attribute, *found->second)) {
      return changed(fmt::format("attribute '{}' changed", name));
    }
  }
  if (!additive && now.size() != before.size()) {
    return changed("attributes were added");
  }
  return {};
}

Status checkResources(bool additive, const v1::AgentInfo& previous, const v1::AgentInfo& current) {
  auto before = resourcesFromProto(previous.resources());
  auto now = resourcesFromProto(current.resources());
  if (!before || !now) {
    return changed("resources cannot be compared");
  }
  if (additive ? !now->contains(*before) : *now != *before) {
    return changed(
        fmt::format("resources changed from '{}' to '{}'", before->toString(), now->toString()));
  }
  return {};
}

}  // namespace

Status checkReconfiguration(const std::string& policy, const v1::AgentInfo& previous,
                            const v1::AgentInfo& current) {
  if (policy != "equal" && policy != "additive") {
    return {StatusCode::kInvalidArgument,
            fmt::format("Unknown --reconfiguration_policy '{}': 'equal' or 'additive'", policy)};
  }
  bool additive = policy == "additive";
  if (previous.hostname() != current.hostname()) {
    return changed(
        fmt::format("hostname changed from '{}' to '{}'", previous.hostname(), current.hostname()));
  }
  if (previous.port() != current.port()) {
    return changed(fmt::format("port changed from {} to {}", previous.port(), current.port()));
  }
  // A domain may be added under additive, never changed or dropped.
  bool domain_kept = MessageDifferencer::Equivalent(previous.domain(), current.domain());
  if (!domain_kept && (!additive || previous.has_domain())) {
    return changed("domain changed");
  }
  if (Status s = checkResources(additive, previous, current); !s.isOk()) {
    return s;
  }
  return checkAttributes(additive, previous, current);
}

}  // namespace plateau::agent
