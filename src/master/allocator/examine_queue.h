#pragma once

// What the next allocation round must look at: agents whose free resources or filters changed
// (dirty), seats that became eligible since the last round, and agents on which quota limits or
// headroom held resources back (re-examined once something may have relaxed them).
//
// Guarantees (ExamineQueue alone writes its fields): each agent is at most once in the dirty
// list, and isDirty() holds for it until clearDirty(); likewise at most once among the held
// agents. Handles may go stale meanwhile: the round checks that an agent is still there.

#include <cstdint>
#include <vector>

#include "master/allocator/dense_bitset.h"

namespace plateau::master::allocator {

class ExamineQueue {
 public:
  void markDirty(uint32_t agent);
  bool isDirty(uint32_t agent) const { return agent < in_dirty_.size() && in_dirty_[agent] != 0; }
  // The dirty list; the agents stay marked until clearDirty(them).
  std::vector<uint32_t> takeDirty();
  void clearDirty(const std::vector<uint32_t>& agents);

  void seatEligible(uint32_t seat) { newly_eligible_.push_back(seat); }
  // Seats that became eligible since the last call, ascending, once each.
  std::vector<uint32_t> takeNewlyEligible();

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
  std::vector<uint32_t> quota_held_;
  DenseBitset in_quota_held_;
  bool quota_relaxed_ = false;
};

}  // namespace plateau::master::allocator
