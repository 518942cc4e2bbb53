// Maintenance, as Mesos's maintenance primitives: an operator posts a schedule of machines
// (hostname and/or ip) with an unavailability window; scheduled machines are DRAINING, and
// frameworks using their agents get an inverse offer (once per framework and agent) while
// regular offers for those agents carry the unavailability. START_MAINTENANCE (machine/down)
// takes DRAINING machines DOWN: their agents are shut down and removed, and may not register
// until STOP_MAINTENANCE (machine/up) brings the machine back UP, which also drops it from the
// schedule. Schedule and modes are stored in the registry before they take effect; inverse
// offer answers are not (as in Mesos, they are re-collected after a failover).

#include "master/maintenance.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/json.h"
#include "common/json_codec.h"
#include "master/master.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;
namespace maintenance = mesos::v1::maintenance;

std::string machineKey(const v1::MachineID& id) {
  std::string host = id.hostname();
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host + '\x1f' + id.ip();
}

namespace {

const char* kScheduleKey = "schedule";
const char* kMachinesKey = "machines";

std::string describe(const v1::MachineID& id) {
  if (id.hostname().empty()) return fmt::format("ip={}", id.ip());
  if (id.ip().empty()) return fmt::format("hostname={}", id.hostname());
  return fmt::format("hostname={} ip={}", id.hostname(), id.ip());
}

v1::MachineID normalized(v1::MachineID id) {
  std::string host = id.hostname();
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!host.empty()) {
    id.set_hostname(host);
  }
  return id;
}

Status validMachine(const v1::MachineID& id) {
  if (id.hostname().empty() && id.ip().empty()) {
    return {StatusCode::kInvalidArgument,
            "A machine needs a non-empty 'hostname' or 'ip' (both are empty)"};
  }
  in_addr addr{};
  if (!id.ip().empty() && ::inet_pton(AF_INET, id.ip().c_str(), &addr) != 1) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Machine ip '{}' is not an IPv4 address", id.ip())};
  }
  return {};
}

Status validMachines(const google::protobuf::RepeatedPtrField<v1::MachineID>& ids) {
  if (ids.empty()) {
    return {StatusCode::kInvalidArgument, "List of machines is empty"};
  }
  std::set<std::string> seen;
  for (const auto& id : ids) {
    if (Status s = validMachine(id); !s.isOk()) {
      return s;
    }
    if (!seen.insert(machineKey(id)).second) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Machine '{}' appears more than once in the list", describe(id))};
    }
  }
  return {};
}

http::Response ok200() { return http::Response{.status = 200, .headers = {}, .body = {}}; }

}  // namespace

bool Master::isMaintenanceEndpoint(const std::string& path) {
  return path == "/master/maintenance/schedule" || path == "/maintenance/schedule" ||
         path == "/master/maintenance/status" || path == "/maintenance/status" ||
         path == "/master/machine/down" || path == "/machine/down" ||
         path == "/master/machine/up" || path == "/machine/up";
}

void Master::recoverMaintenance() {
  *maintenance_ = MaintenanceBooks{};
  auto schedule = registry_state_.maintenance.find(kScheduleKey);
  if (schedule != registry_state_.maintenance.end()) {
    maintenance_->schedule.ParseFromString(schedule->second);
  }
  auto machines = registry_state_.maintenance.find(kMachinesKey);
  maintenance::ClusterStatus modes;
  if (machines != registry_state_.maintenance.end()) {
    modes.ParseFromString(machines->second);
  }
  std::set<std::string> down;
  for (const auto& id : modes.down_machines()) {
    down.insert(machineKey(id));
  }
  for (const auto& window : maintenance_->schedule.windows()) {
    for (const auto& id : window.machine_ids()) {
      v1::MachineInfo info;
      *info.mutable_id() = id;
      info.set_mode(down.contains(machineKey(id)) ? v1::MachineInfo::DOWN
                                                  : v1::MachineInfo::DRAINING);
      *info.mutable_unavailability() = window.unavailability();
      maintenance_->machines[machineKey(id)] = std::move(info);
    }
  }
  if (!maintenance_->machines.empty()) {
    log_->info("maintenance_recovered machines={} down={}", maintenance_->machines.size(),
               down.size());
  }
}

