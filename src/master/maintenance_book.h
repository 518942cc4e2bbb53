#pragma once

// The master's maintenance books (Mesos's maintenance primitives): the schedule of machines with
// their unavailability windows, each scheduled machine's mode, the agents on scheduled machines,
// and the inverse offers outstanding and answered. Guarantees:
//  - a machine is named by hostname (compared without case) and/or IPv4 address, appears at
//    most once in the schedule, and is in exactly one mode: DRAINING or DOWN while scheduled, UP
//    (no entry) otherwise;
//  - modes move only DRAINING -> DOWN (startMaintenance) and DOWN -> UP (stopMaintenance, which
//    also takes the machine out of the schedule); a new schedule keeps the modes of the machines
//    it keeps, starts new ones DRAINING and may not drop a DOWN machine;
//  - an agent on a DOWN machine is refused (refusesAgent), and the agents on a machine going
//    DOWN are named so that the master removes them;
//  - at most one inverse offer is outstanding per (agent, framework), and only while the
//    agent's machine is DRAINING; once it is answered, no other is due until the answer's
//    refuse_seconds have passed on the Clock; a changed window voids the answers and the
//    outstanding inverse offers of the agents it affects (returned to be rescinded).
// Pure logic: the master stores a plan's blobs in the registry before it applies the plan, and
// sends the events; errors in operator input come back as Status (kInvalidArgument). Time is
// read through the Clock only. Single-threaded: the master's loop thread.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mesos/v1/allocator/allocator.pb.h>
#include <mesos/v1/maintenance/maintenance.pb.h>
#include <mesos/v1/mesos.pb.h>

#include "common/status.h"
#include "runtime/clock.h"

namespace plateau::master {

class MaintenanceBook;

// The machines' state a change leads to, validated but not applied yet: the master stores
// scheduleBlob() and modesBlob() in the registry, then hands the plan back to the book.
class MaintenancePlan {
 public:
  // The serialized maintenance.Schedule and the modes (a maintenance.ClusterStatus listing the
  // DOWN machines), as the registry keeps them.
  std::string scheduleBlob() const { return schedule_.SerializeAsString(); }
  std::string modesBlob() const;
  const mesos::v1::maintenance::Schedule& schedule() const { return schedule_; }
  size_t machineCount() const { return machines_.size(); }
  // START_MAINTENANCE: the agents on the machines going DOWN, which the master removes.
  const std::vector<std::string>& agentsDown() const { return agents_down_; }
  // START or STOP_MAINTENANCE: the hostnames (lower-cased) of the machines changing mode.
  std::vector<std::string> hostnamesChanging() const;

 private:
  friend class MaintenanceBook;
  mesos::v1::maintenance::Schedule schedule_;
  std::map<std::string, mesos::v1::MachineInfo> machines_;  // machine key -> id, mode, window
  std::vector<std::string> changing_;                       // machine keys changing mode
  std::vector<std::string> agents_down_;
};

class MaintenanceBook {
 public:
  // What applying a new schedule asks of the master.
  struct ScheduleApplied {
    // Outstanding inverse offers voided by the change: (inverse offer id, framework id).
    std::vector<std::pair<std::string, std::string>> rescinded;
    // Agents whose machine's unavailability changed: their offers must be made again.
    std::set<std::string> reoffer;
  };

  explicit MaintenanceBook(const Clock& clock);

  // Restores the schedule and the DOWN machines from the registry's blobs (nullopt: none
  // stored), dropping every inverse offer and answer; the agents known stay known.
  // kInvalidArgument when a blob does not parse (the book is then left empty).
  Status recover(const std::optional<std::string>& schedule,
                 const std::optional<std::string>& modes);

  // UPDATE_MAINTENANCE_SCHEDULE: the schedule validated and normalized, or kInvalidArgument.
  Result<MaintenancePlan> planSchedule(mesos::v1::maintenance::Schedule schedule) const;
  // START_MAINTENANCE (down) / STOP_MAINTENANCE (up): the machines must be scheduled and
  // DRAINING (down) or DOWN (up); kInvalidArgument otherwise.
  Result<MaintenancePlan> planDown(
      const google::protobuf::RepeatedPtrField<mesos::v1::MachineID>& ids) const;
  Result<MaintenancePlan> planUp(
      const google::protobuf::RepeatedPtrField<mesos::v1::MachineID>& ids) const;
  // Applies a stored plan of planSchedule().
  ScheduleApplied applySchedule(const MaintenancePlan& plan);
  // Applies a stored plan of planDown() or planUp(): answers of the machines are dropped.
  void applyModes(const MaintenancePlan& plan);

