#include "master/allocator/reservation_rules.h"

#include <utility>

namespace plateau::master::allocator {

ResourceVector unreservedVector(const Resources& resources) {
  ResourceVector vector;
  for (const Resource& r : resources) {
    if (r.role == "*" && r.type == ResourceType::kScalar && !r.revocable) {
      if (const size_t slot = slotOf(r.name); slot < ResourceVector::kSlotCount) {
        vector.milli[slot] += r.scalar_milli;
      }
    }
  }
  return vector;
}

namespace {

bool overCap(const Resource& r, const Caps& caps) {
  const size_t slot = slotOf(r.name);
  return r.role == "*" && r.type == ResourceType::kScalar && !r.revocable &&
         slot < ResourceVector::kSlotCount && r.scalar_milli > caps[slot];
}

// Whether `offered` holds at least the quantity of `wanted`'s kind that `wanted` names.
bool holds(const Resources& offered, const Resource& wanted) {
  switch (wanted.type) {
    case ResourceType::kScalar:
      return offered.scalarMilli(wanted.name) >= wanted.scalar_milli;
    case ResourceType::kRanges:
      return offered.ranges(wanted.name).size() >= wanted.ranges.size();
    case ResourceType::kSet: {
      size_t items = 0;
      for (const Resource& o : offered) {
        if (o.name == wanted.name && o.type == ResourceType::kSet) items += o.items.size();
      }
      return items >= wanted.items.size();
    }
  }
  return true;
}

}  // namespace

bool clip(Resources& resources, const Caps& caps) {
  if (std::none_of(resources.begin(), resources.end(),
                   [&caps](const Resource& r) { return overCap(r, caps); })) {
    return false;
  }
  Resources out;
  for (const Resource& r : resources) {
    if (overCap(r, caps)) {
      const size_t slot = slotOf(r.name);
      if (caps[slot] > 0) {
        Resource lowered = r;
        lowered.scalar_milli = caps[slot];
        out += lowered;
      }
    } else {
      out += r;
    }
  }
  resources = std::move(out);
  return true;
}

bool meetsAny(const Resources& offered, const std::vector<Resources>& alternatives) {
  if (alternatives.empty()) {
    return true;
  }
  return std::any_of(alternatives.begin(), alternatives.end(), [&](const Resources& alternative) {
    return std::all_of(alternative.begin(), alternative.end(),
                       [&](const Resource& r) { return holds(offered, r); });
  });
}

}  // namespace plateau::master::allocator