namespace {

// The scheduled machine an agent is on: exact (hostname, ip) first, then either alone.
const v1::MachineInfo* findMachine(const std::map<std::string, v1::MachineInfo>& machines,
                                   const std::string& hostname, const std::string& ip,
                                   std::string* key_out) {
  v1::MachineID id;
  id.set_hostname(hostname);
  id.set_ip(ip);
  v1::MachineID host_only;
  host_only.set_hostname(hostname);
  v1::MachineID ip_only;
  ip_only.set_ip(ip);
  for (const auto* candidate : {&id, &host_only, &ip_only}) {
    if (candidate->hostname().empty() && candidate->ip().empty()) {
      continue;
    }
    auto it = machines.find(machineKey(*candidate));
    if (it != machines.end()) {
      if (key_out != nullptr) {
        *key_out = it->first;
      }
      return &it->second;
    }
  }
  return nullptr;
}

}  // namespace

bool Master::machineDown(const v1::AgentInfo& info, const std::string& ip) const {
  const auto* machine = findMachine(maintenance_->machines, info.hostname(), ip, nullptr);
  return machine != nullptr && machine->mode() == v1::MachineInfo::DOWN;
}

const v1::Unavailability* Master::agentUnavailability(const std::string& agent_id) const {
  auto it = maintenance_->agent_machine.find(agent_id);
  if (it == maintenance_->agent_machine.end()) {
    return nullptr;
  }
  auto machine = maintenance_->machines.find(it->second);
  return machine == maintenance_->machines.end() ? nullptr : &machine->second.unavailability();
}

void Master::maintenanceAgentAdded(const Agent& agent) {
  std::string key;
  if (findMachine(maintenance_->machines, agent.info.hostname(), agent.ip, &key) != nullptr) {
    maintenance_->agent_machine[agent.id] = key;
  } else {
    maintenance_->agent_machine.erase(agent.id);
  }
}

void Master::maintenanceAgentRemoved(const std::string& agent_id) {
  if (maintenance_->agent_machine.erase(agent_id) == 0) {
    return;
  }
  std::erase_if(maintenance_->inverse_offers,
                [&](const auto& entry) { return entry.second.second == agent_id; });
  std::erase_if(maintenance_->sent, [&](const auto& entry) { return entry.first == agent_id; });
  std::erase_if(maintenance_->answered_until,
                [&](const auto& entry) { return entry.first.first == agent_id; });
}

void Master::maintenanceFrameworkRemoved(const std::string& framework_id) {
  if (maintenance_->inverse_offers.empty() && maintenance_->sent.empty() &&
      maintenance_->answered_until.empty()) {
    return;
  }
  std::erase_if(maintenance_->answered_until,
                [&](const auto& entry) { return entry.first.second == framework_id; });
  std::erase_if(maintenance_->inverse_offers,
                [&](const auto& entry) { return entry.second.first == framework_id; });
  std::erase_if(maintenance_->sent,
                [&](const auto& entry) { return entry.second == framework_id; });
}

void Master::sendInverseOffers() {
  if (maintenance_->agent_machine.empty()) {
    return;
  }
  std::map<std::string, std::vector<v1::InverseOffer>> batches;
  const double time = now();
  std::erase_if(maintenance_->answered_until,
                [&](const auto& entry) { return entry.second <= time; });
  for (const auto& [agent_id, key] : maintenance_->agent_machine) {
    auto machine = maintenance_->machines.find(key);
    auto agent = agents_.find(agent_id);
    if (machine == maintenance_->machines.end() ||
        machine->second.mode() != v1::MachineInfo::DRAINING || agent == agents_.end()) {
      continue;
    }
    const Agent& a = agent->second;
    std::set<std::string> users(a.frameworks_with_executors.begin(),
                                a.frameworks_with_executors.end());
    for (const auto& [framework_id, task_id] : a.tasks) {
      users.insert(framework_id);
    }
    for (const auto& offer_id : offers_.onAgent(agent_id)) {
      users.insert(offers_.find(offer_id)->offer.framework_id().value());
    }
    for (const auto& framework_id : users) {
      auto fw = frameworks_.find(framework_id);
      if (fw == frameworks_.end() || !fw->second.connected ||
          maintenance_->sent.contains({agent_id, framework_id}) ||
          maintenance_->answered_until.contains({agent_id, framework_id})) {
        continue;
      }
      v1::InverseOffer inverse;
      std::string id = nextOfferId();
      inverse.mutable_id()->set_value(id);
      inverse.mutable_framework_id()->set_value(framework_id);
      inverse.mutable_agent_id()->set_value(agent_id);
      auto* url = inverse.mutable_url();
      url->set_scheme("http");
      url->mutable_address()->set_hostname(a.info.hostname());
      url->mutable_address()->set_ip(a.ip.empty() ? a.info.hostname() : a.ip);
      url->mutable_address()->set_port(a.info.port());
      url->set_path("/slave(1)");
      *inverse.mutable_unavailability() = machine->second.unavailability();
      maintenance_->inverse_offers[id] = {framework_id, agent_id};
      maintenance_->sent.insert({agent_id, framework_id});
      batches[framework_id].push_back(std::move(inverse));
    }
  }
  for (auto& [framework_id, inverse_offers] : batches) {
    scheduler::Event event;
    event.set_type(scheduler::Event::INVERSE_OFFERS);
    for (auto& inverse : inverse_offers) {
      *event.mutable_inverse_offers()->add_inverse_offers() = std::move(inverse);
    }
    log_->info("inverse_offers_sent framework_id={} count={}", framework_id, inverse_offers.size());
    send(frameworks_.at(framework_id), event);
  }
}

