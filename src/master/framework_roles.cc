// A framework's roles: MULTI_ROLE, suppressed roles, per-role offer filters, UPDATE_FRAMEWORK,
// and SUPPRESS / REVIVE for some or all roles.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/resources_proto.h"
#include "common/units.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

namespace {

Status invalid(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

std::set<std::string> rolesOf(const v1::FrameworkInfo& info) {
  std::set<std::string> roles(info.roles().begin(), info.roles().end());
  bool multi_role = false;
  for (const auto& cap : info.capabilities()) {
    multi_role = multi_role || cap.type() == v1::FrameworkInfo::Capability::MULTI_ROLE;
  }
  if (!multi_role) {
    roles = {info.role()};  // "*" when unset
  }
  return roles;
}

}  // namespace

void Master::setRoles(Framework& framework) {
  framework.multi_role = false;
  for (const auto& cap : framework.info.capabilities()) {
    framework.multi_role =
        framework.multi_role || cap.type() == v1::FrameworkInfo::Capability::MULTI_ROLE;
  }
  framework.roles = rolesOf(framework.info);
  framework.role = framework.roles.empty() ? std::string("*") : *framework.roles.begin();
  std::erase_if(framework.suppressed_roles,
                [&](const std::string& role) { return !framework.roles.contains(role); });
}

allocator::FrameworkSpec Master::frameworkSpec(const Framework& framework) const {
  allocator::FrameworkSpec spec;
  spec.roles = framework.roles;
  spec.suppressed_roles = framework.suppressed_roles;
  spec.no_refinements = true;
  for (const auto& cap : framework.info.capabilities()) {
    spec.gpu_capable =
        spec.gpu_capable || cap.type() == v1::FrameworkInfo::Capability::GPU_RESOURCES;
    if (cap.type() == v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT) {
      spec.no_refinements = false;
    }
  }
  for (const auto& [role, filters] : framework.info.offer_filters()) {
    std::vector<Resources> alternatives;
    for (const auto& quantities : filters.min_allocatable_resources().quantities()) {
      Resources one;
      for (const auto& [name, scalar] : quantities.quantities()) {
        one += Resource::makeScalar(name, scalar.value());
      }
      alternatives.push_back(std::move(one));
    }
    if (filters.has_min_allocatable_resources()) {
      spec.min_allocatable[role] = std::move(alternatives);
    }
  }
  spec.offer_constraints = framework.constraint_groups;
  return spec;
}

Result<std::map<std::string, allocator::ConstraintGroups>> Master::compileOfferConstraints(
    const v1::FrameworkInfo& info, const scheduler::OfferConstraints& constraints) const {
  const allocator::RegexLimits limits{
      .max_mem =
          static_cast<int64_t>(parseBytes(flags_.offer_constraints_re2_max_mem).value_or(4096)),
      .max_program_size = flags_.offer_constraints_re2_max_program_size};
  using allocator::AttributeConstraint;
  using Selector = scheduler::AttributeConstraint::Selector;
  using Predicate = scheduler::AttributeConstraint::Predicate;
  const std::set<std::string> roles = rolesOf(info);
  std::map<std::string, allocator::ConstraintGroups> out;
  for (const auto& [role, role_constraints] : constraints.role_constraints()) {
    if (!roles.contains(role)) {
      return invalidArgument(fmt::format(
          "Offer constraints are specified for role '{}' which the framework is not subscribed "
          "to",
          role));
    }
    if (role_constraints.groups().empty()) {
      return invalidArgument(fmt::format("Offer constraints for role '{}' have no groups", role));
    }
    allocator::ConstraintGroups& groups = out[role];
    for (const auto& group : role_constraints.groups()) {
      if (group.attribute_constraints().empty()) {
        return invalidArgument(
            fmt::format("Offer constraints for role '{}' contain an empty group", role));
      }
      groups.emplace_back();
      for (const auto& c : group.attribute_constraints()) {
        AttributeConstraint::Selector selector;
        std::string attribute;
        switch (c.selector().selector_case()) {
          case Selector::kAttributeName:
            selector = AttributeConstraint::Selector::kAttribute;
            attribute = c.selector().attribute_name();
            break;
          case Selector::kPseudoattributeType:
            switch (c.selector().pseudoattribute_type()) {
              case Selector::HOSTNAME:
                selector = AttributeConstraint::Selector::kHostname;
                break;
              case Selector::REGION:
                selector = AttributeConstraint::Selector::kRegion;
                break;
              case Selector::ZONE:
                selector = AttributeConstraint::Selector::kZone;
                break;
              default:
                return invalidArgument(fmt::format(
                    "Offer constraints for role '{}': unknown pseudoattribute type", role));
            }
            break;
          default:
            return invalidArgument(
                fmt::format("Offer constraints for role '{}': a selector needs exactly one of "
                            "'attribute_name' or 'pseudoattribute_type'",
                            role));
        }
        AttributeConstraint::Predicate predicate;
        std::string text;
        const auto& p = c.predicate();
        switch (p.predicate_case()) {
          case Predicate::kExists:
            predicate = AttributeConstraint::Predicate::kExists;
            break;
          case Predicate::kNotExists:
            predicate = AttributeConstraint::Predicate::kNotExists;
            break;
          case Predicate::kTextEquals:
            predicate = AttributeConstraint::Predicate::kTextEquals;
            text = p.text_equals().value();
            break;
          case Predicate::kTextNotEquals:
            predicate = AttributeConstraint::Predicate::kTextNotEquals;
            text = p.text_not_equals().value();
            break;
          case Predicate::kTextMatches:
            predicate = AttributeConstraint::Predicate::kTextMatches;
            text = p.text_matches().regex();
            break;
          case Predicate::kTextNotMatches:
            predicate = AttributeConstraint::Predicate::kTextNotMatches;
            text = p.text_not_matches().regex();
            break;
          default:
            return invalidArgument(
                fmt::format("Offer constraints for role '{}': unknown predicate type", role));
        }
        auto made = AttributeConstraint::make(selector, std::move(attribute), predicate,
                                              std::move(text), limits);
        if (!made) {
          return invalidArgument(
              fmt::format("Offer constraints for role '{}': {}", role, made.error().message()));
        }
        groups.back().push_back(std::move(*made));
      }
    }
  }
  return out;
}

allocator::AgentLabels Master::agentLabels(const v1::AgentInfo& info) {
  allocator::AgentLabels labels;
  labels.hostname = info.hostname();
  if (info.has_domain() && info.domain().has_fault_domain()) {
    labels.region = info.domain().fault_domain().region().name();
    labels.zone = info.domain().fault_domain().zone().name();
  }
  for (const auto& a : info.attributes()) {
    labels.attributes.emplace_back(
        a.name(), a.type() == v1::Value::TEXT ? std::optional(a.text().value()) : std::nullopt);
  }
  return labels;
}

Status Master::checkSuppressedRoles(const v1::FrameworkInfo& info,
                                    const google::protobuf::RepeatedPtrField<std::string>& roles) {
  const std::set<std::string> known = rolesOf(info);
  for (const auto& role : roles) {
    if (!known.contains(role)) {
      return invalid(
          fmt::format("Suppressed role '{}' is not contained in the list of roles", role));
    }
  }
  return {};
}

Status Master::updateFramework(Framework& framework,
                               const scheduler::Call::UpdateFramework& update) {
  v1::FrameworkInfo info = update.framework_info();
  if (!info.has_id() || info.id().value() != framework.id) {
    return invalid("'framework_info.id' must be set to the framework's id");
  }
  if (Status s = validateFrameworkInfo(info); !s.isOk()) {
    return s;
  }
  const v1::FrameworkInfo& old = framework.info;
  if (info.user() != old.user()) {
    return invalid("Updating 'FrameworkInfo.user' is unsupported");
  }
  if (info.principal() != old.principal()) {
    return invalid("Updating 'FrameworkInfo.principal' is unsupported");
  }
  if (info.checkpoint() != old.checkpoint()) {
    return invalid("Updating 'FrameworkInfo.checkpoint' is unsupported");
  }
  if (Status s = checkSuppressedRoles(info, update.suppressed_roles()); !s.isOk()) {
    return s;
  }
  auto constraint_groups = compileOfferConstraints(info, update.offer_constraints());
  if (!constraint_groups) {
    return constraint_groups.error();
  }
  const std::set<std::string> before = framework.roles;
  framework.offer_constraints = update.offer_constraints();
  framework.constraint_groups = std::move(*constraint_groups);
  framework.info = info;
  framework.suppressed_roles = {update.suppressed_roles().begin(), update.suppressed_roles().end()};
  setRoles(framework);
  framework.partition_aware = false;
  for (const auto& cap : info.capabilities()) {
    framework.partition_aware =
        framework.partition_aware || cap.type() == v1::FrameworkInfo::Capability::PARTITION_AWARE;
  }
  // Offers made for a role it left, or now suppresses, are taken back.
  std::vector<std::string> rescind;
  for (const auto& offer_id : offers_.ofFramework(framework.id)) {
    const OfferBook::Offer* offer = offers_.find(offer_id);
    const std::string& role = offer->role;
    bool excluded = false;
    if (auto groups = framework.constraint_groups.find(role);
        groups != framework.constraint_groups.end()) {
      auto agent = agents_.find(offer->offer.agent_id().value());
      excluded = agent != agents_.end() &&
                 !allocator::admits(groups->second, agentLabels(agent->second.info));
    }
    if (!framework.roles.contains(role) || framework.suppressed_roles.contains(role) || excluded) {
      rescind.push_back(offer_id);
    }
  }
  for (const auto& offer_id : rescind) {
    removeOffer(offer_id, std::nullopt, true);
  }
  checked(allocator_.updateFramework(framework.id, frameworkSpec(framework)));
  log_->info("framework_updated framework_id={} roles=[{}] suppressed=[{}] was=[{}]", framework.id,
             fmt::join(framework.roles, ","), fmt::join(framework.suppressed_roles, ","),
             fmt::join(before, ","));
  // The registry keeps the new info, so that a failover restores the new roles.
  persist({registry::Change::putFramework(info)}, [](Status) {});
  onFrameworkUpdated(framework);
  scheduleAllocation();
  return {};
}

Status Master::revive(Framework& framework, const scheduler::Call::Revive& revive) {
  for (const auto& role : revive.roles()) {
    if (!framework.roles.contains(role)) {
      return invalid(
          fmt::format("REVIVE names role '{}' which the framework is not subscribed to", role));
    }
  }
  std::set<std::string> roles(revive.roles().begin(), revive.roles().end());
  if (roles.empty()) {
    framework.suppressed_roles.clear();
  } else {
    for (const auto& role : roles) {
      framework.suppressed_roles.erase(role);
    }
  }
  checked(allocator_.revive(framework.id, roles));
  scheduleAllocation();
  return {};
}

Status Master::suppress(Framework& framework, const scheduler::Call::Suppress& suppress) {
  for (const auto& role : suppress.roles()) {
    if (!framework.roles.contains(role)) {
      return invalid(
          fmt::format("SUPPRESS names role '{}' which the framework is not subscribed to", role));
    }
  }
  std::set<std::string> roles(suppress.roles().begin(), suppress.roles().end());
  if (roles.empty()) {
    framework.suppressed_roles = framework.roles;
  } else {
    framework.suppressed_roles.insert(roles.begin(), roles.end());
  }
  checked(allocator_.suppress(framework.id, roles));
  return {};
}

}  // namespace plateau::master
