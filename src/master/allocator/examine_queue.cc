#include "master/allocator/examine_queue.h"

#include <algorithm>
#include <utility>

namespace plateau::master::allocator {

void ExamineQueue::markDirty(uint32_t agent) {
  if (in_dirty_.size() <= agent) {
    in_dirty_.resize(agent + 1, 0);
  }
  if (in_dirty_[agent] == 0) {
    in_dirty_[agent] = 1;
    dirty_.push_back(agent);
  }
}

std::vector<uint32_t> ExamineQueue::takeDirty() {
  std::vector<uint32_t> dirty;
  dirty.swap(dirty_);
  return dirty;
}

std::vector<uint32_t> ExamineQueue::takeDirty(size_t max) {
  if (dirty_.size() <= max) {
    return takeDirty();
  }
  std::vector<uint32_t> taken(dirty_.begin(), dirty_.begin() + static_cast<std::ptrdiff_t>(max));
  dirty_.erase(dirty_.begin(), dirty_.begin() + static_cast<std::ptrdiff_t>(max));
  return taken;
}

void ExamineQueue::clearDirty(const std::vector<uint32_t>& agents) {
  for (uint32_t agent : agents) {
    in_dirty_[agent] = 0;
  }
}

std::vector<uint32_t> ExamineQueue::takeNewlyEligible() {
  std::vector<uint32_t> newly;
  newly.swap(newly_eligible_);
  std::sort(newly.begin(), newly.end());
  newly.erase(std::unique(newly.begin(), newly.end()), newly.end());
  return newly;
}

void ExamineQueue::holdForQuota(uint32_t agent) {
  if (!in_quota_held_.test(agent)) {
    in_quota_held_.set(agent);
    quota_held_.push_back(agent);
  }
}

}  // namespace plateau::master::allocator
