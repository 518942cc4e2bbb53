#pragma once

// One allocation round: offers the free resources of the agents that need a look to the seats
// first in the hierarchical DRF order.
//
// Stage 1 offers roles below their quota guarantee (least satisfied first) what they are still
// guaranteed on the agent; stage 2 offers everything left in DRF order, within limits and
// headroom. Agents that did not change since the last round are settled and only tried against
// seats that became eligible since then.
//
// Guarantees: an AllocationRound lives for one Allocator::allocate() call and owns only that
// round's state (the stage-1 list and, per offer, a CandidateCache). It changes agents' free
// resources, always handing what it takes off them to `grant`, which must book the allocation at
// once (stage 1 relies on consumption growing within the round); all else it reads or changes
// through the owning classes' interfaces.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "common/resources.h"
#include "master/allocator/allocator_types.h"
#include "master/allocator/examine_queue.h"
#include "master/allocator/filter_book.h"
#include "master/allocator/handle_table.h"
#include "master/allocator/offer_rules.h"
#include "master/allocator/quota.h"
#include "master/allocator/records.h"
#include "master/allocator/role_tree.h"

namespace plateau::master::allocator {

// Marks dirty every live agent with free resources.
void markAllWithFree(const HandleTable<Agent>& agents, ExamineQueue& queue);

// What stage 2 knows of one agent's free resources while it walks the seats for one offer.
struct CandidateCache {
  bool simple = false;      // no quota and no refined reservation: seats take entries whole
  bool unreserved = false;  // every free resource is unreserved
  bool filtered = false;    // some seat holds a filter on the agent
  // Simple, with reservations: the distinct roles reserved for, whether some entry is
  // unreserved, and (by_handle: all of them are in the tree) those roles as handles.
  std::vector<std::string_view> reserved_roles;
  bool has_unreserved = false;
  std::vector<uint32_t> reserved_handles;
  bool by_handle = false;
  // The unreserved part, all that a role with none of the reservations may take; the pointer is
  // set once known (possibly into the filters' prepared copy).
  Resources unreserved_part;
  const Resources* unreserved_ready = nullptr;
  // The candidate of the last role looked at, and which refused sets contain it.
  uint32_t cached_role = kNone;
  bool cached_revocable = false;  // the candidate was made for a REVOCABLE_RESOURCES framework
  Resources cached;
  bool cached_reserved = false;  // cached_role may use some reserved entries
  std::vector<int8_t> cached_memo;
  // The pick: everything free, or (capped path) `chosen`.
  bool take_all = false;
  Resources chosen;
};

class AllocationRound {
 public:
  // Books `resources`, already taken off the agent's free resources, as offered to the seat.
  using Grant = std::function<void(uint32_t agent, uint32_t seat, Resources resources)>;

  AllocationRound(HandleTable<Agent>& agents, RoleTree& tree, QuotaBook& quota, FilterBook& filters,
                  OfferRules& rules, ExamineQueue& queue, RoundStats& stats, Grant grant)
      : agents_(agents),
        tree_(tree),
        quota_(quota),
        filters_(filters),
        rules_(rules),
        queue_(queue),
        stats_(stats),
        grant_(std::move(grant)) {}

  // Examines the queued agents, then tries settled agents against newly eligible seats: at most
  // `max_agents` in all, leaving the rest queued (ExamineQueue) for the next round.
  void run(size_t max_agents);

 private:
  // Newly eligible seats still live and eligible.
  std::vector<uint32_t> newcomers();
  void examine(uint32_t agent);
  // Stage 1.
  void offerGuarantees(uint32_t agent, bool& clipped);
  // Stage 2.
  void offerRest(uint32_t agent, bool& clipped);
  CandidateCache scanFree(uint32_t agent, bool simple);
  bool mayEnter(const CandidateCache& c, uint32_t role, bool own_seats) const;
  uint32_t pickRest(uint32_t agent, CandidateCache& c, bool& clipped);
  bool accepts(uint32_t agent, uint32_t seat, CandidateCache& c, bool& clipped);
  bool acceptsWhole(uint32_t agent, uint32_t seat, CandidateCache& c);
  bool acceptsSimple(uint32_t agent, uint32_t seat, CandidateCache& c);
  bool acceptsCapped(uint32_t agent, uint32_t seat, CandidateCache& c, bool& clipped);
  const Resources& unreservedPart(uint32_t agent, CandidateCache& c);
  Resources takeChosen(uint32_t agent, uint32_t seat, CandidateCache& c);
  // Settled agents and newly eligible seats.
  // Continues the queue's sweep for newly eligible seats over at most `max_agents` agents.
  void sweep(size_t max_agents);
  void examineFor(uint32_t agent, const std::vector<uint32_t>& candidates);
  uint32_t bestNewcomer(uint32_t agent, const std::vector<uint32_t>& candidates, bool unreserved,
                        bool filtered, Resources& best_resources);

  HandleTable<Agent>& agents_;
  RoleTree& tree_;
  QuotaBook& quota_;
  FilterBook& filters_;
  OfferRules& rules_;
  ExamineQueue& queue_;
  RoundStats& stats_;
  Grant grant_;
  // Roles below their guarantee, least satisfied first; a role met is dropped.
  std::vector<uint32_t> stage1_;
};

}  // namespace plateau::master::allocator
