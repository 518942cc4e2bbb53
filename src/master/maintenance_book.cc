#include "master/maintenance_book.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "common/invariant.h"

namespace plateau::master {

namespace v1 = mesos::v1;
namespace maintenance = mesos::v1::maintenance;

namespace {

// A machine's key: "hostname\x1fip", the hostname lower-cased (either part may be empty).
std::string machineKey(const v1::MachineID& id) {
  std::string host = id.hostname();
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host + '\x1f' + id.ip();
}

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

// Validates and normalizes a schedule's windows; the keys of its machines.
Result<std::set<std::string>> normalizeSchedule(maintenance::Schedule& schedule) {
  std::set<std::string> scheduled;
  for (auto& window : *schedule.mutable_windows()) {
    if (window.machine_ids().empty()) {
      return invalidArgument("List of machines in the maintenance window is empty");
    }
    if (window.unavailability().has_duration() &&
        window.unavailability().duration().nanoseconds() < 0) {
      return invalidArgument("Unavailability 'duration' is negative");
    }
    for (auto& id : *window.mutable_machine_ids()) {
      if (Status s = validMachine(id); !s.isOk()) {
        return std::unexpected(s);
      }
      id = normalized(id);
      if (!scheduled.insert(machineKey(id)).second) {
        return invalidArgument(
            fmt::format("Machine '{}' appears more than once in the schedule", describe(id)));
      }
    }
  }
  return scheduled;
}

// The schedule without the machines that are no longer in `machines`.
maintenance::Schedule keptSchedule(const maintenance::Schedule& schedule,
                                   const std::map<std::string, v1::MachineInfo>& machines) {
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
  return kept;
}

// Refusals longer than this are capped, so that the deadline fits the clock's range.
constexpr double kMaxRefuseSeconds = 1e9;

}  // namespace

std::string MaintenancePlan::modesBlob() const {
  maintenance::ClusterStatus modes;
  for (const auto& [key, info] : machines_) {
    if (info.mode() == v1::MachineInfo::DOWN) {
      *modes.add_down_machines() = info.id();
    }
  }
  return modes.SerializeAsString();
}

std::vector<std::string> MaintenancePlan::hostnamesChanging() const {
  std::vector<std::string> hostnames;
  for (const auto& key : changing_) {
    hostnames.push_back(key.substr(0, key.find('\x1f')));
  }
  return hostnames;
}

MaintenanceBook::MaintenanceBook(const Clock& clock) : clock_(clock) {}

Status MaintenanceBook::recover(const std::optional<std::string>& schedule,
                                const std::optional<std::string>& modes) {
  schedule_.Clear();
  machines_.clear();
  answers_.clear();
  inverse_offers_.clear();
  outstanding_.clear();
  refused_until_.clear();
  maintenance::ClusterStatus stored_modes;
  if ((schedule && !schedule_.ParseFromString(*schedule)) ||
      (modes && !stored_modes.ParseFromString(*modes))) {
    schedule_.Clear();
    return {StatusCode::kInvalidArgument, "The stored maintenance schedule or modes do not parse"};
  }
  std::set<std::string> down;
  for (const auto& id : stored_modes.down_machines()) {
    down.insert(machineKey(id));
  }
  for (const auto& window : schedule_.windows()) {
    for (const auto& id : window.machine_ids()) {
      v1::MachineInfo info;
      *info.mutable_id() = id;
      info.set_mode(down.contains(machineKey(id)) ? v1::MachineInfo::DOWN
                                                  : v1::MachineInfo::DRAINING);
      *info.mutable_unavailability() = window.unavailability();
      machines_[machineKey(id)] = std::move(info);
    }
  }
  placed_.clear();
  for (const auto& [agent_id, address] : addresses_) {
    place(agent_id, address);
  }
  return {};
}

Result<MaintenancePlan> MaintenanceBook::planSchedule(maintenance::Schedule schedule) const {
  auto scheduled = normalizeSchedule(schedule);
  if (!scheduled) {
    return std::unexpected(scheduled.error());
  }
  for (const auto& [key, info] : machines_) {
    if (info.mode() == v1::MachineInfo::DOWN && !scheduled->contains(key)) {
      return invalidArgument(fmt::format(
          "Machine '{}' is DOWN and cannot be removed from the schedule: bring it up first "
          "(machine/up or STOP_MAINTENANCE)",
          describe(info.id())));
    }
  }
  MaintenancePlan plan;
  for (const auto& window : schedule.windows()) {
    for (const auto& id : window.machine_ids()) {
      auto old = machines_.find(machineKey(id));
      v1::MachineInfo info;
      *info.mutable_id() = id;
      info.set_mode(old != machines_.end() ? old->second.mode() : v1::MachineInfo::DRAINING);
      *info.mutable_unavailability() = window.unavailability();
      plan.machines_[machineKey(id)] = std::move(info);
    }
  }
  plan.schedule_ = std::move(schedule);
  return plan;
}

Result<MaintenancePlan> MaintenanceBook::planDown(
    const google::protobuf::RepeatedPtrField<v1::MachineID>& ids) const {
  auto plan = planModes(ids, v1::MachineInfo::DRAINING);
  if (!plan) {
    return plan;
  }
  for (const auto& key : plan->changing_) {
    plan->machines_[key].set_mode(v1::MachineInfo::DOWN);
  }
  for (const auto& [agent_id, key] : placed_) {
    if (std::find(plan->changing_.begin(), plan->changing_.end(), key) != plan->changing_.end()) {
      plan->agents_down_.push_back(agent_id);
    }
  }
  return plan;
}

Result<MaintenancePlan> MaintenanceBook::planUp(
    const google::protobuf::RepeatedPtrField<v1::MachineID>& ids) const {
  auto plan = planModes(ids, v1::MachineInfo::DOWN);
  if (!plan) {
    return plan;
  }
  for (const auto& key : plan->changing_) {
    plan->machines_.erase(key);  // UP: the machine leaves the schedule altogether
  }
  plan->schedule_ = keptSchedule(plan->schedule_, plan->machines_);
  return plan;
}

Result<MaintenancePlan> MaintenanceBook::planModes(
    const google::protobuf::RepeatedPtrField<v1::MachineID>& ids,
    v1::MachineInfo::Mode from) const {
  if (Status s = validMachines(ids); !s.isOk()) {
    return std::unexpected(s);
  }
  MaintenancePlan plan;
  for (const auto& raw : ids) {
    v1::MachineID id = normalized(raw);
    auto it = machines_.find(machineKey(id));
    if (it == machines_.end()) {
      return invalidArgument(
          fmt::format("Machine '{}' is not part of a maintenance schedule: schedule it first "
                      "(maintenance/schedule or UPDATE_MAINTENANCE_SCHEDULE)",
                      describe(id)));
    }
    if (it->second.mode() != from) {
      return invalidArgument(
          from == v1::MachineInfo::DRAINING
              ? fmt::format("Machine '{}' is not in DRAINING mode and cannot be brought down",
                            describe(id))
              : fmt::format("Machine '{}' is not in DOWN mode and cannot be brought up",
                            describe(id)));
    }
    plan.changing_.push_back(it->first);
  }
  plan.machines_ = machines_;
  plan.schedule_ = schedule_;
  return plan;
}

MaintenanceBook::ScheduleApplied MaintenanceBook::applySchedule(const MaintenancePlan& plan) {
  // A machine that left the schedule or whose window changed: its answers are void, and the
  // agents on it lose their outstanding inverse offers and refusals (if still scheduled, their
  // frameworks are asked again). Unchanged machines keep everything.
  std::set<std::string> changed;
  for (const auto& [key, info] : machines_) {
    auto m = plan.machines_.find(key);
    if (m == plan.machines_.end() || m->second.unavailability().SerializeAsString() !=
                                         info.unavailability().SerializeAsString()) {
      changed.insert(key);
    }
  }
  schedule_ = plan.schedule_;
  machines_ = plan.machines_;
  for (const auto& key : changed) {
    answers_.erase(key);
  }
  // An operator action: one pass over the agents places them on the new machines.
  std::map<std::string, std::string> before = std::move(placed_);
  placed_.clear();
  for (const auto& [agent_id, address] : addresses_) {
    place(agent_id, address);
  }
  ScheduleApplied applied;
  for (const auto& [agent_id, key] : before) {
    auto now_on = placed_.find(agent_id);
    if (changed.contains(key) || now_on == placed_.end() || now_on->second != key) {
      applied.reoffer.insert(agent_id);
    }
  }
  for (const auto& [agent_id, key] : placed_) {
    if (!before.contains(agent_id)) {
      applied.reoffer.insert(agent_id);
    }
  }
  for (const auto& [id, pair] : inverse_offers_) {
    if (applied.reoffer.contains(pair.first)) {
      applied.rescinded.emplace_back(id, pair.second);
    }
  }
  std::sort(applied.rescinded.begin(), applied.rescinded.end());
  forgetInverseOffers([&](const Pair& pair) { return applied.reoffer.contains(pair.first); });
  return applied;
}

void MaintenanceBook::applyModes(const MaintenancePlan& plan) {
  machines_ = plan.machines_;
  schedule_ = plan.schedule_;
  for (const auto& key : plan.changing_) {
    answers_.erase(key);
  }
  // Agents still registered on machines that left the schedule are plain agents again.
  std::erase_if(placed_, [&](const auto& entry) { return !machines_.contains(entry.second); });
}

const std::string* MaintenanceBook::machineOf(const v1::MachineID& address) const {
  // Exact (hostname, ip) first, then either alone.
  v1::MachineID host_only;
  host_only.set_hostname(address.hostname());
  v1::MachineID ip_only;
  ip_only.set_ip(address.ip());
  const v1::MachineID* candidates[] = {&address, &host_only, &ip_only};
  for (const v1::MachineID* candidate : candidates) {
    if (candidate->hostname().empty() && candidate->ip().empty()) {
      continue;
    }
    auto it = machines_.find(machineKey(*candidate));
    if (it != machines_.end()) {
      return &it->first;
    }
  }
  return nullptr;
}

void MaintenanceBook::place(const std::string& agent_id, const v1::MachineID& address) {
  if (const std::string* key = machineOf(address)) {
    placed_[agent_id] = *key;
  } else {
    placed_.erase(agent_id);
  }
}

bool MaintenanceBook::refusesAgent(const std::string& hostname, const std::string& ip) const {
  v1::MachineID address;
  address.set_hostname(hostname);
  address.set_ip(ip);
  const std::string* key = machineOf(address);
  return key != nullptr && machines_.at(*key).mode() == v1::MachineInfo::DOWN;
}

void MaintenanceBook::agentAdded(const std::string& agent_id, const std::string& hostname,
                                 const std::string& ip) {
  v1::MachineID& address = addresses_[agent_id];
  address.set_hostname(hostname);
  address.set_ip(ip);
  place(agent_id, address);
}

void MaintenanceBook::agentRemoved(const std::string& agent_id) {
  addresses_.erase(agent_id);
  placed_.erase(agent_id);
  forgetInverseOffers([&](const Pair& pair) { return pair.first == agent_id; });
}

void MaintenanceBook::frameworkRemoved(const std::string& framework_id) {
  forgetInverseOffers([&](const Pair& pair) { return pair.second == framework_id; });
}

void MaintenanceBook::forgetInverseOffers(const std::function<bool(const Pair&)>& which) {
  if (inverse_offers_.empty() && refused_until_.empty()) {
    return;  // the common case, with no maintenance going on
  }
  std::erase_if(inverse_offers_, [&](const auto& entry) { return which(entry.second); });
  std::erase_if(outstanding_, [&](const auto& entry) { return which(entry.first); });
  std::erase_if(refused_until_, [&](const auto& entry) { return which(entry.first); });
}

const v1::Unavailability* MaintenanceBook::unavailabilityOf(const std::string& agent_id) const {
  auto placed = placed_.find(agent_id);
  return placed == placed_.end() ? nullptr : &machines_.at(placed->second).unavailability();
}

std::vector<std::string> MaintenanceBook::drainingAgents() const {
  std::vector<std::string> draining;
  for (const auto& [agent_id, key] : placed_) {
    if (machines_.at(key).mode() == v1::MachineInfo::DRAINING) {
      draining.push_back(agent_id);
    }
  }
  return draining;
}

std::optional<v1::Unavailability> MaintenanceBook::inverseOfferDue(
    const std::string& agent_id, const std::string& framework_id) const {
  auto placed = placed_.find(agent_id);
  if (placed == placed_.end()) {
    return std::nullopt;
  }
  const v1::MachineInfo& machine = machines_.at(placed->second);
  Pair pair{agent_id, framework_id};
  if (machine.mode() != v1::MachineInfo::DRAINING || outstanding_.contains(pair)) {
    return std::nullopt;
  }
  auto refused = refused_until_.find(pair);
  if (refused != refused_until_.end() && clock_.now() < refused->second) {
    return std::nullopt;
  }
  return machine.unavailability();
}

void MaintenanceBook::inverseOfferSent(const std::string& inverse_offer_id,
                                       const std::string& agent_id,
                                       const std::string& framework_id) {
  if (!inverseOfferDue(agent_id, framework_id)) {
    invariantBroken(fmt::format("inverse offer {} made to agent {} framework {} not due",
                                inverse_offer_id, agent_id, framework_id));
  }
  Pair pair{agent_id, framework_id};
  if (!inverse_offers_.emplace(inverse_offer_id, pair).second) {
    invariantBroken("inverse offer id " + inverse_offer_id + " made twice");
  }
  outstanding_[pair] = inverse_offer_id;
  refused_until_.erase(pair);
}

Status MaintenanceBook::answerInverseOffer(const std::string& framework_id,
                                           const std::string& inverse_offer_id, bool accept,
                                           double refuse_seconds) {
  auto it = inverse_offers_.find(inverse_offer_id);
  if (it == inverse_offers_.end() || it->second.second != framework_id) {
    return {StatusCode::kNotFound, "Inverse offer " + inverse_offer_id + " is not outstanding"};
  }
  Pair pair = it->second;
  if (auto placed = placed_.find(pair.first); placed != placed_.end()) {
    v1::allocator::InverseOfferStatus status;
    status.set_status(accept ? v1::allocator::InverseOfferStatus::ACCEPT
                             : v1::allocator::InverseOfferStatus::DECLINE);
    status.mutable_framework_id()->set_value(framework_id);
    status.mutable_timestamp()->set_nanoseconds(static_cast<int64_t>(clock_.wallSeconds() * 1e9));
    answers_[placed->second][framework_id] = std::move(status);
  }
  // Once answered, the framework is asked again after refuse_seconds.
  double refuse = std::isfinite(refuse_seconds) && refuse_seconds > 0
                      ? std::min(refuse_seconds, kMaxRefuseSeconds)
                      : 0;
  refused_until_[pair] = clock_.now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::duration<double>(refuse));
  outstanding_.erase(pair);
  inverse_offers_.erase(it);
  return {};
}

maintenance::ClusterStatus MaintenanceBook::status() const {
  maintenance::ClusterStatus status;
  for (const auto& [key, info] : machines_) {
    if (info.mode() == v1::MachineInfo::DOWN) {
      *status.add_down_machines() = info.id();
      continue;
    }
    auto* draining = status.add_draining_machines();
    *draining->mutable_id() = info.id();
    auto answers = answers_.find(key);
    if (answers != answers_.end()) {
      for (const auto& [framework_id, answer] : answers->second) {
        *draining->add_statuses() = answer;
      }
    }
  }
  return status;
}

std::optional<v1::MachineInfo::Mode> MaintenanceBook::modeOf(const v1::MachineID& id) const {
  auto it = machines_.find(machineKey(normalized(id)));
  if (it == machines_.end()) {
    return std::nullopt;
  }
  return it->second.mode();
}

}  // namespace plateau::master
