#pragma once

// Helpers for the end-to-end tests of roles, reservations, volumes, quota and explanations
// (roles_*_test.cc): multi-role FrameworkInfo, offers read as Resources, operator calls in JSON,
// and offers waited for until one fits.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "common/resources.h"
#include "common/resources_proto.h"
#include "harness.h"

namespace plateau::testing {

inline v1::FrameworkInfo frameworkInfo(const std::string& name, std::vector<std::string> roles,
                                       const std::string& principal = "") {
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name(name);
  info.set_checkpoint(true);
  info.set_failover_timeout(3600);
  if (!principal.empty()) {
    info.set_principal(principal);
  }
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT);
  for (const auto& role : roles) {
    info.add_roles(role);
  }
  return info;
}

inline Resources offered(const v1::Offer& offer) {
  auto r = resourcesFromProto(offer.resources());
  EXPECT_TRUE(r.has_value()) << offer.DebugString();
  return r.value_or(Resources());
}

inline http::Response operatorCall(Cluster& cluster, const std::string& body) {
  auto r = http::fetchSync(
      cluster.master(),
      {.method = "POST",
       .path = "/api/v1",
       .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
       .body = body},
      10s);
  EXPECT_TRUE(r.has_value());
  return r.value_or(http::Response{});
}

inline json::Value getJson(Cluster& cluster, const std::string& path) {
  auto doc = json::parse(cluster.get(path));
  EXPECT_TRUE(doc.has_value()) << path;
  return doc.value_or(json::Value());
}

inline void decline(Scheduler& s, const v1::Offer& offer, double refuse_seconds) {
  scheduler::Call call;
  call.set_type(scheduler::Call::DECLINE);
  *call.mutable_decline()->add_offer_ids() = offer.id();
  call.mutable_decline()->mutable_filters()->set_refuse_seconds(refuse_seconds);
  EXPECT_EQ(s.call(call), 202);
}

// Offers until one satisfies `wanted` (others declined briefly); nullopt after `timeout`.
inline std::optional<v1::Offer> offerWith(Scheduler& s,
                                          const std::function<bool(const v1::Offer&)>& wanted,
                                          std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto event = s.next(scheduler::Event::OFFERS, 500ms);
    if (!event) {
      continue;
    }
    std::optional<v1::Offer> found;
    for (const auto& offer : event->offers().offers()) {
      if (!found && wanted(offer)) {
        found = offer;
      } else {
        decline(s, offer, 0.1);
      }
    }
    if (found) {
      return found;
    }
  }
  return std::nullopt;
}

inline v1::Offer::Operation reserveOp(const Resources& resources) {
  v1::Offer::Operation op;
  op.set_type(v1::Offer::Operation::RESERVE);
  resourcesToProto(resources, op.mutable_reserve()->mutable_resources(), "", ResourceFormat::kPost);
  return op;
}

inline Resource dynamicallyReserved(Resource r, const std::string& role,
                                    const std::string& principal) {
  Reservation reservation;
  reservation.type = Reservation::Type::kDynamic;
  reservation.role = role;
  reservation.principal = principal;
  r.pushReservation(reservation);
  return r;
}

inline std::string explainCode(Cluster& cluster, const std::string& query) {
  auto doc = getJson(cluster, "/master/explain?" + query);
  return doc["explanations"][0]["code"].asString();
}

}  // namespace plateau::testing