Status Master::answerInverseOffers(Framework& framework,
                                   const google::protobuf::RepeatedPtrField<v1::OfferID>& ids,
                                   bool accept, double refuse_seconds) {
  for (const auto& id : ids) {
    auto it = maintenance_->inverse_offers.find(id.value());
    if (it == maintenance_->inverse_offers.end() || it->second.first != framework.id) {
      // As Mesos: an unknown or foreign inverse offer is ignored (it may have been rescinded).
      log_->warn("inverse_offer_unknown framework_id={} inverse_offer_id={}", framework.id,
                 id.value());
      continue;
    }
    auto machine = maintenance_->agent_machine.find(it->second.second);
    if (machine != maintenance_->agent_machine.end()) {
      v1::allocator::InverseOfferStatus status;
      status.set_status(accept ? v1::allocator::InverseOfferStatus::ACCEPT
                               : v1::allocator::InverseOfferStatus::DECLINE);
      status.mutable_framework_id()->set_value(framework.id);
      status.mutable_timestamp()->set_nanoseconds(static_cast<int64_t>(now() * 1e9));
      maintenance_->answers[machine->second][framework.id] = std::move(status);
    }
    log_->info("inverse_offer_answered framework_id={} inverse_offer_id={} answer={}", framework.id,
               id.value(), accept ? "accept" : "decline");
    // As Mesos: once answered, the framework is asked again after refuse_seconds.
    std::pair<std::string, std::string> pair{it->second.second, framework.id};
    maintenance_->sent.erase(pair);
    maintenance_->answered_until[pair] =
        now() + (std::isfinite(refuse_seconds) && refuse_seconds > 0 ? refuse_seconds : 0);
    maintenance_->inverse_offers.erase(it);
  }
  return {};
}

namespace {

maintenance::ClusterStatus clusterStatus(const MaintenanceBooks& books) {
  maintenance::ClusterStatus status;
  for (const auto& [key, info] : books.machines) {
    if (info.mode() == v1::MachineInfo::DOWN) {
      *status.add_down_machines() = info.id();
      continue;
    }
    auto* draining = status.add_draining_machines();
    *draining->mutable_id() = info.id();
    auto answers = books.answers.find(key);
    if (answers != books.answers.end()) {
      for (const auto& [framework_id, answer] : answers->second) {
        *draining->add_statuses() = answer;
      }
    }
  }
  return status;
}

std::string modesBlob(const std::map<std::string, v1::MachineInfo>& machines) {
  maintenance::ClusterStatus modes;
  for (const auto& [key, info] : machines) {
    if (info.mode() == v1::MachineInfo::DOWN) {
      *modes.add_down_machines() = info.id();
    }
  }
  return modes.SerializeAsString();
}

}  // namespace

// The three changes an operator can make; `done` gets the outcome once stored and applied.
namespace {
using Done = std::function<void(Status)>;
}