  // True when the machine at (hostname, ip) is DOWN: an agent there may not register.
  bool refusesAgent(const std::string& hostname, const std::string& ip) const;
  // An agent registered or re-registered at (hostname, ip); it is placed on its scheduled
  // machine, if any.
  void agentAdded(const std::string& agent_id, const std::string& hostname, const std::string& ip);
  // An agent left: its inverse offers and answers' refusals go with it.
  void agentRemoved(const std::string& agent_id);
  void frameworkRemoved(const std::string& framework_id);
  // The unavailability of the agent's machine while it is scheduled; nullptr otherwise.
  const mesos::v1::Unavailability* unavailabilityOf(const std::string& agent_id) const;

  // The agents on DRAINING machines, in id order.
  std::vector<std::string> drainingAgents() const;
  // The unavailability to put in an inverse offer to `framework_id` for `agent_id` when one is
  // due now (agent draining, none outstanding, refuse_seconds passed); nullopt otherwise.
  std::optional<mesos::v1::Unavailability> inverseOfferDue(const std::string& agent_id,
                                                           const std::string& framework_id) const;
  // Records an inverse offer made under a new id to a pair inverseOfferDue() allowed.
  void inverseOfferSent(const std::string& inverse_offer_id, const std::string& agent_id,
                        const std::string& framework_id);
  // A framework accepted or declined an outstanding inverse offer: the answer shows in status()
  // and no other is due before `refuse_seconds` (<= 0 or not finite: none). kNotFound when the
  // id is not outstanding for this framework (the book is unchanged).
  Status answerInverseOffer(const std::string& framework_id, const std::string& inverse_offer_id,
                            bool accept, double refuse_seconds);

  const mesos::v1::maintenance::Schedule& schedule() const { return schedule_; }
  // DOWN machines, and DRAINING ones with the frameworks' latest answers.
  mesos::v1::maintenance::ClusterStatus status() const;
  // The mode of a scheduled machine; nullopt when it is UP (not scheduled).
  std::optional<mesos::v1::MachineInfo::Mode> modeOf(const mesos::v1::MachineID& id) const;
  size_t machineCount() const { return machines_.size(); }
  size_t outstandingInverseOffers() const { return inverse_offers_.size(); }

 private:
  using Pair = std::pair<std::string, std::string>;  // (agent id, framework id)

  Result<MaintenancePlan> planModes(
      const google::protobuf::RepeatedPtrField<mesos::v1::MachineID>& ids,
      mesos::v1::MachineInfo::Mode from) const;
  const std::string* machineOf(const mesos::v1::MachineID& address) const;
  // Puts the agent on its scheduled machine in placed_, or takes it out.
  void place(const std::string& agent_id, const mesos::v1::MachineID& address);
  void forgetInverseOffers(const std::function<bool(const Pair&)>& which);

  const Clock& clock_;
  mesos::v1::maintenance::Schedule schedule_;
  std::map<std::string, mesos::v1::MachineInfo> machines_;  // machine key -> id, mode, window
  // Machine key -> framework id -> its latest answer to an inverse offer for that machine.
  std::map<std::string, std::map<std::string, mesos::v1::allocator::InverseOfferStatus>> answers_;
  std::unordered_map<std::string, mesos::v1::MachineID> addresses_;  // every agent's, by id
  std::map<std::string, std::string> placed_;  // agents on scheduled machines -> machine key
  std::unordered_map<std::string, Pair> inverse_offers_;  // id -> (agent, framework)
  std::map<Pair, std::string> outstanding_;               // (agent, framework) -> id
  std::map<Pair, Clock::TimePoint> refused_until_;        // answered: none due before then
};

}  // namespace plateau::master
