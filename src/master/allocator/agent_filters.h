#pragma once

// The offer filters frameworks hold on one agent (Mesos's refused-resources filters).

#include <chrono>
#include <cstdint>
#include <vector>

#include "common/resources.h"
#include "master/allocator/dense_bitset.h"

namespace plateau::master::allocator {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// The filters on one agent: "framework F refuses resources R here until time T". A filter blocks an
// offer when R contains everything the offer would hold. Frameworks are the allocator's dense
// framework handles.
//
// Refused resource sets are interned per agent (declines of one agent usually refuse the same
// resources), so a filter costs 16 bytes. prepare() caches which frameworks are blocked from the
// agent's current free resources; the cache survives a round trip of the free resources (offered,
// then declined back unchanged) and is updated in place by add() and remove().
//
// Invariants: filters_ is sorted by (framework, refusal) with no duplicate pair; each refusal's
// `filters` counts the entries that point at it; when prepared_, blocked_ holds exactly the
// frameworks with a filter whose refusal contains prepared_for_.
class AgentFilters {
 public:
  // Installs a filter; for resources the framework already refuses here, keeps the later expiry.
  void add(uint32_t framework, const Resources& refused, TimePoint expiry);
  // Removes every filter of the framework.
  void remove(uint32_t framework);
  // Removes the filters with expiry <= now. Appends to `cleared` each framework left with no
  // filter here. Returns the earliest remaining expiry, TimePoint::max() when none.
  TimePoint expire(TimePoint now, std::vector<uint32_t>& cleared);

  bool empty() const { return filters_.empty(); }
  size_t size() const { return filters_.size(); }
  bool has(uint32_t framework) const;
  // Each framework holding a filter here, once, ascending.
  std::vector<uint32_t> frameworks() const;

  // Whether a filter of `framework` refuses all of `offered`.
  bool blocks(uint32_t framework, const Resources& offered) const;
  // blocks(framework, offered) for many frameworks and one `offered`: `memo` (empty at first,
  // cleared when `offered` changes) remembers per refused set whether it contains `offered`.
  bool blocks(uint32_t framework, const Resources& offered, std::vector<int8_t>& memo) const;
  // Makes blocksPrepared(f) answer blocks(f, free); cheap when `free` equals the last call's.
  void prepare(const Resources& free);
  bool blocksPrepared(uint32_t framework) const { return blocked_.test(framework); }
  // The set last prepared for, when it equals the unreserved entries of `free` (then
  // blocksPrepared answers for them); otherwise null. Valid until the next prepare().
  const Resources* preparedForUnreservedOf(const Resources& free) const;

 private:
  struct Refusal {
    Resources resources;
    uint32_t filters = 0;
    bool applies = false;  // resources contains prepared_for_
  };
  struct Filter {
    uint32_t framework;
    uint32_t refusal;
    TimePoint expiry;
  };

  uint32_t intern(const Resources& refused);
  void release(uint32_t refusal);
  // First filter of `framework` in filters_.
  std::vector<Filter>::const_iterator lowerBound(uint32_t framework) const;

  std::vector<Refusal> refusals_;
  std::vector<uint32_t> free_refusals_;
  std::vector<Filter> filters_;
  Resources prepared_for_;
  bool prepared_ = false;
  DenseBitset blocked_;
};

}  // namespace plateau::master::allocator
