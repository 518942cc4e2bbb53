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

using allocator::AttributeConstraint;

// Which (pseudo)attribute a constraint looks at; `attribute` names it for kAttribute.
struct CompiledSelector {
  AttributeConstraint::Selector selector;
  std::string attribute;
};

Result<CompiledSelector> compileSelector(const scheduler::AttributeConstraint::Selector& s,
                                         const std::string& role) {
  using Selector = scheduler::AttributeConstraint::Selector;
  switch (s.selector_case()) {
    case Selector::kAttributeName:
      return CompiledSelector{AttributeConstraint::Selector::kAttribute, s.attribute_name()};
    case Selector::kPseudoattributeType:
      switch (s.pseudoattribute_type()) {
        case Selector::HOSTNAME:
          return CompiledSelector{AttributeConstraint::Selector::kHostname, ""};
        case Selector::REGION:
          return CompiledSelector{AttributeConstraint::Selector::kRegion, ""};
        case Selector::ZONE:
          return CompiledSelector{AttributeConstraint::Selector::kZone, ""};
        default:
          return invalidArgument(
              fmt::format("Offer constraints for role '{}': unknown pseudoattribute type", role));
      }
    default:
      return invalidArgument(
          fmt::format("Offer constraints for role '{}': a selector needs exactly one of "
                      "'attribute_name' or 'pseudoattribute_type'",
                      role));
  }
}

// What a constraint requires of the value; `text` is the value or regex of a text predicate.
struct CompiledPredicate {
  AttributeConstraint::Predicate predicate;
  std::string text;
};

Result<CompiledPredicate> compilePredicate(const scheduler::AttributeConstraint::Predicate& p,
                                           const std::string& role) {
  using Predicate = scheduler::AttributeConstraint::Predicate;
  using Compiled = AttributeConstraint::Predicate;
  switch (p.predicate_case()) {
    case Predicate::kExists:
      return CompiledPredicate{Compiled::kExists, ""};
    case Predicate::kNotExists:
      return CompiledPredicate{Compiled::kNotExists, ""};
    case Predicate::kTextEquals:
      return CompiledPredicate{Compiled::kTextEquals, p.text_equals().value()};
    case Predicate::kTextNotEquals:
      return CompiledPredicate{Compiled::kTextNotEquals, p.text_not_equals().value()};
    case Predicate::kTextMatches:
      return CompiledPredicate{Compiled::kTextMatches, p.text_matches().regex()};
    case Predicate::kTextNotMatches:
      return CompiledPredicate{Compiled::kTextNotMatches, p.text_not_matches().regex()};
    default:
      return invalidArgument(
          fmt::format("Offer constraints for role '{}': unknown predicate type", role));
  }
}

Result<AttributeConstraint> compileConstraint(const scheduler::AttributeConstraint& c,
                                              const std::string& role,
                                              const allocator::RegexLimits& limits) {
  auto selector = compileSelector(c.selector(), role);
  if (!selector) {
    return std::unexpected(selector.error());
  }
  auto predicate = compilePredicate(c.predicate(), role);
  if (!predicate) {
    return std::unexpected(predicate.error());
  }
  auto made = AttributeConstraint::make(selector->selector, std::move(selector->attribute),
                                        predicate->predicate, std::move(predicate->text), limits);
  if (!made) {
    return invalidArgument(
        fmt::format("Offer constraints for role '{}': {}", role, made.error().message()));
  }
  return made;
}

// One role's groups (Mesos's rules: at least one group, none empty).
Result<allocator::ConstraintGroups> compileRoleConstraints(
    const std::string& role, const scheduler::OfferConstraints::RoleConstraints& constraints,
    const allocator::RegexLimits& limits) {
  if (constraints.groups().empty()) {
    return invalidArgument(fmt::format("Offer constraints for role '{}' have no groups", role));
  }
  allocator::ConstraintGroups groups;
  for (const auto& group : constraints.groups()) {
    if (group.attribute_constraints().empty()) {
      return invalidArgument(
          fmt::format("Offer constraints for role '{}' contain an empty group", role));
    }
    groups.emplace_back();
    for (const auto& c : group.attribute_constraints()) {
      auto made = compileConstraint(c, role, limits);
      if (!made) {
        return std::unexpected(made.error());
      }
      groups.back().push_back(std::move(*made));
    }
  }
  return groups;
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
  // With --no-filter_gpu_resources, agents with GPUs are offered to every framework.
  spec.gpu_capable = !flags_.filter_gpu_resources;
  for (const auto& cap : framework.info.capabilities()) {
    spec.gpu_capable =
        spec.gpu_capable || cap.type() == v1::FrameworkInfo::Capability::GPU_RESOURCES;
    if (cap.type() == v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT) {
      spec.no_refinements = false;
    }
    spec.region_aware =
        spec.region_aware || cap.type() == v1::FrameworkInfo::Capability::REGION_AWARE;
    spec.revocable_capable =
        spec.revocable_capable || cap.type() == v1::FrameworkInfo::Capability::REVOCABLE_RESOURCES;
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
  const std::set<std::string> roles = rolesOf(info);
  std::map<std::string, allocator::ConstraintGroups> out;
  for (const auto& [role, role_constraints] : constraints.role_constraints()) {
    if (!roles.contains(role)) {
      return invalidArgument(fmt::format(
          "Offer constraints are specified for role '{}' which the framework is not subscribed "
          "to",
          role));
    }
    auto groups = compileRoleConstraints(role, role_constraints, limits);
    if (!groups) {
      return std::unexpected(groups.error());
    }
    out[role] = std::move(*groups);
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

Status Master::checkRoleWhitelist(const v1::FrameworkInfo& info) const {
  if (flags_.role_whitelist.empty()) {
    return {};
  }
  for (const auto& role : rolesOf(info)) {
    if (!flags_.role_whitelist.contains(role)) {
      return invalid(fmt::format("Role '{}' is not present in the master's --roles", role));
    }
  }
  return {};
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
  if (Status s = checkRoleWhitelist(info); !s.isOk()) {
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
      Agent* agent = agents_.find(offer->offer.agent_id().value());
      excluded = agent != nullptr && !allocator::admits(groups->second, agentLabels(agent->info));
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
  feed_.frameworkUpdated(framework);
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
