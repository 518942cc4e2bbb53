#pragma once

// What the next allocation round must look at: agents whose free resources or filters changed
// (dirty), seats that became eligible since the last round, and agents on which quota limits or
// headroom held resources back (re-examined once something may have relaxed them).
//
// A round may stop before it has looked at everything (Allocator::allocate with a bound on the
// agents examined): what it left stays here for the next one, the rest of the dirty list in order
// and a sweep of settled agents for newly eligible seats with the agent it stopped at.
//
// Guarantees (ExamineQueue alone writes its fields): each agent is at most once in the dirty
// list, and isDirty() holds for it until clearDirty(); likewise at most once among the held
// agents. Handles may go stale meanwhile: the round checks that an agent is still there.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "master/allocator/dense_bitset.h"

namespace plateau::master::allocator {

class ExamineQueue {
 public:
  void markDirty(uint32_t agent);
  bool isDirty(uint32_t agent) const { return agent < in_dirty_.size() && in_dirty_[agent] != 0; }
  // The dirty list; the agents stay marked until clearDirty(them).
  std::vector<uint32_t> takeDirty();
  // At most `max` of the dirty list, oldest first; the rest stays queued (and marked).
  std::vector<uint32_t> takeDirty(size_t max);
  bool hasDirty() const { return !dirty_.empty(); }
  void clearDirty(const std::vector<uint32_t>& agents);

  void seatEligible(uint32_t seat) { newly_eligible_.push_back(seat); }
  // Seats that became eligible since the last call, ascending, once each.
  std::vector<uint32_t> takeNewlyEligible();

  // A sweep over every agent (by handle, from 0) for the seats `seats` alone, which a round may
  // leave unfinished: sweepSeats() and the cursor say where it stands until endSweep().
  void startSweep(std::vector<uint32_t> seats) {
    sweep_seats_ = std::move(seats);
    sweep_cursor_ = 0;
  }
  bool sweeping() const { return !sweep_seats_.empty(); }
  const std::vector<uint32_t>& sweepSeats() const { return sweep_seats_; }
  uint32_t sweepCursor() const { return sweep_cursor_; }
  void advanceSweep(uint32_t next_agent) { sweep_cursor_ = next_agent; }
  void endSweep() {
    sweep_seats_.clear();
    sweep_cursor_ = 0;
  }

  // Quota held resources back on the agent.
  void holdForQuota(uint32_t agent);
  // Something changed that may let held resources go.
  void quotaRelaxed() { quota_relaxed_ = true; }
  // After quotaRelaxed(): marks each held agent for which live(agent) dirty, and holds none.
  template <class Live>
  void requeueHeld(Live&& live) {
    if (!quota_relaxed_) {
      return;
    }
    for (uint32_t agent : quota_held_) {
      in_quota_held_.reset(agent);
      if (live(agent)) {
        markDirty(agent);
      }
    }
    quota_held_.clear();
    quota_relaxed_ = false;
  }

 private:
  std::vector<uint32_t> dirty_;
  std::vector<uint8_t> in_dirty_;
  std::vector<uint32_t> newly_eligible_;
  std::vector<uint32_t> sweep_seats_;
  uint32_t sweep_cursor_ = 0;
  std::vector<uint32_t> quota_held_;
  DenseBitset in_quota_held_;
  bool quota_relaxed_ = false;
};

}  // namespace plateau::master::allocator
