#pragma once

// The master's maintenance books (see maintenance.cc): the schedule, each scheduled machine's
// mode, the agents on scheduled machines, and the inverse offers sent and answered.

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include <mesos/v1/allocator/allocator.pb.h>
#include <mesos/v1/maintenance/maintenance.pb.h>
#include <mesos/v1/mesos.pb.h>

namespace plateau::master {

// A machine's key: "hostname\x1fip" (hostname lower-cased; either part may be empty).
std::string machineKey(const mesos::v1::MachineID& id);

struct MaintenanceBooks {
  mesos::v1::maintenance::Schedule schedule;
  std::map<std::string, mesos::v1::MachineInfo> machines;  // scheduled: DRAINING or DOWN
  // Machine key -> framework id -> the framework's latest answer to an inverse offer.
  std::map<std::string, std::map<std::string, mesos::v1::allocator::InverseOfferStatus>> answers;
  // Agents on scheduled machines: agent id -> machine key. Kept as agents come and go.
  std::unordered_map<std::string, std::string> agent_machine;
  // Outstanding inverse offers: id -> (framework id, agent id).
  std::unordered_map<std::string, std::pair<std::string, std::string>> inverse_offers;
  // (agent id, framework id) pairs that got an inverse offer for the current window.
  std::set<std::pair<std::string, std::string>> sent;
  // (agent id, framework id) pairs that answered an inverse offer -> the time (seconds since
  // the epoch) before which they get no new one: the answer's refuse_seconds, as in Mesos,
  // after which the framework is asked again while the machine stays DRAINING.
  std::map<std::pair<std::string, std::string>, double> answered_until;
};

}  // namespace plateau::master