void Master::maintenanceCall(const operator_api::Call& call, http::ContentType accept,
                             http::Responder responder) {
  auto shared = std::make_shared<http::Responder>(std::move(responder));
  auto done = [shared](Status status) {
    shared->respond(status.isOk() ? ok200() : http::errorResponse(status));
  };
  auto answer = [&](const operator_api::Response& response) {
    http::Response r;
    r.status = 200;
    r.headers["content-type"] = http::mediaType(accept);
    r.body = http::encode(response, accept);
    shared->respond(std::move(r));
  };

  // Validates and applies a new schedule.
  auto update = [this](maintenance::Schedule schedule, Done finish) {
    std::set<std::string> scheduled;
    for (auto& window : *schedule.mutable_windows()) {
      if (window.machine_ids().empty()) {
        return finish(
            {StatusCode::kInvalidArgument, "List of machines in the maintenance window is empty"});
      }
      if (window.unavailability().has_duration() &&
          window.unavailability().duration().nanoseconds() < 0) {
        return finish({StatusCode::kInvalidArgument, "Unavailability 'duration' is negative"});
      }
      for (auto& id : *window.mutable_machine_ids()) {
        if (Status s = validMachine(id); !s.isOk()) {
          return finish(s);
        }
        id = normalized(id);
        if (!scheduled.insert(machineKey(id)).second) {
          return finish(
              {StatusCode::kInvalidArgument,
               fmt::format("Machine '{}' appears more than once in the schedule", describe(id))});
        }
      }
    }
    for (const auto& [key, info] : maintenance_->machines) {
      if (info.mode() == v1::MachineInfo::DOWN && !scheduled.contains(key)) {
        return finish({StatusCode::kInvalidArgument,
                       fmt::format("Machine '{}' is DOWN and cannot be removed from the schedule: "
                                   "bring it up first (machine/up or STOP_MAINTENANCE)",
                                   describe(info.id()))});
      }
    }
    std::map<std::string, v1::MachineInfo> machines;
    for (const auto& window : schedule.windows()) {
      for (const auto& id : window.machine_ids()) {
        auto old = maintenance_->machines.find(machineKey(id));
        v1::MachineInfo info;
        *info.mutable_id() = id;
        info.set_mode(old != maintenance_->machines.end() ? old->second.mode()
                                                          : v1::MachineInfo::DRAINING);
        *info.mutable_unavailability() = window.unavailability();
        machines[machineKey(id)] = std::move(info);
      }
    }
    persist({registry::Change::putBlob(registry::Change::Kind::kMaintenance, kScheduleKey,
                                       schedule.SerializeAsString()),
             registry::Change::putBlob(registry::Change::Kind::kMaintenance, kMachinesKey,
                                       modesBlob(machines))},
            [this, schedule, machines, finish](Status status) {
              if (!status.isOk()) {
                return finish({StatusCode::kUnavailable,
                               fmt::format("Cannot store the schedule: {}", status.message())});
              }
              // A machine that left the schedule or whose window changed: its answers are
              // void, its outstanding inverse offers rescinded, and (if still scheduled) its
              // frameworks asked again. Unchanged machines keep everything.
              std::set<std::string> changed;
              for (const auto& [key, info] : maintenance_->machines) {
                auto m = machines.find(key);
                if (m == machines.end() || m->second.unavailability().SerializeAsString() !=
                                               info.unavailability().SerializeAsString()) {
                  changed.insert(key);
                }
              }
              maintenance_->schedule = schedule;
              maintenance_->machines = machines;
              for (const auto& key : changed) {
                maintenance_->answers.erase(key);
              }
              auto old_placement = std::move(maintenance_->agent_machine);
              maintenance_->agent_machine.clear();
              // An operator action: one pass over the agents places them on machines.
              for (const auto& [id, agent] : agents_) {
                maintenanceAgentAdded(agent);
              }
              std::set<std::string> moved;  // agents whose machine's request changed
              for (const auto& [agent_id, key] : old_placement) {
                auto now_on = maintenance_->agent_machine.find(agent_id);
                if (changed.contains(key) || now_on == maintenance_->agent_machine.end() ||
                    now_on->second != key) {
                  moved.insert(agent_id);
                }
              }
              for (auto it = maintenance_->inverse_offers.begin();
                   it != maintenance_->inverse_offers.end();) {
                if (!moved.contains(it->second.second)) {
                  ++it;
                  continue;
                }
                auto fw = frameworks_.find(it->second.first);
                if (fw != frameworks_.end()) {
                  scheduler::Event event;
                  event.set_type(scheduler::Event::RESCIND_INVERSE_OFFER);
                  event.mutable_rescind_inverse_offer()->mutable_inverse_offer_id()->set_value(
                      it->first);
                  send(fw->second, event);
                }
                it = maintenance_->inverse_offers.erase(it);
              }
              std::erase_if(maintenance_->sent,
                            [&](const auto& entry) { return moved.contains(entry.first); });
              std::erase_if(maintenance_->answered_until,
                            [&](const auto& entry) { return moved.contains(entry.first.first); });
              // As Mesos: outstanding offers of agents whose unavailability changed are
              // rescinded, so that they come again carrying the new unavailability.
              for (const auto& [agent_id, key] : maintenance_->agent_machine) {
                if (!old_placement.contains(agent_id)) moved.insert(agent_id);
              }
              for (const auto& agent_id : moved) {
                auto agent = agents_.find(agent_id);
                if (agent == agents_.end()) continue;
                const auto& outstanding = offers_.onAgent(agent_id);
                std::vector<std::string> held(outstanding.begin(), outstanding.end());
                for (const auto& offer_id : held) {
                  removeOffer(offer_id, std::nullopt, true);
                }
              }
              log_->info("maintenance_schedule_updated windows={} machines={}",
                         schedule.windows_size(), machines.size());
              scheduleAllocation();
              finish({});
            });
  };

  switch (call.type()) {
    case operator_api::Call::GET_MAINTENANCE_SCHEDULE: {
      operator_api::Response response;
      response.set_type(operator_api::Response::GET_MAINTENANCE_SCHEDULE);
      *response.mutable_get_maintenance_schedule()->mutable_schedule() = maintenance_->schedule;
      return answer(response);
    }
    case operator_api::Call::GET_MAINTENANCE_STATUS: {
      operator_api::Response response;
      response.set_type(operator_api::Response::GET_MAINTENANCE_STATUS);
      *response.mutable_get_maintenance_status()->mutable_status() = clusterStatus(*maintenance_);
      return answer(response);
    }
    case operator_api::Call::UPDATE_MAINTENANCE_SCHEDULE:
      if (!call.has_update_maintenance_schedule()) {
        return shared->respond(
            http::Response::text(400, "Expecting 'update_maintenance_schedule' to be present"));
      }
      return update(call.update_maintenance_schedule().schedule(), done);
    case operator_api::Call::START_MAINTENANCE:
    case operator_api::Call::STOP_MAINTENANCE: {
      bool start = call.type() == operator_api::Call::START_MAINTENANCE;
      if (start ? !call.has_start_maintenance() : !call.has_stop_maintenance()) {
        return shared->respond(http::Response::text(
            400, fmt::format("Expecting '{}' to be present",
                             start ? "start_maintenance" : "stop_maintenance")));
      }
      const auto& ids =
          start ? call.start_maintenance().machines() : call.stop_maintenance().machines();
      if (Status s = validMachines(ids); !s.isOk()) {
        return done(s);
      }
      std::vector<std::string> keys;
      for (const auto& raw : ids) {
        v1::MachineID id = normalized(raw);
        auto it = maintenance_->machines.find(machineKey(id));
        if (it == maintenance_->machines.end()) {
          return done({StatusCode::kInvalidArgument,
                       fmt::format("Machine '{}' is not part of a maintenance schedule: schedule "
                                   "it first (maintenance/schedule or "
                                   "UPDATE_MAINTENANCE_SCHEDULE)",
                                   describe(id))});
        }
        if (start && it->second.mode() != v1::MachineInfo::DRAINING) {
          return done({StatusCode::kInvalidArgument,
                       fmt::format("Machine '{}' is not in DRAINING mode and cannot be brought "
                                   "down",
                                   describe(id))});
        }
        if (!start && it->second.mode() != v1::MachineInfo::DOWN) {
          return done({StatusCode::kInvalidArgument,
                       fmt::format("Machine '{}' is not in DOWN mode and cannot be brought up",
                                   describe(id))});
        }
        keys.push_back(it->first);
      }
      auto machines = maintenance_->machines;
      maintenance::Schedule schedule = maintenance_->schedule;
      std::vector<registry::Change> changes;
      std::vector<std::string> agents_down;
      if (start) {
        for (const auto& key : keys) {
          machines[key].set_mode(v1::MachineInfo::DOWN);
        }
        for (const auto& [agent_id, key] : maintenance_->agent_machine) {
          if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
            agents_down.push_back(agent_id);
            changes.push_back(registry::Change::erase(registry::Change::Kind::kAgent, agent_id));
          }
        }
      } else {
        // UP: the machines leave the schedule altogether.
        for (const auto& key : keys) {
          machines.erase(key);
        }
        maintenance::Schedule kept;
        for (const auto& window : schedule.windows()) {
          maintenance::Window w;
          *w.mutable_unavailability() = window.unavailability();
          for (const auto& id : window.machine_ids()) {
            if (machines.contains(machineKey(id))) {
              *w.add_machine_ids() = id;
            }
          }
          if (!w.machine_ids().empty()) {
            *kept.add_windows() = std::move(w);
          }
        }
        schedule = std::move(kept);
        changes.push_back(registry::Change::putBlob(registry::Change::Kind::kMaintenance,
                                                    kScheduleKey, schedule.SerializeAsString()));
      }
      changes.push_back(registry::Change::putBlob(registry::Change::Kind::kMaintenance,
                                                  kMachinesKey, modesBlob(machines)));
      persist(std::move(changes), [this, start, keys, machines, schedule, agents_down,
                                   done](Status status) {
        if (!status.isOk()) {
          return done({StatusCode::kUnavailable,
                       fmt::format("Cannot store the machines' modes: {}", status.message())});
        }
        maintenance_->machines = machines;
        maintenance_->schedule = schedule;
        for (const auto& key : keys) {
          maintenance_->answers.erase(key);
          log_->warn("machine_mode_changed machine=\"{}\" mode={}", key.substr(0, key.find('\x1f')),
                     start ? "DOWN" : "UP");
        }
        for (const auto& agent_id : agents_down) {
          registry_state_.agents.erase(agent_id);
          auto it = agents_.find(agent_id);
          if (it == agents_.end()) {
            continue;
          }
          if (it->second.stream) {
            internal::AgentEvent event;
            event.set_type(internal::AgentEvent::SHUTDOWN);
            event.mutable_shutdown()->set_message("Operator initiated 'Machine DOWN'");
            sendToAgent(it->second, event);
          }
          removeAgentAs(agent_id, "Operator initiated 'Machine DOWN'", /*gone=*/true);
        }
        if (!start) {
          // Agents still registered on machines that left the schedule are plain agents again.
          std::erase_if(maintenance_->agent_machine, [&](const auto& entry) {
            return !maintenance_->machines.contains(entry.second);
          });
        }
        done({});
      });
      return;
    }
    default:
      return shared->respond(
          http::Response::text(501, fmt::format("Operator call '{}' is not implemented yet",
                                                operator_api::Call::Type_Name(call.type()))));
  }
}

