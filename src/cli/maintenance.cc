// `plateau maintenance schedule [FILE] | status | start HOST... | stop HOST...` over the
// operator API's maintenance calls.

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "cli/ops.h"
#include "cli/time_text.h"
#include "common/json_codec.h"

namespace plateau::cli {

namespace operator_api = mesos::v1::master;

namespace {

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return 1;
}

std::string machineName(const mesos::v1::MachineID& id) {
  if (id.hostname().empty()) return id.ip();
  if (id.ip().empty()) return id.hostname();
  return fmt::format("{} ({})", id.hostname(), id.ip());
}

}  // namespace

int maintenanceSchedule(const std::string& master, const std::string& file, bool json) {
  operator_api::Call call;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) {
      return fail(
          fmt::format("cannot read '{}': give a JSON file like "
                      "{{\"windows\":[{{\"machine_ids\":[{{\"hostname\":\"h\",\"ip\":"
                      "\"10.0.0.1\"}}],\"unavailability\":{{\"start\":{{\"nanoseconds\":"
                      "0}}}}}}]}}",
                      file));
    }
    std::stringstream text;
    text << in.rdbuf();
    call.set_type(operator_api::Call::UPDATE_MAINTENANCE_SCHEDULE);
    if (Status s =
            fromJson(text.str(), call.mutable_update_maintenance_schedule()->mutable_schedule());
        !s.isOk()) {
      return fail(fmt::format("'{}' is not a maintenance schedule: {}", file, s.message()));
    }
    auto r = operatorCall(master, call);
    if (!r) {
      return fail(r.error().message());
    }
    fmt::print("Maintenance schedule updated: {} window(s)\n",
               call.update_maintenance_schedule().schedule().windows_size());
    return 0;
  }
  call.set_type(operator_api::Call::GET_MAINTENANCE_SCHEDULE);
  auto r = operatorCall(master, call);
  if (!r) {
    return fail(r.error().message());
  }
  const auto& schedule = r->get_maintenance_schedule().schedule();
  if (json) {
    fmt::print("{}\n", toJson(schedule));
    return 0;
  }
  fmt::print("MACHINE  START  DURATION\n");
  double now = nowSeconds();
  for (const auto& window : schedule.windows()) {
    for (const auto& id : window.machine_ids()) {
      const auto& u = window.unavailability();
      fmt::print("{}  {}  {}\n", machineName(id), whenText(u.start().nanoseconds() / 1e9, now),
                 u.has_duration() ? humanDuration(u.duration().nanoseconds() / 1e9) : "forever");
    }
  }
  return 0;
}

int maintenanceStatus(const std::string& master, bool json) {
  operator_api::Call call;
  call.set_type(operator_api::Call::GET_MAINTENANCE_STATUS);
  auto r = operatorCall(master, call);
  if (!r) {
    return fail(r.error().message());
  }
  const auto& status = r->get_maintenance_status().status();
  if (json) {
    fmt::print("{}\n", toJson(status));
    return 0;
  }
  fmt::print("MACHINE  MODE  ANSWERS\n");
  for (const auto& draining : status.draining_machines()) {
    std::string answers;
    for (const auto& s : draining.statuses()) {
      answers += fmt::format("{}{}={}", answers.empty() ? "" : " ", s.framework_id().value(),
                             mesos::v1::allocator::InverseOfferStatus::Status_Name(s.status()));
    }
    fmt::print("{}  DRAINING  {}\n", machineName(draining.id()), answers.empty() ? "-" : answers);
  }
  for (const auto& down : status.down_machines()) {
    fmt::print("{}  DOWN  -\n", machineName(down));
  }
  return 0;
}

int maintenanceStartStop(const std::string& master, const std::vector<std::string>& hosts,
                         bool start) {
  // The machines as the schedule names them, so that `start host1` finds (host1, its ip).
  operator_api::Call get;
  get.set_type(operator_api::Call::GET_MAINTENANCE_SCHEDULE);
  auto schedule = operatorCall(master, get);
  if (!schedule) {
    return fail(schedule.error().message());
  }
  operator_api::Call call;
  call.set_type(start ? operator_api::Call::START_MAINTENANCE
                      : operator_api::Call::STOP_MAINTENANCE);
  auto* machines = start ? call.mutable_start_maintenance()->mutable_machines()
                         : call.mutable_stop_maintenance()->mutable_machines();
  for (const auto& host : hosts) {
    const mesos::v1::MachineID* match = nullptr;
    for (const auto& window : schedule->get_maintenance_schedule().schedule().windows()) {
      for (const auto& id : window.machine_ids()) {
        if (id.hostname() == host || id.ip() == host) match = &id;
      }
    }
    if (match == nullptr) {
      return fail(
          fmt::format("machine '{}' is not in the maintenance schedule: add it first "
                      "with `plateau maintenance schedule FILE`{}",
                      host, start ? "" : " (a machine leaves the schedule once it is UP)"));
    }
    *machines->Add() = *match;
  }
  auto r = operatorCall(master, call);
  if (!r) {
    return fail(r.error().message());
  }
  for (const auto& host : hosts) {
    fmt::print("Machine {} is now {}\n", host, start ? "DOWN" : "UP");
  }
  return 0;
}

}  // namespace plateau::cli
