#pragma once

// The hierarchical DRF allocator: pure logic that turns cluster events into resource offers.

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/resources.h"
#include "common/status.h"
#include "master/allocator/agent_filters.h"
#include "master/allocator/dense_bitset.h"
#include "master/allocator/drf_sorter.h"

namespace plateau::master::allocator {

struct Options {
  // Filter length used when a decline carries a negative refuse duration (Mesos falls back to
  // the default Filters.refuse_seconds for invalid values).
  std::chrono::milliseconds default_refuse{5000};
};

struct Offer {
  std::string framework_id;
  std::string agent_id;
  Resources resources;
};

// What the last allocate() did, for tests and metrics.
struct RoundStats {
  size_t agents_examined = 0;
  size_t offers = 0;
  size_t agents_with_expired_filters = 0;
};

// Hierarchical DRF, as Mesos's HierarchicalDRFAllocator: roles are sorted by weighted dominant
// share, then the frameworks within a role; an agent's free resources go, whole, to the first
// framework in that order that is active, not suppressed and not filtered for them. A framework's
// allocation (used resources plus outstanding offers) counts toward its share and its role's;
// shares are measured against the cluster total of cpus, mem, disk and gpus. A resource reserved
// for a role ("cpus(eng):2") is offered only to frameworks of that role.
//
// Incremental: allocate() fully examines only agents whose free resources changed or whose filters
// expired or were lifted. Every other agent is settled (no eligible framework could take it) and
// costs nothing, except that after frameworks become able to take offers (added, activated,
// unsuppressed) each agent with free resources is tried against those frameworks alone.
// Ids are strings at this boundary and dense integer handles inside.
//
// Not thread-safe: the master calls it from its one state thread. Time comes in as `now`.
class Allocator {
 public:
  explicit Allocator(Options options = {});

  // Adds an agent whose `used_by_framework` resources are already allocated (running tasks).
  // They may name frameworks not added yet (after a master failover); those count once added.
  // AlreadyExists for a known agent; InvalidArgument when the used resources exceed the total.
  Status addAgent(const std::string& agent_id, const Resources& total,
                  const std::vector<std::pair<std::string, Resources>>& used_by_framework);
  // Forgets the agent, its allocations (outstanding offers included) and its filters. NotFound.
  Status removeAgent(const std::string& agent_id);
  // An inactive agent (disconnected from the master) keeps its allocations but is offered to
  // nobody until activated again. NotFound.
  Status activateAgent(const std::string& agent_id);
  Status deactivateAgent(const std::string& agent_id);

  // AlreadyExists for a framework added before; InvalidArgument for an empty id or role.
  Status addFramework(const std::string& framework_id, const std::string& role, bool active = true);
  // Returns the framework's allocations to the free pool and drops its filters. NotFound.
  Status removeFramework(const std::string& framework_id);
  // An inactive framework keeps its allocation but gets no offers. Deactivation drops the
  // framework's filters, as in Mesos. NotFound.
  Status activateFramework(const std::string& framework_id);
  Status deactivateFramework(const std::string& framework_id);
  // A suppressed framework gets no offers until revive(), which also drops its filters. NotFound.
  Status suppress(const std::string& framework_id);
  Status revive(const std::string& framework_id);

  // Sets a role's weight, now or for when the role appears. InvalidArgument unless finite and
  // positive.
  Status setWeight(const std::string& role, double weight);

  // Resources allocated to a framework on an agent come back: an offer declined or rescinded, or a
  // task ended. With a positive `refuse` the framework is not offered resources on that agent that
  // these resources contain until now + refuse (saturating: huge durations mean "for ever"); a
  // negative one means Options::default_refuse; none or zero installs no filter.
  // NotFound for an unknown framework or agent (either may have been removed meanwhile);
  // FailedPrecondition when the framework holds less than `resources` there.
  Status recoverResources(const std::string& framework_id, const std::string& agent_id,
                          const Resources& resources,
                          std::optional<std::chrono::nanoseconds> refuse, TimePoint now);

  // One batched round: drops filters that expired by `now`, then offers each examined agent's free
  // resources to the framework first in DRF order. Offered resources count as allocated until
  // recovered. At most one offer per framework and agent per round.
  std::vector<Offer> allocate(TimePoint now);

