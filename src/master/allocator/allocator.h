#pragma once

// The hierarchical DRF allocator: pure logic that turns cluster events into resource offers.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/resources.h"
#include "common/status.h"
#include "master/allocator/agent_filters.h"
#include "master/allocator/allocator_types.h"
#include "master/allocator/dense_bitset.h"
#include "master/allocator/drf_sorter.h"
#include "master/allocator/offer_constraints.h"
#include "master/allocator/reservation_rules.h"

namespace plateau::master::allocator {

// Hierarchical DRF, as Mesos's HierarchicalDRFAllocator (1.9+ semantics).
//
// Roles form a tree by their '/'-separated names: siblings are sorted by weighted dominant share
// within their parent, a role's share includes its sub-roles' allocations, and a role's own
// frameworks compete with its sub-roles as one more child. A framework takes part once per role it
// is subscribed to (a "seat"); allocations, filters and suppression are per seat, and each offer
// names its role. An agent's free resources go to the first seat in that order that is eligible
// (framework active, role not suppressed), not filtered for them, able to use GPUs when the agent
// has some, and for which they meet the minimum allocatable resources. Resources reserved for a
// role are offered only to seats of that role and its sub-roles.
//
// Quota: first every role below its guarantee (least satisfied first) is offered what it is
// still guaranteed on the agent; then everything left goes in DRF order. Limits cap a role (with
// its sub-roles) even on an idle cluster; consumption counts allocations plus unallocated
// reservations. Unreserved resources that roles still need for their guarantees (headroom) are not
// offered to others.
//
// Incremental: allocate() fully examines only agents whose free resources changed, whose filters
// expired or were lifted, or on which quota held resources back before something changed. Every
// other agent is settled (no eligible seat could take it) and costs nothing, except that after
// seats become eligible (added, activated, unsuppressed) each agent with free resources is tried
// against those seats alone. Ids are strings at this boundary and dense integer handles inside.
//
// Not thread-safe: the master calls it from its one state thread. Time comes in as `now`.
class Allocator {
 public:
  explicit Allocator(Options options = {});

  // Adds an agent whose `used` resources are already allocated (running tasks and executors).
  // They may name frameworks not added yet (after a master failover); those count for their role
  // at once and for the framework once added. AlreadyExists for a known agent; InvalidArgument
  // when the used resources exceed the total or name an empty framework id or role.
  Status addAgent(const std::string& agent_id, const Resources& total,
                  const std::vector<Allocation>& used, AgentLabels labels = {});
  // The agent's total changed in its free part (operator RESERVE / UNRESERVE / CREATE / DESTROY
  // on unallocated resources). InvalidArgument when the new total does not hold what is
  // allocated. NotFound.
  Status updateAgentTotal(const std::string& agent_id, const Resources& total);
  // Forgets the agent, its allocations (outstanding offers included) and its filters. NotFound.
  Status removeAgent(const std::string& agent_id);
  // An inactive agent (disconnected from the master) keeps its allocations but is offered to
  // nobody until activated again. NotFound.
  Status activateAgent(const std::string& agent_id);
  Status deactivateAgent(const std::string& agent_id);

  // AlreadyExists for a framework added before; InvalidArgument for an empty id, no role or an
  // invalid role name.
  Status addFramework(const std::string& framework_id, const FrameworkSpec& spec,
                      bool active = true);
  // UPDATE_FRAMEWORK: new roles, suppressed roles, capabilities, minimum offer sizes. Allocations
  // in a role the framework leaves stay tracked until recovered. NotFound; InvalidArgument.
  Status updateFramework(const std::string& framework_id, const FrameworkSpec& spec);
  // Returns the framework's allocations to the free pool and drops its filters. NotFound.
  Status removeFramework(const std::string& framework_id);
  // An inactive framework keeps its allocation but gets no offers. Deactivation drops the
  // framework's filters, as in Mesos. NotFound.
  Status activateFramework(const std::string& framework_id);
  Status deactivateFramework(const std::string& framework_id);
  // A suppressed role of a framework gets no offers until revive(), which also drops the
  // framework's filters in that role. An empty set means all the framework's roles. NotFound.
  Status suppress(const std::string& framework_id, const std::set<std::string>& roles = {});
  Status revive(const std::string& framework_id, const std::set<std::string>& roles = {});

  // Sets or (with an empty quota) removes a role's quota. InvalidArgument for a bad role name,
  // a resource other than cpus, mem, disk or gpus, or a guarantee above the limit.
  Status setQuota(const std::string& role, const Quota& quota);

  // Sets a role's weight, now or for when the role appears. InvalidArgument unless finite and
  // positive.
  Status setWeight(const std::string& role, double weight);

