#include "master/allocator/agent_filters.h"

#include <algorithm>

namespace plateau::master::allocator {

uint32_t AgentFilters::intern(const Resources& refused) {
  for (uint32_t index = 0; index < refusals_.size(); ++index) {
    if (refusals_[index].filters > 0 && refusals_[index].resources == refused) {
      return index;
    }
  }
  uint32_t index = 0;
  if (!free_refusals_.empty()) {
    index = free_refusals_.back();
    free_refusals_.pop_back();
  } else {
    index = static_cast<uint32_t>(refusals_.size());
    refusals_.emplace_back();
  }
  refusals_[index] = Refusal{refused, 0, prepared_ && refused.contains(prepared_for_)};
  return index;
}

void AgentFilters::release(uint32_t refusal) {
  if (--refusals_[refusal].filters == 0) {
    refusals_[refusal] = Refusal{};
    free_refusals_.push_back(refusal);
  }
}

std::vector<AgentFilters::Filter>::const_iterator AgentFilters::lowerBound(
    uint32_t framework) const {
  return std::lower_bound(
      filters_.begin(), filters_.end(), framework,
      [](const Filter& filter, uint32_t value) { return filter.framework < value; });
}

void AgentFilters::add(uint32_t framework, const Resources& refused, TimePoint expiry) {
  const uint32_t refusal = intern(refused);
  const auto it = std::lower_bound(filters_.begin(), filters_.end(), Filter{framework, refusal, {}},
                                   [](const Filter& a, const Filter& b) {
                                     return a.framework != b.framework ? a.framework < b.framework
                                                                       : a.refusal < b.refusal;
                                   });
  if (it != filters_.end() && it->framework == framework && it->refusal == refusal) {
    it->expiry = std::max(it->expiry, expiry);
    return;
  }
  filters_.insert(it, Filter{framework, refusal, expiry});
  ++refusals_[refusal].filters;
  if (prepared_ && refusals_[refusal].applies) {
    blocked_.set(framework);
  }
}

void AgentFilters::remove(uint32_t framework) {
  const auto first = lowerBound(framework);
  auto last = first;
  while (last != filters_.end() && last->framework == framework) {
    release(last->refusal);
    ++last;
  }
  filters_.erase(first, last);
  blocked_.reset(framework);
}

TimePoint AgentFilters::expire(TimePoint now, std::vector<uint32_t>& cleared) {
  TimePoint earliest = TimePoint::max();
  size_t kept = 0;
  size_t i = 0;
  while (i < filters_.size()) {
    const uint32_t framework = filters_[i].framework;
    const size_t kept_before = kept;
    bool expired = false;
    for (; i < filters_.size() && filters_[i].framework == framework; ++i) {
      const Filter filter = filters_[i];
      if (filter.expiry <= now) {
        release(filter.refusal);
        expired = true;
        continue;
      }
      earliest = std::min(earliest, filter.expiry);
      filters_[kept++] = filter;
    }
    if (expired) {
      // The blocked cache may name a framework whose only applying filter just went.
      prepared_ = false;
      if (kept == kept_before) {
        cleared.push_back(framework);
      }
    }
  }
  filters_.resize(kept);
  return earliest;
}

bool AgentFilters::has(uint32_t framework) const {
  const auto it = lowerBound(framework);
  return it != filters_.end() && it->framework == framework;
}

std::vector<uint32_t> AgentFilters::frameworks() const {
  std::vector<uint32_t> result;
  for (const Filter& filter : filters_) {
    if (result.empty() || result.back() != filter.framework) {
      result.push_back(filter.framework);
    }
  }
  return result;
}

bool AgentFilters::blocks(uint32_t framework, const Resources& offered) const {
  for (auto it = lowerBound(framework); it != filters_.end() && it->framework == framework; ++it) {
    if (refusals_[it->refusal].resources.contains(offered)) {
      return true;
    }
  }
  return false;
}

bool AgentFilters::blocks(uint32_t framework, const Resources& offered,
                          std::vector<int8_t>& memo) const {
  if (memo.size() < refusals_.size()) {
    memo.resize(refusals_.size(), -1);
  }
  for (auto it = lowerBound(framework); it != filters_.end() && it->framework == framework; ++it) {
    int8_t& known = memo[it->refusal];
    if (known < 0) {
      known = refusals_[it->refusal].resources.contains(offered) ? 1 : 0;
    }
    if (known == 1) {
      return true;
    }
  }
  return false;
}

const Resources* AgentFilters::preparedForUnreservedOf(const Resources& free) const {
  if (!prepared_) {
    return nullptr;
  }
  // Keys are distinct on both sides: equal sizes and every entry matched means equal sets.
  size_t count = 0;
  for (const Resource& r : free) {
    if (r.role != "*") {
      continue;
    }
    if (++count > prepared_for_.size() ||
        std::find(prepared_for_.begin(), prepared_for_.end(), r) == prepared_for_.end()) {
      return nullptr;
    }
  }
  return count == prepared_for_.size() ? &prepared_for_ : nullptr;
}

void AgentFilters::prepare(const Resources& free) {
  if (prepared_ && free == prepared_for_) {
    return;
  }
  prepared_for_ = free;
  for (Refusal& refusal : refusals_) {
    refusal.applies = refusal.filters > 0 && refusal.resources.contains(free);
  }
  blocked_.clear();
  for (const Filter& filter : filters_) {
    if (refusals_[filter.refusal].applies) {
      blocked_.set(filter.framework);
    }
  }
  prepared_ = true;
}

}  // namespace plateau::master::allocator
