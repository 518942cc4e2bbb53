#pragma once

// Reservation rules and resource arithmetic of the allocator: which entries a role may use, the
// unreserved part of a resource set, scalar caps and minimum offer sizes.
//
// Guarantees: pure functions of their arguments, no state. The small ones the allocation round
// calls per seat are inline here.

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "common/resources.h"
#include "common/roles.h"

namespace plateau::master::allocator {

constexpr int64_t kUncapped = std::numeric_limits<int64_t>::max();

// Per-slot caps of unreserved scalars (kUncapped: none).
using Caps = std::array<int64_t, ResourceVector::kSlotCount>;

// The ResourceVector slot of a scalar resource name, or kSlotCount.
inline size_t slotOf(std::string_view name) {
  if (name == "cpus") return ResourceVector::kCpus;
  if (name == "mem") return ResourceVector::kMem;
  if (name == "disk") return ResourceVector::kDisk;
  if (name == "gpus") return ResourceVector::kGpus;
  return ResourceVector::kSlotCount;
}

// a - b, or 0 when b >= a.
inline int64_t minus(int64_t a, int64_t b) { return a > b ? a - b : 0; }

// The scalar slots of the unreserved entries.
ResourceVector unreservedVector(const Resources& resources);

// The entries a framework of `role` may use: unreserved ones and those reserved for the role or
// one of its ancestors.
inline bool allocatableEntry(const Resource& r, std::string_view role) {
  return r.role == "*" || roles::isSubroleOrSame(role, r.role);
}

inline Resources allocatableTo(const Resources& free, std::string_view role) {
  return free.filter([role](const Resource& r) { return allocatableEntry(r, role); });
}

// Whether one of `reserved_roles` is `role` or one of its ancestors.
inline bool hasReservedFor(const std::vector<std::string_view>& reserved_roles,
                           std::string_view role) {
  return std::any_of(reserved_roles.begin(), reserved_roles.end(),
                     [role](std::string_view r) { return roles::isSubroleOrSame(role, r); });
}

// Lowers unreserved scalars to the caps; true if anything was taken off.
bool clip(Resources& resources, const Caps& caps);

// Whether `offered` holds at least the quantities of one alternative (none: no minimum).
bool meetsAny(const Resources& offered, const std::vector<Resources>& alternatives);

}  // namespace plateau::master::allocator