void Master::maintenanceEndpoint(const http::Request& request, http::Responder responder) {
  std::string path = request.path;
  if (path.starts_with("/master/")) {
    path = path.substr(7);
  }
  auto methodNotAllowed = [&](const char* allow) {
    http::Response r = http::Response::text(
        405, fmt::format("Expecting one of {{ {} }}, received '{}'", allow, request.method));
    r.headers["allow"] = allow;
    responder.respond(std::move(r));
  };
  if (!leading_ || !recovered_) {
    return responder.respond(notLeader(request));
  }
  operator_api::Call call;
  if (path == "/maintenance/status") {
    if (request.method != "GET" && request.method != "HEAD") {
      return methodNotAllowed("GET");
    }
    return responder.respond(http::Response::json(toJson(clusterStatus(*maintenance_))));
  }
  if (path == "/maintenance/schedule") {
    if (request.method == "GET" || request.method == "HEAD") {
      return responder.respond(http::Response::json(toJson(maintenance_->schedule)));
    }
    if (request.method != "POST") {
      return methodNotAllowed("GET, POST");
    }
    call.set_type(operator_api::Call::UPDATE_MAINTENANCE_SCHEDULE);
    if (Status s =
            fromJson(request.body, call.mutable_update_maintenance_schedule()->mutable_schedule());
        !s.isOk()) {
      return responder.respond(http::Response::text(
          400, fmt::format("Failed to parse the maintenance schedule: {}", s.message())));
    }
    return maintenanceCall(call, http::ContentType::kJson, std::move(responder));
  }
  // machine/down and machine/up take a JSON array of MachineIDs.
  if (request.method != "POST") {
    return methodNotAllowed("POST");
  }
  bool down = path == "/machine/down";
  call.set_type(down ? operator_api::Call::START_MAINTENANCE
                     : operator_api::Call::STOP_MAINTENANCE);
  auto* machines = down ? call.mutable_start_maintenance()->mutable_machines()
                        : call.mutable_stop_maintenance()->mutable_machines();
  auto parsed = json::parse(request.body);
  if (!parsed || !parsed->isArray()) {
    return responder.respond(
        http::Response::text(400, "Expecting a JSON array of machines ({\"hostname\", \"ip\"})"));
  }
  for (const auto& item : parsed->asArray()) {
    if (Status s = fromJson(item, machines->Add()); !s.isOk()) {
      return responder.respond(
          http::Response::text(400, fmt::format("Failed to parse a machine: {}", s.message())));
    }
  }
  maintenanceCall(call, http::ContentType::kJson, std::move(responder));
}

}  // namespace plateau::master
