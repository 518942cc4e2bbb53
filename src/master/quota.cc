// Quota: the operator calls UPDATE_QUOTA / GET_QUOTA (Mesos 1.9+), the legacy /master/quota
// endpoint (GET, POST of a QuotaRequest, DELETE /master/quota/<role>), persistence in the
// registry and hand-off to the allocator.

#include <cmath>
#include <set>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>
#include <mesos/v1/quota/quota.pb.h>

#include "common/json_codec.h"
#include "common/resources_proto.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;
namespace quota = mesos::v1::quota;

namespace {

Status invalid(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

Resources scalarsOf(const google::protobuf::Map<std::string, v1::Value::Scalar>& map) {
  Resources out;
  for (const auto& [name, scalar] : map) {
    out += Resource::makeScalar(name, scalar.value());
  }
  return out;
}

bool isDefault(const quota::QuotaConfig& config) {
  return config.guarantees().empty() && config.limits().empty();
}

bool isSubrole(const std::string& role, const std::string& ancestor) {
  return role.size() > ancestor.size() && role.starts_with(ancestor) &&
         role[ancestor.size()] == '/';
}

Status validateScalars(const std::string& role, const char* what,
                       const google::protobuf::Map<std::string, v1::Value::Scalar>& map) {
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

using QuotaConfigs = std::map<std::string, quota::QuotaConfig>;

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
Status checkCapacity(const QuotaConfigs& configs,
                     const std::unordered_map<std::string, Agent>& agents) {
  Resources guaranteed;
  for (const auto& [role, config] : configs) {
    if (role.find('/') == std::string::npos) {
      guaranteed += scalarsOf(config.guarantees());
    }
  }
  Resources total;
  for (const auto& [id, agent] : agents) {
    total += agent.total.toUnreserved();
  }
  for (const auto& name : guaranteed.names()) {
    if (guaranteed.scalarMilli(name) > total.scalarMilli(name)) {
      return invalid(fmt::format(
          "Total quota guarantees of {} for '{}' exceed the cluster's capacity of {} (use "
          "'force' to set it anyway)",
          milliToScalar(guaranteed.scalarMilli(name)), name,
          milliToScalar(total.scalarMilli(name))));
    }
  }
  return {};
}

// The registry changes of an update: each role's config stored, or erased when it is the default.
std::vector<registry::Change> quotaChanges(const operator_api::Call::UpdateQuota& update) {
  std::vector<registry::Change> changes;
  for (const auto& config : update.quota_configs()) {
    changes.push_back(isDefault(config)
                          ? registry::Change::erase(registry::Change::Kind::kQuota, config.role())
                          : registry::Change::putQuota(config));
  }
  return changes;
}

}  // namespace

allocator::Quota Master::quotaFromConfig(const quota::QuotaConfig& config) {
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

Status Master::validateQuotaConfig(const quota::QuotaConfig& config) const {
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

void Master::updateQuota(const operator_api::Call::UpdateQuota& update,
                         std::function<void(Status)> done) {
  std::map<std::string, quota::QuotaConfig> next(registry_state_.quotas);
  std::set<std::string> seen;
  for (const auto& config : update.quota_configs()) {
    if (Status s = validateQuotaConfig(config); !s.isOk()) {
      return done(s);
    }
    if (!seen.insert(config.role()).second) {
      return done(invalid(fmt::format("Role '{}' appears more than once", config.role())));
    }
    if (isDefault(config)) {
      next.erase(config.role());
    } else {
      next[config.role()] = config;
    }
  }
  if (Status s = checkHierarchy(next); !s.isOk()) {
    return done(s);
  }
  if (!update.force()) {
    if (Status s = checkCapacity(next, agents_.all()); !s.isOk()) {
      return done(s);
    }
  }

  std::vector<std::pair<std::string, quota::QuotaConfig>> applied;
  for (const auto& config : update.quota_configs()) {
    applied.emplace_back(config.role(), config);
  }
  persist(quotaChanges(update), [this, applied, done](Status status) {
    if (!status.isOk()) {
      return done(Status(StatusCode::kUnavailable,
                         fmt::format("Cannot store the quota: {}", status.message())));
    }
    for (const auto& [role, config] : applied) {
      checked(allocator_.setQuota(role, quotaFromConfig(config)));
      log_->info("quota_updated role={} guarantees=\"{}\" limits=\"{}\"", role,
                 scalarsOf(config.guarantees()).toString(), scalarsOf(config.limits()).toString());
      rescindOffersOfRole(role);
    }
    scheduleAllocation();
    done({});
  });
}

void Master::rescindOffersOfRole(const std::string& role) {
  std::vector<std::string> rescind;
  for (const auto& [id, offer] : offers_.all()) {
    const std::string& offer_role = offer.offer.allocation_info().role();
    if (offer_role == role || isSubrole(offer_role, role)) {
      rescind.push_back(id);
    }
  }
  for (const auto& id : rescind) {
    removeOffer(id, std::nullopt, true);
  }
}

void Master::getQuota(quota::QuotaStatus* out) const {
  for (const auto& [role, config] : registry_state_.quotas) {
    auto* info = out->add_infos();
    info->set_role(role);
    resourcesToProto(scalarsOf(config.guarantees()), info->mutable_guarantee());
    *out->add_configs() = config;
  }
}

void Master::quotaEndpoint(const http::Request& request, http::Responder responder) {
  if (!leading_ || !recovered_) {
    return responder.respond(notLeader(request));
  }
  auto reply = [](std::shared_ptr<http::Responder> shared) {
    return [shared](Status status) {
      shared->respond(status.isOk() ? http::Response{.status = 200, .headers = {}, .body = {}}
                                    : http::errorResponse(status));
    };
  };
  std::string path = request.path.starts_with("/master/") ? request.path.substr(7) : request.path;
  if (request.method == "GET" || request.method == "HEAD") {
    if (path != "/quota") {
      return responder.respond(http::Response::text(404, "Not found"));
    }
    quota::QuotaStatus status;
    getQuota(&status);
    return responder.respond(http::Response::json(toJson(status)));
  }
  if (request.method == "POST") {
    quota::QuotaRequest legacy;
    if (Status s = fromJson(request.body, &legacy); !s.isOk()) {
      return responder.respond(http::Response::text(
          400, fmt::format("Failed to parse set quota request JSON: {}", s.message())));
    }
    auto guarantee = resourcesFromProto(legacy.guarantee());
    if (!guarantee) {
      return responder.respond(http::Response::text(400, guarantee.error().message()));
    }
    if (registry_state_.quotas.contains(legacy.role())) {
      return responder.respond(http::Response::text(
          400, fmt::format("Quota for role '{}' already exists (use UPDATE_QUOTA to change it)",
                           legacy.role())));
    }
    // Since Mesos 1.9 the legacy call sets both the guarantees and the limits.
    operator_api::Call::UpdateQuota update;
    update.set_force(legacy.force());
    auto* config = update.add_quota_configs();
    config->set_role(legacy.role());
    for (const auto& r : *guarantee) {
      if (r.type != ResourceType::kScalar || r.reserved() || !r.disk.empty()) {
        return responder.respond(http::Response::text(
            400, fmt::format("Quota guarantee '{}' must be an unreserved scalar", r.toString())));
      }
      (*config->mutable_guarantees())[r.name].set_value(r.scalar());
      (*config->mutable_limits())[r.name].set_value(r.scalar());
    }
    if (isDefault(*config)) {
      return responder.respond(http::Response::text(400, "Quota guarantee must not be empty"));
    }
    return updateQuota(update, reply(std::make_shared<http::Responder>(std::move(responder))));
  }
  if (request.method == "DELETE") {
    if (!path.starts_with("/quota/") || path.size() <= 7) {
      return responder.respond(http::Response::text(400, "Expecting '/quota/<role>'"));
    }
    std::string role = http::urlDecode(path.substr(7));
    if (!registry_state_.quotas.contains(role)) {
      return responder.respond(http::Response::text(
          400, fmt::format("Failed to remove quota: Role '{}' has no quota set", role)));
    }
    operator_api::Call::UpdateQuota update;
    update.set_force(true);
    update.add_quota_configs()->set_role(role);
    return updateQuota(update, reply(std::make_shared<http::Responder>(std::move(responder))));
  }
  http::Response r = http::Response::text(405, "Expecting one of { GET, POST, DELETE }");
  r.headers["allow"] = "GET, POST, DELETE";
  responder.respond(std::move(r));
}

}  // namespace plateau::master
