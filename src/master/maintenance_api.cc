// The operator's maintenance calls (GET/UPDATE_MAINTENANCE_SCHEDULE, GET_MAINTENANCE_STATUS,
// START/STOP_MAINTENANCE) and Mesos's legacy /maintenance and /machine endpoints: a routing table
// over the MaintenanceBook. A change is planned by the book, stored in the registry, and only
// then applied; the master carries out what it asks (rescinds, agents shut down and removed).
// Inverse offer answers are not stored (as in Mesos, they are collected again after a failover).

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/json.h"
#include "common/json_codec.h"
#include "master/maintenance_book.h"
#include "master/master.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;
namespace maintenance = mesos::v1::maintenance;

namespace {

// The registry's maintenance blobs.
constexpr const char* kScheduleKey = "schedule";
constexpr const char* kModesKey = "machines";

registry::Change storeBlob(const char* key, std::string data) {
  return registry::Change::putBlob(registry::Change::Kind::kMaintenance, key, std::move(data));
}

std::optional<std::string> storedBlob(const registry::State& state, const char* key) {
  auto it = state.maintenance.find(key);
  return it == state.maintenance.end() ? std::nullopt : std::optional(it->second);
}

http::Response ok200() { return http::Response{.status = 200, .headers = {}, .body = {}}; }

http::Response methodNotAllowed(const http::Request& request, const char* allow) {
  http::Response r = http::Response::text(
      405, fmt::format("Expecting one of {{ {} }}, received '{}'", allow, request.method));
  r.headers["allow"] = allow;
  return r;
}

// POST /maintenance/schedule (a Schedule in JSON), /machine/down and /machine/up (a JSON array
// of MachineIDs) as the operator call they stand for; otherwise the answer to give.
std::expected<operator_api::Call, http::Response> legacyCall(const http::Request& request,
                                                             const std::string& path) {
  operator_api::Call call;
  if (path == "/maintenance/schedule") {
    if (request.method != "POST") {
      return std::unexpected(methodNotAllowed(request, "GET, POST"));
    }
    call.set_type(operator_api::Call::UPDATE_MAINTENANCE_SCHEDULE);
    auto* schedule = call.mutable_update_maintenance_schedule()->mutable_schedule();
    if (Status s = fromJson(request.body, schedule); !s.isOk()) {
      return std::unexpected(http::Response::text(
          400, fmt::format("Failed to parse the maintenance schedule: {}", s.message())));
    }
    return call;
  }
  if (request.method != "POST") {
    return std::unexpected(methodNotAllowed(request, "POST"));
  }
  bool down = path == "/machine/down";
  call.set_type(down ? operator_api::Call::START_MAINTENANCE
                     : operator_api::Call::STOP_MAINTENANCE);
  auto* machines = down ? call.mutable_start_maintenance()->mutable_machines()
                        : call.mutable_stop_maintenance()->mutable_machines();
  auto parsed = json::parse(request.body);
  if (!parsed || !parsed->isArray()) {
    return std::unexpected(
        http::Response::text(400, "Expecting a JSON array of machines ({\"hostname\", \"ip\"})"));
  }
  for (const auto& item : parsed->asArray()) {
    if (Status s = fromJson(item, machines->Add()); !s.isOk()) {
      return std::unexpected(
          http::Response::text(400, fmt::format("Failed to parse a machine: {}", s.message())));
    }
  }
  return call;
}

http::Response missing(const char* field) {
  return http::Response::text(400, fmt::format("Expecting '{}' to be present", field));
}

}  // namespace

bool Master::isMaintenanceEndpoint(const std::string& path) {
  return path == "/master/maintenance/schedule" || path == "/maintenance/schedule" ||
         path == "/master/maintenance/status" || path == "/maintenance/status" ||
         path == "/master/machine/down" || path == "/machine/down" ||
         path == "/master/machine/up" || path == "/machine/up";
}

void Master::recoverMaintenance() {
  Status status = maintenance_->recover(storedBlob(registry_state_, kScheduleKey),
                                        storedBlob(registry_state_, kModesKey));
  if (!status.isOk()) {
    log_->error("maintenance_unreadable reason=\"{}\"", status.message());
  }
  if (maintenance_->machineCount() > 0) {
    log_->info("maintenance_recovered machines={} down={}", maintenance_->machineCount(),
               maintenance_->status().down_machines_size());
  }
}

void Master::maintenanceCall(const operator_api::Call& call, http::ContentType accept,
                             http::Responder responder) {
  auto shared = std::make_shared<http::Responder>(std::move(responder));
  auto done = [shared](Status status) {
    shared->respond(status.isOk() ? ok200() : http::errorResponse(status));
  };
  operator_api::Response response;
  switch (call.type()) {
    case operator_api::Call::GET_MAINTENANCE_SCHEDULE:
      response.set_type(operator_api::Response::GET_MAINTENANCE_SCHEDULE);
      *response.mutable_get_maintenance_schedule()->mutable_schedule() = maintenance_->schedule();
      return shared->respond(http::messageResponse(response, accept));
    case operator_api::Call::GET_MAINTENANCE_STATUS:
      response.set_type(operator_api::Response::GET_MAINTENANCE_STATUS);
      *response.mutable_get_maintenance_status()->mutable_status() = maintenance_->status();
      return shared->respond(http::messageResponse(response, accept));
    case operator_api::Call::UPDATE_MAINTENANCE_SCHEDULE:
      if (!call.has_update_maintenance_schedule()) {
        return shared->respond(missing("update_maintenance_schedule"));
      }
      return updateMaintenanceSchedule(call.update_maintenance_schedule().schedule(), done);
    case operator_api::Call::START_MAINTENANCE:
      if (!call.has_start_maintenance()) {
        return shared->respond(missing("start_maintenance"));
      }
      return changeMachineModes(/*down=*/true, call.start_maintenance().machines(), done);
    case operator_api::Call::STOP_MAINTENANCE:
      if (!call.has_stop_maintenance()) {
        return shared->respond(missing("stop_maintenance"));
      }
      return changeMachineModes(/*down=*/false, call.stop_maintenance().machines(), done);
    default:
      return shared->respond(
          http::Response::text(501, fmt::format("Operator call '{}' is not implemented yet",
                                                operator_api::Call::Type_Name(call.type()))));
  }
}

