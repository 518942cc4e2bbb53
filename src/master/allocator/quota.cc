#include "master/allocator/quota.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "common/roles.h"

namespace plateau::master::allocator {

namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

Status unsupported(const std::string& role, const std::string& name) {
  return invalid(
      fmt::format("quota of role '{}' names '{}': only the scalars cpus, mem, "
                  "disk and gpus are supported",
                  role, name));
}

Status checkNames(const std::string& role, const Quota& quota) {
  for (const Resources* part : {&quota.guarantees, &quota.limits}) {
    for (const Resource& r : *part) {
      if (r.type != ResourceType::kScalar || slotOf(r.name) == ResourceVector::kSlotCount) {
        return unsupported(role, r.name);
      }
      if (r.role != "*") {
        return invalid(fmt::format("quota of role '{}' must not name a reservation", role));
      }
    }
  }
  for (const std::string& name : quota.zero_limits) {
    if (slotOf(name) == ResourceVector::kSlotCount) {
      return unsupported(role, name);
    }
  }
  return Status::ok();
}

bool limited(const Caps& caps) {
  return std::any_of(caps.begin(), caps.end(), [](int64_t cap) { return cap != kUncapped; });
}

}  // namespace

Result<QuotaLimits> parseQuota(const std::string& role, const Quota& quota) {
  if (Status status = roles::validate(role); !status.isOk()) {
    return std::unexpected(status);
  }
  if (role == "*") {
    return std::unexpected(invalid("quota cannot be set for role '*'"));
  }
  if (Status status = checkNames(role, quota); !status.isOk()) {
    return std::unexpected(status);
  }
  QuotaLimits result;
  result.guarantee = ResourceVector::of(quota.guarantees);
  result.limit.fill(kUncapped);
  for (const Resource& r : quota.limits) {
    result.limit[slotOf(r.name)] = r.scalar_milli;
  }
  for (const std::string& name : quota.zero_limits) {
    result.limit[slotOf(name)] = 0;
  }
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    if (result.guarantee.milli[slot] > result.limit[slot]) {
      return std::unexpected(
          invalid(fmt::format("quota of role '{}': guarantee {} exceeds limit {}", role,
                              quota.guarantees.toString(), quota.limits.toString())));
    }
  }
  result.none = quota.guarantees.empty() && quota.limits.empty() && quota.zero_limits.empty();
  return result;
}

double quotaShare(const ResourceVector& consumed, const ResourceVector& guarantee) {
  double share = 0;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    if (guarantee.milli[slot] > 0) {
      share = std::max(share, static_cast<double>(consumed.milli[slot]) /
                                  static_cast<double>(guarantee.milli[slot]));
    }
  }
  return share;
}

void QuotaBook::set(uint32_t role, const QuotaLimits& quota) {
  if (entries_.size() <= role) {
    entries_.resize(role + 1);
  }
  Entry& e = entries_[role];
  if (e.has) {
    std::erase(roles_, role);
    limited_ -= limited(e.limit) ? 1 : 0;
  }
  e.has = !quota.none;
  e.guarantee = quota.guarantee;
  e.limit = quota.limit;
  if (e.has) {
    roles_.push_back(role);
    limited_ += limited(e.limit) ? 1 : 0;
  }
  required_stale_ = true;
}

void QuotaBook::addUnreservedTotal(const ResourceVector& vector, bool add) {
  if (add) {
    unreserved_total_ += vector;
  } else {
    unreserved_total_ -= vector;
  }
}

void QuotaBook::addUnreservedAllocated(const ResourceVector& vector, bool add) {
  if (add) {
    unreserved_allocated_ += vector;
  } else {
    unreserved_allocated_ -= vector;
  }
}

QuotaBook::Change QuotaBook::changeOf(uint32_t role) const {
  Change change;
  change.top = topGuaranteed(role);
  if (change.top != kNone) {
    change.missing_before = unmet(change.top);
  }
  return change;
}

bool QuotaBook::applyChange(const Change& change) {
  required_ -= change.missing_before;
  required_ += unmet(change.top);
  return true;
}