  // Resources allocated to a framework (in `role`) on an agent come back: an offer declined or
  // rescinded, or a task ended. With a positive `refuse` the framework is not offered resources
  // on that agent in that role that these resources contain until now + refuse (saturating: huge
  // durations mean "for ever"); a negative one means Options::default_refuse; none or zero
  // installs no filter. NotFound for an unknown framework or agent (either may have been removed
  // meanwhile); FailedPrecondition when the framework holds less than `resources` there.
  Status recoverResources(const std::string& framework_id, const std::string& role,
                          const std::string& agent_id, const Resources& resources,
                          std::optional<std::chrono::nanoseconds> refuse, TimePoint now);
  // An offer operation (RESERVE, UNRESERVE, CREATE, DESTROY) turned resources the framework holds
  // on the agent in `role` from `from` into `to`; the agent's total changes the same way.
  // NotFound; FailedPrecondition when the framework does not hold `from` there.
  Status updateAllocation(const std::string& framework_id, const std::string& role,
                          const std::string& agent_id, const Resources& from, const Resources& to);

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
  // Why the framework does (not) get offers: one explanation per role it is subscribed to.
  // NotFound.
  Result<std::vector<Explanation>> explainFramework(const std::string& framework_id) const;
  // The same for a role as a whole. NotFound for a role nothing refers to.
  Result<Explanation> explainRole(const std::string& role) const;
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
    ResourceVector unreserved_vector;                         // unreserved part of total_vector
    std::vector<std::pair<uint32_t, Resources>> allocations;  // by seat handle
    AgentFilters filters;                                     // by seat handle
    TimePoint next_expiry = TimePoint::max();
    bool has_gpus = false;
    bool live = false;
    bool active = true;
    AgentLabels labels;  // what offer constraints look at
  };

  // A framework in one of its roles: the unit that is sorted, filtered, suppressed and offered
  // to. A seat that is not subscribed (a role the framework left, or a framework only named by
  // an agent's used resources so far) only carries allocations until they are recovered.
  struct Seat {
    uint32_t framework = kNone;
    uint32_t role = kNone;
    DrfSorter::Handle client = 0;  // in roles_[role].frameworks
    bool subscribed = false;
    bool suppressed = false;
    bool eligible = false;
    bool constrained = false;  // its framework has offer constraints for its role
    ResourceVector allocated;
    DenseBitset agents_used;
    DenseBitset agents_filtered;
    uint64_t offered_round = 0;
    bool live = false;
  };

  struct Framework {
    std::string id;
    FrameworkSpec spec;
    std::vector<uint32_t> seats;
    bool added = false;  // through addFramework(); otherwise a placeholder
    bool active = false;
    bool live = false;
  };

  // A node of the role tree; roles_[kRoot] is the root, whose children are the top-level roles.
  // Each node's `children` sorter holds its child roles and a "." leaf for its own seats, so that
  // a role's share includes its sub-roles' allocations and siblings compete within their parent.
  struct Role {
    std::string name;
    uint32_t parent = kNone;
    uint32_t child_count = 0;
    DrfSorter children;
    std::vector<uint32_t> role_of_child;  // children handle -> role handle (kNone: the leaf)
    DrfSorter::Handle self = 0;           // the "." leaf in `children`
    DrfSorter::Handle client = 0;         // in roles_[parent].children
    DrfSorter frameworks;
    std::vector<uint32_t> seat_of_client;  // frameworks handle -> seat handle
    uint32_t seats = 0;
    uint32_t eligible_self = 0;
    uint32_t eligible_subtree = 0;
    ResourceVector allocated;           // subtree, all seats
    ResourceVector reserved;            // reserved for roles in the subtree, allocated or not
    ResourceVector reserved_allocated;  // the allocated part of `reserved`
    bool has_quota = false;
    ResourceVector guarantee;
    Caps limit{};  // INT64_MAX where none
    bool live = false;
  };
  static constexpr uint32_t kRoot = 0;

  std::optional<uint32_t> findAgent(const std::string& agent_id) const;
  std::optional<uint32_t> findFramework(const std::string& framework_id) const;
  std::optional<uint32_t> findAddedFramework(const std::string& framework_id) const;
  std::optional<uint32_t> findRole(const std::string& name) const;
  std::optional<uint32_t> findSeat(uint32_t framework, uint32_t role) const;
  uint32_t frameworkOrPlaceholder(const std::string& framework_id);
  uint32_t roleFor(const std::string& name);
  void maybeReleaseRole(uint32_t role);
  uint32_t seatFor(uint32_t framework, const std::string& role);
  void maybeReleaseSeat(uint32_t seat);
  void maybeForgetFramework(uint32_t framework);