void Master::maintenanceEndpoint(const http::Request& request, http::Responder responder) {
  if (!leading_ || !recovered_) {
    return responder.respond(notLeader(request));
  }
  std::string path = request.path.starts_with("/master/") ? request.path.substr(7) : request.path;
  bool read = request.method == "GET" || request.method == "HEAD";
  if (path == "/maintenance/status") {
    return responder.respond(read ? http::Response::json(toJson(maintenance_->status()))
                                  : methodNotAllowed(request, "GET"));
  }
  if (path == "/maintenance/schedule" && read) {
    return responder.respond(http::Response::json(toJson(maintenance_->schedule())));
  }
  auto call = legacyCall(request, path);
  if (!call) {
    return responder.respond(std::move(call.error()));
  }
  maintenanceCall(*call, http::ContentType::kJson, std::move(responder));
}

void Master::updateMaintenanceSchedule(const maintenance::Schedule& schedule,
                                       std::function<void(Status)> done) {
  auto plan = maintenance_->planSchedule(schedule);
  if (!plan) {
    return done(plan.error());
  }
  auto stored = std::make_shared<MaintenancePlan>(std::move(*plan));
  persist(
      {storeBlob(kScheduleKey, stored->scheduleBlob()), storeBlob(kModesKey, stored->modesBlob())},
      [this, stored, done](Status status) {
        if (!status.isOk()) {
          return done({StatusCode::kUnavailable,
                       fmt::format("Cannot store the schedule: {}", status.message())});
        }
        applyMaintenanceSchedule(*stored);
        done({});
      });
}

void Master::applyMaintenanceSchedule(const MaintenancePlan& plan) {
  MaintenanceBook::ScheduleApplied applied = maintenance_->applySchedule(plan);
  for (const auto& [inverse_offer_id, framework_id] : applied.rescinded) {
    Framework* fw = frameworks_.find(framework_id);
    if (fw == nullptr) {
      continue;
    }
    scheduler::Event event;
    event.set_type(scheduler::Event::RESCIND_INVERSE_OFFER);
    event.mutable_rescind_inverse_offer()->mutable_inverse_offer_id()->set_value(inverse_offer_id);
    send(*fw, event);
  }
  // As Mesos: outstanding offers of agents whose unavailability changed are rescinded, so that
  // they come again carrying the new unavailability.
  for (const auto& agent_id : applied.reoffer) {
    const auto& outstanding = offers_.onAgent(agent_id);
    std::vector<std::string> held(outstanding.begin(), outstanding.end());
    for (const auto& offer_id : held) {
      removeOffer(offer_id, std::nullopt, true);
    }
  }
  log_->info("maintenance_schedule_updated windows={} machines={}", plan.schedule().windows_size(),
             plan.machineCount());
  scheduleAllocation();
}

void Master::changeMachineModes(bool down,
                                const google::protobuf::RepeatedPtrField<v1::MachineID>& ids,
                                std::function<void(Status)> done) {
  auto plan = down ? maintenance_->planDown(ids) : maintenance_->planUp(ids);
  if (!plan) {
    return done(plan.error());
  }
  std::vector<registry::Change> changes;
  for (const auto& agent_id : plan->agentsDown()) {
    changes.push_back(registry::Change::erase(registry::Change::Kind::kAgent, agent_id));
  }
  if (!down) {
    changes.push_back(storeBlob(kScheduleKey, plan->scheduleBlob()));
  }
  changes.push_back(storeBlob(kModesKey, plan->modesBlob()));
  auto stored = std::make_shared<MaintenancePlan>(std::move(*plan));
  persist(std::move(changes), [this, down, stored, done](Status status) {
    if (!status.isOk()) {
      return done({StatusCode::kUnavailable,
                   fmt::format("Cannot store the machines' modes: {}", status.message())});
    }
    applyMachineModes(*stored, down);
    done({});
  });
}

void Master::applyMachineModes(const MaintenancePlan& plan, bool down) {
  maintenance_->applyModes(plan);
  for (const auto& hostname : plan.hostnamesChanging()) {
    log_->warn("machine_mode_changed machine=\"{}\" mode={}", hostname, down ? "DOWN" : "UP");
  }
  // The registry forgot them with the modes (changeMachineModes).
  for (const auto& agent_id : plan.agentsDown()) {
    dismissAgent(agent_id, "Operator initiated 'Machine DOWN'",
                 "Operator initiated 'Machine DOWN'");
  }
}

}  // namespace plateau::master
