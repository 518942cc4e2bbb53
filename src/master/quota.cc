// Quota: the operator calls UPDATE_QUOTA / GET_QUOTA (Mesos 1.9+), the deprecated SET_QUOTA /
// REMOVE_QUOTA and the legacy /master/quota endpoint (GET, POST of a QuotaRequest, DELETE
// /master/quota/<role>), persistence in the registry and hand-off to the allocator.

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

bool isSubrole(const std::string& role, const std::string& ancestor) {
  return role.size() > ancestor.size() && role.starts_with(ancestor) &&
         role[ancestor.size()] == '/';
}

}  // namespace

void Master::updateQuota(const operator_api::Call::UpdateQuota& update,
                         std::function<void(Status)> done) {
  std::optional<Resources> capacity;
  if (!update.force()) {
    capacity = quotaCapacity();
  }
  auto changes = roles_.planQuota(update, capacity);
  if (!changes) {
    return done(changes.error());
  }
  std::vector<quota::QuotaConfig> configs(update.quota_configs().begin(),
                                          update.quota_configs().end());
  persist(std::move(*changes), [this, configs = std::move(configs), done](Status status) {
    if (!status.isOk()) {
      return done(Status(StatusCode::kUnavailable,
                         fmt::format("Cannot store the quota: {}", status.message())));
    }
    for (const auto& config : configs) {
      allocator::Quota quota = RoleBook::allocatorQuota(config);
      log_->info("quota_updated role={} guarantees=\"{}\" limits=\"{}\"", config.role(),
                 quota.guarantees.toString(), quota.limits.toString());
      checked(allocator_.setQuota(config.role(), std::move(quota)));
      rescindOffersOfRole(config.role());
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

Resources Master::quotaCapacity() const {
  Resources capacity;
  for (const auto& [id, agent] : agents_.all()) {
    capacity += agent.total().toUnreserved();
  }
  return capacity;
}

void Master::setQuota(const quota::QuotaRequest& request, std::function<void(Status)> done) {
  auto refuse = [&](StatusCode code, const std::string& why) {
    done(Status(code, fmt::format("Failed to validate set quota request: {}", why)));
  };
  auto config = RoleBook::legacyConfig(request);
  if (!config) {
    return refuse(StatusCode::kInvalidArgument, config.error().message());
  }
  const std::string& role = config->role();
  if (!flags_.role_whitelist.empty() && !flags_.role_whitelist.contains(role)) {
    return refuse(StatusCode::kInvalidArgument, fmt::format("Unknown role '{}'", role));
  }
  if (roles_.hasQuota(role) || quota_being_set_.contains(role)) {
    return refuse(StatusCode::kInvalidArgument,
                  fmt::format("Cannot set quota for role '{}' which already has quota", role));
  }
  operator_api::Call::UpdateQuota update;
  update.set_force(true);  // the capacity is checked below, with Mesos's status code
  *update.add_quota_configs() = *config;
  if (auto planned = roles_.planQuota(update, std::nullopt); !planned) {
    return refuse(StatusCode::kInvalidArgument, planned.error().message());
  }
  if (!request.force()) {
    if (auto fits = roles_.planQuota(update, quotaCapacity()); !fits) {
      // Mesos answers 409 Conflict here (and 400 for UPDATE_QUOTA's same check).
      return done(Status(
          StatusCode::kAlreadyExists,
          fmt::format("Quota guarantees overcommit the cluster: {}", fits.error().message())));
    }
  }
  quota_being_set_.insert(role);
  updateQuota(update, [this, role, done = std::move(done)](Status status) {
    quota_being_set_.erase(role);
    done(std::move(status));
  });
}

void Master::removeQuota(const std::string& role, std::function<void(Status)> done) {
  if (!flags_.role_whitelist.empty() && !flags_.role_whitelist.contains(role)) {
    return done(
        Status(StatusCode::kInvalidArgument,
               fmt::format("Failed to validate remove quota request: Unknown role '{}'", role)));
  }
  if (!roles_.hasQuota(role)) {
    return done(Status(StatusCode::kInvalidArgument,
                       fmt::format("Failed to remove quota: Role '{}' has no quota set", role)));
  }
  // The default config: nothing guaranteed, nothing limited (refused when a child's guarantee
  // would then exceed its parent's).
  operator_api::Call::UpdateQuota update;
  update.set_force(true);
  update.add_quota_configs()->set_role(role);
  updateQuota(update, std::move(done));
}

void Master::quotaEndpoint(const http::Request& request, http::Responder responder) {
  if (!leading_ || !recovered_) {
    return responder.respond(notLeader(request));
  }
  auto answer = [](http::Responder responder) {
    return [shared = std::make_shared<http::Responder>(std::move(responder))](Status status) {
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
    roles_.quotaStatus(&status);
    filterQuotaStatus(viewFilter(request.principal), &status);
    return responder.respond(http::Response::json(toJson(status)));
  }
  if (request.method == "POST") {
    quota::QuotaRequest legacy;
    if (Status s = fromJson(request.body, &legacy); !s.isOk()) {
      return responder.respond(http::Response::text(
          400, fmt::format("Failed to parse set quota request JSON: {}", s.message())));
    }
    return setQuota(legacy, answer(std::move(responder)));
  }
  if (request.method == "DELETE") {
    if (!path.starts_with("/quota/") || path.size() <= 7) {
      return responder.respond(http::Response::text(400, "Expecting '/quota/<role>'"));
    }
    return removeQuota(http::urlDecode(path.substr(7)), answer(std::move(responder)));
  }
  http::Response r = http::Response::text(405, "Expecting one of { GET, POST, DELETE }");
  r.headers["allow"] = "GET, POST, DELETE";
  responder.respond(std::move(r));
}

}  // namespace plateau::master
