#include "master/role_book.h"

#include <cmath>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/invariant.h"
#include "common/resources_proto.h"
#include "master/validation.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;
namespace quota = mesos::v1::quota;

namespace {

Status invalid(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

Resources scalarsOf(const google::protobuf::Map<std::string, mesos::v1::Value::Scalar>& map) {
  Resources out;
  for (const auto& [name, scalar] : map) {
    out += Resource::makeScalar(name, scalar.value());
  }
  return out;
}

bool isSubrole(const std::string& role, const std::string& ancestor) {
  return role.size() > ancestor.size() && role.starts_with(ancestor) &&
         role[ancestor.size()] == '/';
}

Status validateScalars(const std::string& role, const char* what,
                       const google::protobuf::Map<std::string, mesos::v1::Value::Scalar>& map) {
  for (const auto& [name, scalar] : map) {
    if (name.empty()) {
      return invalid(
          fmt::format("Quota of role '{}' has {} with an empty resource name", role, what));
    }
    if (name == "ports") {
      return invalid(fmt::format(
          "Quota of role '{}': '{}' is not a scalar resource and cannot have a quota", role, name));
    }
    if (!std::isfinite(scalar.value()) || scalar.value() < 0) {
      return invalid(fmt::format("Quota of role '{}' has an invalid {} value {} for '{}'", role,
                                 what, scalar.value(), name));
    }
  }
  return {};
}

Status validateConfig(const quota::QuotaConfig& config) {
  if (!config.has_role() || config.role().empty()) {
    return invalid("QuotaConfig needs a 'role'");
  }
  if (config.role() == "*") {
    return invalid("Quota cannot be set for the role '*'");
  }
  if (Status s = validateRole(config.role()); !s.isOk()) {
    return s;
  }
  if (Status s = validateScalars(config.role(), "guarantees", config.guarantees()); !s.isOk()) {
    return s;
  }
  if (Status s = validateScalars(config.role(), "limits", config.limits()); !s.isOk()) {
    return s;
  }
  for (const auto& [name, guarantee] : config.guarantees()) {
    auto limit = config.limits().find(name);
    if (limit != config.limits().end() &&
        scalarToMilli(guarantee.value()) > scalarToMilli(limit->second.value())) {
      return invalid(fmt::format("Role '{}' has a guarantee of {} for '{}' above its limit of {}",
                                 config.role(), guarantee.value(), name, limit->second.value()));
    }
  }
  return {};
}

using QuotaConfigs = RoleBook::QuotaConfigs;

// No limit of `role` above the same limit of any of its ancestors.
Status checkLimitsUnderAncestors(const std::string& role, const quota::QuotaConfig& config,
                                 const QuotaConfigs& configs) {
  for (const auto& [parent, parent_config] : configs) {
    if (!isSubrole(role, parent)) {
      continue;
    }
    for (const auto& [name, limit] : config.limits()) {
      auto parent_limit = parent_config.limits().find(name);
      if (parent_limit != parent_config.limits().end() &&
          scalarToMilli(limit.value()) > scalarToMilli(parent_limit->second.value())) {
        return invalid(
            fmt::format("Role '{}' would have a limit for '{}' above its parent '{}'s limit", role,
                        name, parent));
      }
    }
  }
  return {};
}

// The guarantees of the direct children of `role` add up to no more than its own.
Status checkChildrenGuarantees(const std::string& role, const quota::QuotaConfig& config,
                               const QuotaConfigs& configs) {
  Resources children;
  for (const auto& [other, other_config] : configs) {
    if (isSubrole(other, role) && other.find('/', role.size() + 1) == std::string::npos) {
      children += scalarsOf(other_config.guarantees());
    }
  }
  Resources own = scalarsOf(config.guarantees());
  for (const auto& name : children.names()) {
    if (children.scalarMilli(name) > own.scalarMilli(name)) {
      return invalid(fmt::format(
          "The guarantees of the children of role '{}' for '{}' add up to more than its own", role,
          name));
    }
  }
  return {};
}

// Hierarchy: a role's guarantees hold its children's, and no child's limit exceeds its
// parent's (the rules Mesos applies to nested roles).
Status checkHierarchy(const QuotaConfigs& configs) {
  for (const auto& [role, config] : configs) {
    if (Status s = checkLimitsUnderAncestors(role, config, configs); !s.isOk()) {
      return s;
    }
    if (Status s = checkChildrenGuarantees(role, config, configs); !s.isOk()) {
      return s;
    }
  }
  return {};
}

// The capacity check: top-level guarantees must fit the cluster (children are inside their
// parents' guarantees, so counting them again would be double counting).
Status checkCapacity(const QuotaConfigs& configs, const Resources& capacity) {
  Resources guaranteed;
  for (const auto& [role, config] : configs) {
    if (role.find('/') == std::string::npos) {
      guaranteed += scalarsOf(config.guarantees());
    }
  }
  for (const auto& name : guaranteed.names()) {
    if (guaranteed.scalarMilli(name) > capacity.scalarMilli(name)) {
      return invalid(fmt::format(
          "Total quota guarantees of {} for '{}' exceed the cluster's capacity of {} (use "
          "'force' to set it anyway)",
          milliToScalar(guaranteed.scalarMilli(name)), name,
          milliToScalar(capacity.scalarMilli(name))));
    }
  }
  return {};
}

}  // namespace

void RoleBook::recover(std::map<std::string, double> weights, QuotaConfigs quotas) {
  weights_ = std::move(weights);
  quotas_ = std::move(quotas);
}

Result<std::vector<registry::Change>> RoleBook::planQuota(
    const operator_api::Call::UpdateQuota& update, const std::optional<Resources>& capacity) const {
  QuotaConfigs next(quotas_);
  std::set<std::string> seen;
  std::vector<registry::Change> changes;
  for (const auto& config : update.quota_configs()) {
    if (Status s = validateConfig(config); !s.isOk()) {
      return std::unexpected(s);
    }
    if (!seen.insert(config.role()).second) {
      return invalidArgument(fmt::format("Role '{}' appears more than once", config.role()));
    }
    if (isDefault(config)) {
      next.erase(config.role());
      changes.push_back(registry::Change::erase(registry::Change::Kind::kQuota, config.role()));
    } else {
      next[config.role()] = config;
      changes.push_back(registry::Change::putQuota(config));
    }
  }
  if (Status s = checkHierarchy(next); !s.isOk()) {
    return std::unexpected(s);
  }
  if (capacity) {
    if (Status s = checkCapacity(next, *capacity); !s.isOk()) {
      return std::unexpected(s);
    }
  }
  return changes;
}

Result<std::vector<registry::Change>> RoleBook::planWeights(
    const operator_api::Call::UpdateWeights& update) const {
  std::vector<registry::Change> changes;
  for (const auto& info : update.weight_infos()) {
    if (!info.has_role()) {
      return invalidArgument("Every weight needs a 'role'");
    }
    if (Status s = validateRole(info.role()); !s.isOk()) {
      return std::unexpected(s);
    }
    if (!std::isfinite(info.weight()) || info.weight() <= 0) {
      return invalidArgument(
          fmt::format("Weight of role '{}' must be a positive number", info.role()));
    }
    changes.push_back(
        registry::Change::putNumber(registry::Change::Kind::kWeight, info.role(), info.weight()));
  }
  return changes;
}

void RoleBook::apply(const registry::Change& change) {
  if (!holds(change.kind)) {
    invariantBroken("RoleBook::apply of a change it does not hold");
  }
  // Decoded as the registry decodes what it recovers; this book planned it, so it decodes.
  registry::State decoded;
  checkInvariant(registry::applyTo(decoded, change));
  if (change.kind == registry::Change::Kind::kWeight) {
    weights_.erase(change.id);
    weights_.merge(decoded.weights);
  } else {
    quotas_.erase(change.id);
    quotas_.merge(decoded.quotas);
  }
}

void RoleBook::quotaStatus(quota::QuotaStatus* out) const {
  for (const auto& [role, config] : quotas_) {
    auto* info = out->add_infos();
    info->set_role(role);
    resourcesToProto(scalarsOf(config.guarantees()), info->mutable_guarantee());
    *out->add_configs() = config;
  }
}

allocator::Quota RoleBook::allocatorQuota(const quota::QuotaConfig& config) {
  allocator::Quota q;
  q.guarantees = scalarsOf(config.guarantees());
  q.limits = scalarsOf(config.limits());
  for (const auto& [name, limit] : config.limits()) {
    if (scalarToMilli(limit.value()) == 0) {
      q.zero_limits.push_back(name);
    }
  }
  return q;
}

bool RoleBook::isDefault(const quota::QuotaConfig& config) {
  return config.guarantees().empty() && config.limits().empty();
}

namespace {

// Why `resource` cannot be part of a legacy quota guarantee, if it cannot.
std::optional<std::string> unfitForGuarantee(const mesos::v1::Resource& resource) {
  if (resource.reservations_size() > 0 || (resource.has_role() && resource.role() != "*")) {
    return "QuotaInfo must not contain any ReservationInfo";
  }
  if (resource.has_disk()) {
    return "QuotaInfo must not contain DiskInfo";
  }
  if (resource.has_revocable()) {
    return "QuotaInfo must not contain RevocableInfo";
  }
  if (resource.type() != mesos::v1::Value::SCALAR || !resource.has_scalar()) {
    return "QuotaInfo must not include non-scalar resources";
  }
  return std::nullopt;
}

}  // namespace

Result<quota::QuotaConfig> RoleBook::legacyConfig(const quota::QuotaRequest& request) {
  if (!request.has_role()) {
    return invalidArgument("QuotaInfo must specify a role");
  }
  if (request.guarantee().empty()) {
    return invalidArgument("QuotaInfo with empty 'guarantee'");
  }
  quota::QuotaConfig config;
  config.set_role(request.role());
  for (const auto& resource : request.guarantee()) {
    if (auto why = unfitForGuarantee(resource)) {
      return invalidArgument(*why);
    }
    if (config.guarantees().contains(resource.name())) {
      return invalidArgument(
          fmt::format("QuotaInfo contains duplicate resource name '{}'", resource.name()));
    }
    (*config.mutable_guarantees())[resource.name()] = resource.scalar();
    (*config.mutable_limits())[resource.name()] = resource.scalar();
  }
  if (Status s = validateConfig(config); !s.isOk()) {
    return std::unexpected(s);
  }
  return config;
}

}  // namespace plateau::master
