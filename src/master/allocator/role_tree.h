#pragma once

// The role tree of the hierarchical DRF allocator and its seats.
//
// Roles form a tree by their '/'-separated names under an unnamed root (kRoot). Each role's
// `children` sorter holds its child roles and a "." leaf for its own seats, so that a role's share
// includes its sub-roles' allocations and siblings compete within their parent. A seat is a
// framework in one of its roles: the unit that is sorted (in its role's `frameworks` sorter),
// filtered, suppressed and offered to.
//
// Guarantees (RoleTree alone writes roles and seats; others read them through role() and seat()):
// - a role exists while it has seats, child roles, a pin (quota), reservations or allocations, and
//   so do its ancestors; the root always exists and has no name;
// - a role's `allocated` is the sum of its subtree's seats' allocations, and every sorter holds the
//   same allocations (sub-role: its subtree; "." leaf: the role's own seats);
// - `reserved` (`reserved_allocated`) sums the reservations (allocated ones) for the subtree;
// - a sorter client is active exactly when the seat is eligible, or the subtree behind it holds an
//   eligible seat (eligible_self, eligible_subtree count them);
// - sorter totals equal total() after syncTotals().

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/resources.h"
#include "common/status.h"
#include "master/allocator/dense_bitset.h"
#include "master/allocator/drf_sorter.h"
#include "master/allocator/handle_table.h"

namespace plateau::master::allocator {

class RoleTree {
 public:
  static constexpr uint32_t kRoot = 0;

  struct Role {
    uint32_t parent = kNone;
    uint32_t child_count = 0;
    DrfSorter children;
    std::vector<uint32_t> role_of_child;  // children handle -> role handle (kNone: the leaf)
    DrfSorter::Handle self = 0;           // the "." leaf in `children`
    DrfSorter::Handle client = 0;         // in role(parent).children
    DrfSorter frameworks;
    std::vector<uint32_t> seat_of_client;  // frameworks handle -> seat handle
    uint32_t seats = 0;
    uint32_t eligible_self = 0;
    uint32_t eligible_subtree = 0;
    ResourceVector allocated;           // subtree, all seats
    ResourceVector reserved;            // reserved for roles in the subtree, allocated or not
    ResourceVector reserved_allocated;  // the allocated part of `reserved`
    bool pinned = false;                // kept while it has a quota
  };

  // A seat that is not subscribed (a role the framework left, or a framework only named by an
  // agent's used resources so far) only carries allocations until they are recovered.
  struct Seat {
    uint32_t framework = kNone;
    uint32_t role = kNone;
    DrfSorter::Handle client = 0;  // in role(role).frameworks
    bool subscribed = false;
    bool suppressed = false;
    bool eligible = false;
    bool constrained = false;  // its framework has offer constraints for its role
    ResourceVector allocated;
    DenseBitset agents_used;
    uint64_t offered_round = 0;
  };

  RoleTree();

  // Roles.
  std::optional<uint32_t> find(const std::string& name) const;
  // The role of that (valid) name, created with its ancestors when missing.
  uint32_t roleFor(const std::string& name);
  // Releases the role and then its ancestors while nothing keeps them.
  void maybeRelease(uint32_t role);
  const Role& role(uint32_t handle) const { return roles_[handle]; }
  const std::string& name(uint32_t handle) const { return roles_.id(handle); }
  void setPinned(uint32_t role, bool pinned) { roles_[role].pinned = pinned; }
  // Sets the weight of a (valid) role name, now or for when the role appears.
  Status setWeight(const std::string& name, double weight);
  // Allocations plus unallocated reservations of the subtree.
  ResourceVector consumed(uint32_t handle) const {
    const Role& role = roles_[handle];
    ResourceVector result = role.allocated;
    result += role.reserved;
    result -= role.reserved_allocated;
    return result;
  }
  // Whether `role` is `ancestor` or below it (kNone is under nothing).
  bool isUnder(uint32_t role, uint32_t ancestor) const {
    for (uint32_t r = role; r != kRoot && r != kNone; r = roles_[r].parent) {
      if (r == ancestor) {
        return true;
      }
    }
    return false;
  }

