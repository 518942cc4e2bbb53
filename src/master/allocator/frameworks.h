#pragma once

// Frameworks and their seats: the framework table, each framework's spec, and which seats it
// has and whether they are subscribed, suppressed and eligible.
//
// Guarantees (FrameworkBook alone writes framework records; seats live in the RoleTree and are
// changed through its interface):
// - a framework record exists while it was added and not removed, or while one of its seats
//   still holds allocations (a placeholder named by an agent's used resources, or a framework
//   removed with allocations not yet recovered);
// - a framework's `seats` are exactly the live seats naming it; a seat exists while it is
//   subscribed or holds allocations on some agent;
// - a seat is eligible exactly when its framework is added, active and not paused and the seat
//   is subscribed and not suppressed; each seat that becomes eligible (or whose offer rules changed
//   while eligible) is reported to the ExamineQueue, and a seat that goes loses its filters.

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "common/status.h"
#include "master/allocator/allocator_types.h"
#include "master/allocator/examine_queue.h"
#include "master/allocator/filter_book.h"
#include "master/allocator/handle_table.h"
#include "master/allocator/records.h"
#include "master/allocator/role_tree.h"

namespace plateau::master::allocator {

class FrameworkBook {
 public:
  FrameworkBook(RoleTree& tree, FilterBook& filters, ExamineQueue& queue)
      : tree_(tree), filters_(filters), queue_(queue) {}

  const HandleTable<Framework>& table() const { return frameworks_; }
  const Framework& operator[](uint32_t framework) const { return frameworks_[framework]; }
  std::optional<uint32_t> find(const std::string& id) const { return frameworks_.find(id); }
  // Only frameworks added through add() (not placeholders).
  std::optional<uint32_t> findAdded(const std::string& id) const;
  // The seat of the framework in the role named so, if any.
  std::optional<uint32_t> seatNamed(uint32_t framework, const std::string& role) const;
  size_t size() const { return frameworks_.size(); }

  // The framework, or a placeholder for it.
  uint32_t orPlaceholder(const std::string& id);
  // The framework's seat in the role, created (unsubscribed) when missing.
  uint32_t seatFor(uint32_t framework, const std::string& role);
  // Forgets the seat if it is not subscribed and holds nothing, and then its framework if that
  // is a placeholder left with no seat.
  void maybeReleaseSeat(uint32_t seat);

  // AlreadyExists; InvalidArgument (see Allocator::addFramework).
  Status add(const std::string& id, const FrameworkSpec& spec, bool active);
  // NotFound; InvalidArgument (see Allocator::updateFramework).
  Status update(const std::string& id, const FrameworkSpec& spec);
  // Removal: unsubscribe() each seat once the caller returned its allocations, then forget().
  void unsubscribe(uint32_t seat);
  void forget(uint32_t framework);
  // Deactivation drops the framework's filters.
  void setActive(uint32_t framework, bool active);
  // A paused framework gets no offers; unlike deactivation it keeps its filters.
  void setPaused(uint32_t framework, bool paused);
  // An empty set means all the framework's roles.
  void suppress(uint32_t framework, const std::set<std::string>& roles);
  void revive(uint32_t framework, const std::set<std::string>& roles);

 private:
  void maybeForget(uint32_t framework);
  void setEligible(uint32_t seat, bool eligible);
  void refreshEligibility(uint32_t seat);
  void applySpec(uint32_t framework, const FrameworkSpec& spec);

  RoleTree& tree_;
  FilterBook& filters_;
  ExamineQueue& queue_;
  HandleTable<Framework> frameworks_;
};

}  // namespace plateau::master::allocator