  // Sum over agents of what the framework holds. NotFound.
  Result<Resources> allocation(const std::string& framework_id) const;
  // The agent's free resources. NotFound.
  Result<Resources> available(const std::string& agent_id) const;
  // Unweighted dominant shares of the cluster total. NotFound.
  Result<double> frameworkShare(const std::string& framework_id) const;
  Result<double> roleShare(const std::string& role) const;
  const RoundStats& lastRound() const { return last_round_; }
  size_t agentCount() const { return agent_ids_.size(); }
  size_t frameworkCount() const { return framework_ids_.size(); }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Agent {
    std::string id;
    Resources total;
    Resources free;
    ResourceVector total_vector;
    std::vector<std::pair<uint32_t, Resources>> allocations;  // by framework handle
    AgentFilters filters;
    TimePoint next_expiry = TimePoint::max();
    bool live = false;
    bool active = true;
  };

  // A framework with role == kNone was only named by an agent's used resources so far.
  struct Framework {
    std::string id;
    uint32_t role = kNone;
    DrfSorter::Handle client = 0;  // in roles_[role].frameworks
    bool active = false;
    bool suppressed = false;
    ResourceVector allocated;
    DenseBitset agents_used;
    DenseBitset agents_filtered;
    bool live = false;
  };

  struct Role {
    std::string name;
    DrfSorter frameworks;
    std::vector<uint32_t> framework_of_client;  // frameworks' sorter handle -> framework handle
    DrfSorter::Handle client = 0;               // in role_sorter_
    uint32_t members = 0;
    uint32_t eligible = 0;
    bool live = false;
  };

  std::optional<uint32_t> findAgent(const std::string& agent_id) const;
  // Any framework record, placeholders included.
  std::optional<uint32_t> findFramework(const std::string& framework_id) const;
  // Only frameworks added through addFramework().
  std::optional<uint32_t> findAddedFramework(const std::string& framework_id) const;
  uint32_t frameworkOrPlaceholder(const std::string& framework_id);
  uint32_t roleFor(const std::string& name);
  void releaseRole(uint32_t role);
  void forgetIfPlaceholder(uint32_t framework);

  bool eligible(const Framework& framework) const;
  // Brings the sorters in line after a change of eligible() from `before`; true if it rose, in
  // which case the framework is also queued in newly_eligible_.
  bool updateEligibility(uint32_t framework, bool before);
  // Sets an eligibility flag (active, suppressed) of an added framework: its handle and whether
  // it became eligible. NotFound for an unknown framework.
  Result<std::pair<uint32_t, bool>> setFrameworkFlag(const std::string& framework_id,
                                                     bool Framework::*flag, bool value);

  // Allocation bookkeeping; the caller adjusts the agent's free resources.
  void addAllocation(uint32_t framework, uint32_t agent, const Resources& resources);
  void removeAllocation(uint32_t framework, uint32_t agent, const Resources& resources);

  void addFilter(uint32_t framework, uint32_t agent, const Resources& refused,
                 std::chrono::nanoseconds duration, TimePoint now);
  void clearFilters(uint32_t framework);
  void expireFilters(TimePoint now);

  void markDirty(uint32_t agent);
  void syncTotals();
  // Offers the agent's free resources in DRF order, walking the sorters.
  void examine(uint32_t agent, std::vector<Offer>& offers);
  // The same, for a settled agent that only `candidates` (eligible frameworks) might take.
  void examineFor(uint32_t agent, const std::vector<uint32_t>& candidates,
                  std::vector<Offer>& offers);
  // Whether framework x comes before y in DRF order (role first, then framework).
  bool precedes(uint32_t x, uint32_t y);
  void offer(uint32_t agent, uint32_t framework, Resources resources, std::vector<Offer>& offers);

  Options options_;
  std::vector<Agent> agents_;
  std::vector<uint32_t> free_agents_;
  std::unordered_map<std::string, uint32_t> agent_ids_;
  std::vector<Framework> frameworks_;
  std::vector<uint32_t> free_frameworks_;
  std::unordered_map<std::string, uint32_t> framework_ids_;
  std::vector<Role> roles_;
  std::vector<uint32_t> free_roles_;
  std::unordered_map<std::string, uint32_t> role_ids_;
  std::vector<uint32_t> role_of_client_;  // role_sorter_ handle -> role handle
  std::unordered_map<std::string, double> weights_;
  DrfSorter role_sorter_;

  ResourceVector cluster_total_;
  bool totals_changed_ = false;
  // Agents to examine next round (each once): their free resources or filters changed.
  std::vector<uint32_t> dirty_agents_;
  std::vector<uint8_t> in_dirty_;
  // Frameworks that became able to take offers since the last round (added, activated,
  // unsuppressed); settled agents are tried against these only.
  std::vector<uint32_t> newly_eligible_;
  // (earliest filter expiry, agent) for agents with a finite filter.
  std::set<std::pair<TimePoint, uint32_t>> expiries_;
  RoundStats last_round_;
};

}  // namespace plateau::master::allocator
