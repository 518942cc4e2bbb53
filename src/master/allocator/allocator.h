#pragma once

// The hierarchical DRF allocator: pure logic that turns cluster events into resource offers.
//
// Allocator is the facade the master calls. It owns every part and keeps them consistent:
// the agent records (records.h) in a handle table (handle_table.h), the frameworks
// (frameworks.h), the role tree and its seats (role_tree.h), quota and headroom (quota.h), offer
// filters and their expiry (filter_book.h), the queue of what the next round must examine
// (examine_queue.h) and the rules of what a seat may be offered (offer_rules.h). allocate() runs an
// AllocationRound (allocation_round.h); explanations come from an Explainer (explanations.h). The
// value types at this boundary are in allocator_types.h.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/resources.h"
#include "common/status.h"
#include "master/allocator/allocator_types.h"
#include "master/allocator/examine_queue.h"
#include "master/allocator/filter_book.h"
#include "master/allocator/frameworks.h"
#include "master/allocator/handle_table.h"
#include "master/allocator/offer_rules.h"
#include "master/allocator/quota.h"
#include "master/allocator/records.h"
#include "master/allocator/role_tree.h"

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
// role are offered only to seats of that role and its sub-roles. Revocable (oversubscribed)
// resources are offered only to REVOCABLE_RESOURCES frameworks, outside quota guarantees, and
// count in no dominant share, quota consumption or headroom.
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
  // Its parts refer to one another: an Allocator stays where it was made.
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  // Adds an agent whose `used` resources are already allocated (running tasks and executors).
  // They may name frameworks not added yet (after a master failover); those count for their role
  // at once and for the framework once added. AlreadyExists for a known agent; InvalidArgument
  // when the used resources exceed the total or name an empty framework id or role.
  Status addAgent(const std::string& agent_id, const Resources& total,
                  const std::vector<Allocation>& used, AgentLabels labels = {});
  // The agent's total changed in its free part (operator RESERVE / UNRESERVE / CREATE / DESTROY
  // on unallocated resources). Only its non-revocable part counts: the oversubscribed resources
  // stay as updateOversubscribed() last set them. InvalidArgument when the new total does not
  // hold what is allocated. NotFound.
  Status updateAgentTotal(const std::string& agent_id, const Resources& total);
  // The agent's oversubscribed (revocable) resources are now `revocable` (all of them, in use or
  // not; Mesos's UpdateSlaveMessage). Its non-revocable total stays; revocable resources in use
  // beyond the new estimate stay allocated until recovered, and none are free meanwhile.
  // updateAgentTotal() keeps the revocable part. InvalidArgument when some entry is not
  // revocable. NotFound.
  Status updateOversubscribed(const std::string& agent_id, const Resources& revocable);
  // The agent's hostname, fault domain or attributes changed (it re-registered after an additive
  // reconfiguration): offer constraints, the region rule and the whitelist look at `labels` from
  // now on, and its free resources are examined again at the next allocation. NotFound.
  Status updateAgentLabels(const std::string& agent_id, AgentLabels labels);
  // Forgets the agent, its allocations (outstanding offers included) and its filters. NotFound.
  Status removeAgent(const std::string& agent_id);
  // An inactive agent (disconnected from the master) keeps its allocations but is offered to
  // nobody until activated again. NotFound.
  Status activateAgent(const std::string& agent_id);
  Status deactivateAgent(const std::string& agent_id);
  // Mesos's --whitelist: from now on only agents whose hostname is in `hostnames` are offered
  // (nullopt: every agent; an empty set: none). Agents keep what they have allocated. Costs one
  // pass over the agents, for a whitelist that changes rarely.
  void updateWhitelist(std::optional<std::set<std::string>> hostnames);

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
  // Back-pressure: a paused framework gets no offers until resumed (its event stream lags behind,
  // and offers are the one kind of event that can wait). Unlike deactivation it keeps its
  // filters; resuming makes its seats eligible again. Idempotent. NotFound.
  Status pauseOffers(const std::string& framework_id, bool paused);
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
  // The same round in slices: examines at most `max_agents` agents (at least one) and leaves the
  // rest of its work queued, so that a caller on an event loop can serve other events between
  // slices. pending() says whether work is left; the next allocate() continues it first (agents
  // queued earlier are examined first). Events between slices are handled as between rounds.
  std::vector<Offer> allocate(TimePoint now, size_t max_agents);
  bool pending() const;

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
  size_t agentCount() const { return agents_.size(); }
  size_t frameworkCount() const { return frameworks_.size(); }

 private:
  void addAllocation(uint32_t seat, uint32_t agent, const Resources& resources);
  void removeAllocation(uint32_t seat, uint32_t agent, const Resources& resources);
  void trackTotal(const Agent& agent, bool add);
  // The agent's free revocable resources become its revocable total less those allocated.
  void clampRevocableFree(Agent& agent);
  // Finds the framework, agent and seat, and checks that the seat holds `resources` there.
  Status checkHolds(const std::string& framework_id, const std::string& role,
                    const std::string& agent_id, const Resources& resources,
                    uint32_t& framework_out, uint32_t& agent_out, uint32_t& seat_out) const;
  void offer(uint32_t agent, uint32_t seat, Resources resources, std::vector<Offer>& offers);
  // The sorters refresh cached shares lazily, which explanations (const) may trigger.
  RoleTree& sorted() const { return const_cast<RoleTree&>(tree_); }

  Options options_;
  HandleTable<Agent> agents_;
  RoleTree tree_;
  QuotaBook quota_{tree_};
  FilterBook filters_;
  ExamineQueue queue_;
  FrameworkBook frameworks_{tree_, filters_, queue_};
  OfferRules rules_{options_, tree_, frameworks_.table(), quota_};
  uint64_t round_ = 0;
  RoundStats last_round_;
  std::optional<std::set<std::string>> whitelist_;  // nullopt: no whitelist
};

}  // namespace plateau::master::allocator