bool QuotaBook::guaranteeUnmet(uint32_t role) const {
  const Entry& e = entries_[role];
  const ResourceVector used = tree_.consumed(role);
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    if (e.guarantee.milli[slot] > used.milli[slot]) {
      return true;
    }
  }
  return false;
}

ResourceVector QuotaBook::unmet(uint32_t role) const {
  const ResourceVector& guarantee = entries_[role].guarantee;
  const ResourceVector used = tree_.consumed(role);
  ResourceVector missing;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    missing.milli[slot] = minus(guarantee.milli[slot], used.milli[slot]);
  }
  return missing;
}

uint32_t QuotaBook::topGuaranteed(uint32_t role) const {
  uint32_t top = kNone;
  for (uint32_t r = role; r != RoleTree::kRoot; r = tree_.role(r).parent) {
    const Entry* e = entry(r);
    if (e != nullptr && !e->guarantee.isZero()) {
      top = r;
    }
  }
  return top;
}

ResourceVector QuotaBook::computeRequired() const {
  ResourceVector required;
  for (uint32_t role : roles_) {
    if (topGuaranteed(role) == role) {
      required += unmet(role);
    }
  }
  return required;
}

void QuotaBook::refreshRequired() {
  if (required_stale_) {
    required_ = computeRequired();
    required_stale_ = false;
  }
}

ResourceVector QuotaBook::surplusFrom(const ResourceVector& required) const {
  ResourceVector surplus;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    const int64_t available =
        minus(unreserved_total_.milli[slot], unreserved_allocated_.milli[slot]);
    surplus.milli[slot] = minus(available, required.milli[slot]);
  }
  return surplus;
}

ResourceVector QuotaBook::surplusHeadroom() {
  refreshRequired();
  return surplusFrom(required_);
}

ResourceVector QuotaBook::freshSurplus() const { return surplusFrom(computeRequired()); }

Caps QuotaBook::limitCaps(uint32_t role) const {
  Caps caps;
  caps.fill(kUncapped);
  if (limited_ == 0) {
    return caps;
  }
  for (uint32_t r = role; r != RoleTree::kRoot; r = tree_.role(r).parent) {
    const Entry* e = entry(r);
    if (e == nullptr) {
      continue;
    }
    const ResourceVector used = tree_.consumed(r);
    for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
      if (e->limit[slot] != kUncapped) {
        caps[slot] = std::min(caps[slot], minus(e->limit[slot], used.milli[slot]));
      }
    }
  }
  return caps;
}

Caps QuotaBook::candidateCaps(uint32_t seat_role, uint32_t quota_role) {
  Caps caps = limitCaps(seat_role);
  const ResourceVector surplus = surplusHeadroom();
  if (quota_role == kNone) {
    for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
      caps[slot] = std::min(caps[slot], surplus.milli[slot]);
    }
    return caps;
  }
  const ResourceVector& guarantee = entries_[quota_role].guarantee;
  const ResourceVector used = tree_.consumed(quota_role);
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    const int64_t cap = guarantee.milli[slot] > 0 ? minus(guarantee.milli[slot], used.milli[slot])
                                                  : surplus.milli[slot];
    caps[slot] = std::min(caps[slot], cap);
  }
  return caps;
}

std::vector<uint32_t> QuotaBook::belowGuarantee() {
  std::vector<uint32_t> result;
  if (roles_.empty()) {
    return result;
  }
  refreshRequired();
  std::vector<std::pair<double, uint32_t>> order;
  for (uint32_t role : roles_) {
    if (tree_.role(role).eligible_subtree > 0 && guaranteeUnmet(role)) {
      order.emplace_back(quotaShare(tree_.consumed(role), entries_[role].guarantee), role);
    }
  }
  std::sort(order.begin(), order.end(), [this](const auto& x, const auto& y) {
    return x.first != y.first ? x.first < y.first : tree_.name(x.second) < tree_.name(y.second);
  });
  for (const auto& [share, role] : order) {
    result.push_back(role);
  }
  return result;
}

}  // namespace plateau::master::allocator