  // Seats.
  std::optional<uint32_t> findSeat(const std::vector<uint32_t>& seats, uint32_t role) const;
  uint32_t addSeat(uint32_t framework, const std::string& framework_id, uint32_t role);
  // A live seat that is not subscribed and holds nothing may go.
  bool releasable(uint32_t seat) const;
  // Forgets an ineligible seat and releases its role if nothing else keeps it.
  void releaseSeat(uint32_t seat);
  const Seat& seat(uint32_t handle) const { return seats_[handle]; }
  bool seatLive(uint32_t handle) const { return seats_.live(handle); }
  uint32_t seatBound() const { return seats_.bound(); }
  void subscribe(uint32_t seat, bool subscribed, bool suppressed, bool constrained);
  void setSuppressed(uint32_t seat, bool suppressed) { seats_[seat].suppressed = suppressed; }
  // True when the seat became eligible.
  bool setEligible(uint32_t seat, bool eligible);
  void markOffered(uint32_t seat, uint64_t round) { seats_[seat].offered_round = round; }
  void setUsesAgent(uint32_t seat, uint32_t agent, bool uses);
  void clearAgentsUsed(uint32_t seat) { seats_[seat].agents_used.clear(); }

  // Allocation accounting: the seat's, its role's and its ancestors' sorters and sums.
  void allocate(uint32_t seat, const ResourceVector& vector);
  void unallocate(uint32_t seat, const ResourceVector& vector);
  // Adds or subtracts the scalar reservations in `resources` (for roles created as needed).
  void trackReserved(const Resources& resources, bool allocated, bool add);
  void addTotal(const ResourceVector& total, bool add);
  const ResourceVector& total() const { return total_; }
  // Hands a changed total to every sorter.
  void syncTotals();
  // Mesos's --fair_sharing_excluded_resource_names: the slots (by resource name: cpus, mem,
  // disk, gpus; other names are never shared fairly) left out of every sorter's shares.
  void excludeFromFairness(const std::vector<std::string>& names);

  // Walks the role subtree under `node` in DRF order and returns the first seat for which
  // pred(seat) is true, or kNone.
  template <class Pred>
  uint32_t pickSeat(uint32_t node, Pred& pred);
  // The same, skipping each role subtree for which enter(role, false) is false and each role's
  // own seats when enter(role, true) is false.
  template <class Pred, class Enter>
  uint32_t pickSeat(uint32_t node, Pred& pred, Enter& enter);
  // Whether seat x comes before seat y in the hierarchical DRF order (non-const: the sorters
  // refresh their shares lazily).
  bool precedes(uint32_t x, uint32_t y);

 private:
  std::vector<uint32_t> pathFromRoot(uint32_t role) const;

  HandleTable<Role> roles_;
  SlotTable<Seat> seats_;
  std::unordered_map<std::string, double> weights_;
  // What the sorters measure shares against: total_ without the slots excluded from fairness.
  ResourceVector sorterTotal() const;

  ResourceVector total_;
  bool total_changed_ = false;
  std::array<bool, ResourceVector::kSlotCount> excluded_{};
};

template <class Pred>
uint32_t RoleTree::pickSeat(uint32_t node, Pred& pred) {
  auto always = [](uint32_t, bool) { return true; };
  return pickSeat(node, pred, always);
}

template <class Pred, class Enter>
uint32_t RoleTree::pickSeat(uint32_t node, Pred& pred, Enter& enter) {
  uint32_t found = kNone;
  Role& role = roles_[node];
  role.children.findFirst([&](DrfSorter::Handle child) {
    const uint32_t child_role = roles_[node].role_of_child[child];
    if (child_role != kNone) {
      if (!enter(child_role, false)) {
        return false;
      }
      found = pickSeat(child_role, pred, enter);
      return found != kNone;
    }
    if (!enter(node, true)) {
      return false;
    }
    Role& self = roles_[node];
    return self.frameworks
        .findFirst([&](DrfSorter::Handle client) {
          const uint32_t seat = self.seat_of_client[client];
          if (pred(seat)) {
            found = seat;
            return true;
          }
          return false;
        })
        .has_value();
  });
  return found;
}

}  // namespace plateau::master::allocator