  void setEligible(uint32_t seat, bool eligible);
  void refreshEligibility(uint32_t seat);
  Status applySpec(uint32_t framework, const FrameworkSpec& spec);

  void addAllocation(uint32_t seat, uint32_t agent, const Resources& resources);
  void removeAllocation(uint32_t seat, uint32_t agent, const Resources& resources);
  void trackReserved(const Resources& resources, bool allocated, bool add);
  void trackTotal(Agent& agent, bool add);

  void addFilter(uint32_t seat, uint32_t agent, const Resources& refused,
                 std::chrono::nanoseconds duration, TimePoint now);
  void clearFilters(uint32_t seat);
  void expireFilters(TimePoint now);

  void markDirty(uint32_t agent);
  void markAllWithFree();
  void syncTotals();

  // Quota state.
  ResourceVector consumed(const Role& role) const;
  ResourceVector unmet(const Role& role) const;
  // The outermost role with a guarantee on the path from the root to `role`, or kNone.
  uint32_t topGuaranteed(uint32_t role) const;
  ResourceVector computeRequired() const;
  void refreshRequired();
  ResourceVector surplusFrom(const ResourceVector& required) const;
  bool guaranteeUnmet(const Role& role) const;
  ResourceVector surplusHeadroom();
  // Caps from the limits of the role and its ancestors.
  Caps limitCaps(uint32_t role) const;
  // What the seat would be offered of the agent's free resources in stage 1 (for `quota_role`)
  // or stage 2 (quota_role == kNone), before filters; sets `clipped` when quota or headroom held
  // something back.
  Resources candidateFor(const Agent& agent, uint32_t seat, uint32_t quota_role, bool& clipped);
  bool meetsMinimum(const Seat& seat, const Resources& offered) const;
  bool gpuBlocked(const Agent& agent, const Seat& seat) const;
  // The seat's offer constraints exclude the agent.
  bool constrainedOut(const Agent& agent, const Seat& seat) const;

  // Walks the role subtree under `node` in DRF order and returns the first seat for which
  // pred(seat) is true, or kNone.
  template <class Pred>
  uint32_t pickSeat(uint32_t node, Pred& pred);
  // The same, skipping each role subtree for which enter(role, false) is false and each role's
  // own seats when enter(role, true) is false.
  template <class Pred, class Enter>
  uint32_t pickSeat(uint32_t node, Pred& pred, Enter& enter);
  void examine(uint32_t agent, std::vector<Offer>& offers);
  // For a settled agent that only `candidates` (newly eligible seats) might take.
  void examineFor(uint32_t agent, const std::vector<uint32_t>& candidates,
                  std::vector<Offer>& offers);
  bool precedes(uint32_t x, uint32_t y);
  void offer(uint32_t agent, uint32_t seat, Resources resources, std::vector<Offer>& offers);
  Explanation explainSeat(uint32_t seat) const;

  Options options_;
  std::vector<Agent> agents_;
  std::vector<uint32_t> free_agents_;
  std::unordered_map<std::string, uint32_t> agent_ids_;
  std::vector<Framework> frameworks_;
  std::vector<uint32_t> free_frameworks_;
  std::unordered_map<std::string, uint32_t> framework_ids_;
  std::vector<Seat> seats_;
  std::vector<uint32_t> free_seats_;
  std::vector<Role> roles_;
  std::vector<uint32_t> free_roles_;
  std::unordered_map<std::string, uint32_t> role_ids_;
  std::unordered_map<std::string, double> weights_;
  std::vector<uint32_t> quota_roles_;  // roles with a quota
  size_t limited_roles_ = 0;           // of which with a limit
  // What the outermost roles with a guarantee still miss of it, summed (kept up to date by
  // allocation changes; recomputed when stale after quota or reservation changes).
  ResourceVector required_;
  bool required_stale_ = false;
  // This round's roles below their guarantee, least satisfied first (stage 1).
  std::vector<uint32_t> stage1_;

  ResourceVector cluster_total_;
  ResourceVector cluster_unreserved_;
  ResourceVector allocated_unreserved_;
  bool totals_changed_ = false;
  std::vector<uint32_t> dirty_agents_;
  std::vector<uint8_t> in_dirty_;
  std::vector<uint32_t> newly_eligible_;  // seats
  // Agents where quota limits or headroom held resources back; re-examined after a change that
  // may relax them.
  std::vector<uint32_t> quota_blocked_;
  DenseBitset in_quota_blocked_;
  bool quota_relaxed_ = false;
  std::set<std::pair<TimePoint, uint32_t>> expiries_;
  uint64_t round_ = 0;
  RoundStats last_round_;
};

}  // namespace plateau::master::allocator
