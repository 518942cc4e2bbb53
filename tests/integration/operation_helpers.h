#pragma once

// Offer operations with an id from a protobuf scheduler (tests/integration/harness.h): accept
// an offer with them, collect their UPDATE_OPERATION_STATUS events, acknowledge them, and read
// the operator's GET_OPERATIONS.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {

// A framework of `role` (MULTI_ROLE, RESERVATION_REFINEMENT) with a principal, kept across
// failovers for an hour.
inline v1::FrameworkInfo operationsFramework(const std::string& role) {
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("operations");
  info.set_principal("ops-principal");
  info.set_failover_timeout(3600);
  info.add_roles(role);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  // Offers carry `reservations` (the post-refinement format), as the operations do.
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT);
  return info;
}

// The next offer that `pred` accepts; others are declined for a moment.
inline std::optional<v1::Offer> offerWhere(Scheduler& s,
                                           const std::function<bool(const v1::Offer&)>& pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto offers = s.next(scheduler::Event::OFFERS, std::chrono::seconds(5));
    if (!offers) continue;
    for (const auto& offer : offers->offers().offers()) {
      if (pred(offer)) return offer;
    }
    s.declineAll(*offers, 0.1);
  }
  return std::nullopt;
}

// The offered resource named `name` that `pred` accepts, if any.
inline std::optional<v1::Resource> offered(const v1::Offer& offer, const std::string& name,
                                           const std::function<bool(const v1::Resource&)>& pred) {
  for (const auto& r : offer.resources()) {
    if (r.name() == name && pred(r)) return r;
  }
  return std::nullopt;
}

// RESERVE of `text` (e.g. "cpus:0.5") for `role` with an id, from unreserved offered resources.
inline v1::Offer::Operation reserve(const std::string& id, const std::string& text,
                                    const std::string& role) {
  v1::Offer::Operation op;
  op.set_type(v1::Offer::Operation::RESERVE);
  op.mutable_id()->set_value(id);
  for (v1::Resource r : resources(text)) {
    r.clear_role();  // the post-refinement format: `reservations` only
    r.mutable_allocation_info()->set_role(role);
    auto* reservation = r.add_reservations();
    reservation->set_type(v1::Resource::ReservationInfo::DYNAMIC);
    reservation->set_role(role);
    reservation->set_principal("ops-principal");
    *op.mutable_reserve()->add_resources() = r;
  }
  return op;
}

// Whether `offer` holds unreserved `name`.
inline bool hasUnreserved(const v1::Offer& offer, const std::string& name) {
  return offered(offer, name, [](const v1::Resource& r) { return r.reservations_size() == 0; })
      .has_value();
}

// ACCEPT of `offer` with `operations` (leftovers back at once); the HTTP status.
inline int acceptWith(Scheduler& s, const v1::Offer& offer,
                      const std::vector<v1::Offer::Operation>& operations) {
  scheduler::Call call;
  call.set_type(scheduler::Call::ACCEPT);
  *call.mutable_accept()->add_offer_ids() = offer.id();
  call.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  for (const auto& operation : operations) {
    *call.mutable_accept()->add_operations() = operation;
  }
  return s.call(call);
}

// The next `n` operation status updates, by operation id (the latest of each).
inline std::map<std::string, v1::OperationStatus> operationUpdates(
    Scheduler& s, size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  std::map<std::string, v1::OperationStatus> out;
  for (size_t i = 0; i < n; ++i) {
    auto event = s.next(scheduler::Event::UPDATE_OPERATION_STATUS, timeout);
    if (!event) break;
    const auto& status = event->update_operation_status().status();
    out[status.operation_id().value()] = status;
  }
  return out;
}

inline int acknowledgeOperation(Scheduler& s, const v1::OperationStatus& status) {
  scheduler::Call call;
  call.set_type(scheduler::Call::ACKNOWLEDGE_OPERATION_STATUS);
  auto* ack = call.mutable_acknowledge_operation_status();
  *ack->mutable_agent_id() = status.agent_id();
  *ack->mutable_operation_id() = status.operation_id();
  ack->set_uuid(status.uuid().value());
  return s.call(call);
}

// An operator call (JSON) to `master`: its answer, parsed (nullopt, with a failure, if none).
inline std::optional<json::Value> operatorCall(const http::Endpoint& master,
                                               const std::string& body) {
  auto r = http::fetchSync(
      master,
      {.method = "POST",
       .path = "/api/v1",
       .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
       .body = body},
      std::chrono::seconds(5));
  auto parsed = json::parse(r ? r->body : "");
  EXPECT_TRUE(r && r->status == 200 && parsed) << (r ? r->body : "no answer");
  return r && r->status == 200 && parsed ? std::optional<json::Value>(*parsed) : std::nullopt;
}

// GET_OPERATIONS of `master`: operation id -> latest state.
inline std::map<std::string, std::string> operationStates(const http::Endpoint& master) {
  std::map<std::string, std::string> out;
  auto listed = operatorCall(master, R"({"type": "GET_OPERATIONS"})");
  if (!listed) return out;
  for (const auto& op : (*listed)["get_operations"]["operations"].asArray()) {
    out[op["info"]["id"]["value"].asString()] = op["latest_status"]["state"].asString();
  }
  return out;
}

}  // namespace plateau::testing
