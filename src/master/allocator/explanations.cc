#include "master/allocator/explanations.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "master/allocator/reservation_rules.h"

namespace plateau::master::allocator {

namespace {

std::string plural(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

Explanation say(Explanation e, const char* code, std::string message) {
  e.code = code;
  e.message = std::move(message);
  return e;
}

}  // namespace

std::vector<Explanation> Explainer::framework(uint32_t framework) const {
  std::vector<Explanation> result;
  for (uint32_t seat : frameworks_[framework].seats) {
    if (tree_.seat(seat).subscribed) {
      result.push_back(this->seat(seat));
    }
  }
  std::sort(result.begin(), result.end(),
            [](const Explanation& x, const Explanation& y) { return x.role < y.role; });
  return result;
}

Explanation Explainer::role(uint32_t role) const {
  const std::string& role_name = tree_.name(role);
  std::vector<Explanation> seats;
  for (uint32_t seat = 0; seat < tree_.seatBound(); ++seat) {
    const RoleTree::Seat& s = tree_.seat(seat);
    if (tree_.seatLive(seat) && s.role == role && s.subscribed && frameworks_[s.framework].added) {
      seats.push_back(this->seat(seat));
    }
  }
  Explanation e;
  e.role = role_name;
  if (seats.empty()) {
    return say(e, "NO_FRAMEWORKS",
               fmt::format("no framework is subscribed to role '{}'", role_name));
  }
  // The role receives if any of its frameworks does; otherwise the reason of the first
  // framework that could take offers at all (not inactive or suppressed).
  auto pick = std::find_if(seats.begin(), seats.end(),
                           [](const Explanation& x) { return x.code == "RECEIVING"; });
  if (pick == seats.end()) {
    pick = std::find_if(seats.begin(), seats.end(), [](const Explanation& x) {
      return x.code != "INACTIVE" && x.code != "SUPPRESSED";
    });
  }
  if (pick == seats.end()) {
    pick = seats.begin();
  }
  e = *pick;
  e.framework_id.clear();
  e.role = role_name;
  e.message = fmt::format("{} (framework '{}'; {} in the role)", pick->message, pick->framework_id,
                          plural(seats.size(), "framework", "frameworks"));
  return e;
}

Explanation Explainer::seat(uint32_t seat) const {
  const RoleTree::Seat& s = tree_.seat(seat);
  Explanation e;
  e.framework_id = frameworks_.id(s.framework);
  e.role = tree_.name(s.role);
  if (byState(seat, e)) {
    return e;
  }
  const Caps limits = quota_.limitCaps(s.role);
  const bool at_limit =
      std::any_of(limits.begin(), limits.end(), [](int64_t cap) { return cap == 0; });
  return byTally(seat, tally(seat, limits), at_limit, std::move(e));
}

bool Explainer::byState(uint32_t seat, Explanation& e) const {
  const RoleTree::Seat& s = tree_.seat(seat);
  if (!frameworks_[s.framework].active) {
    e = say(std::move(e), "INACTIVE", "the framework is not connected (inactive)");
  } else if (s.suppressed) {
    e = say(std::move(e), "SUPPRESSED",
            fmt::format("the framework suppressed offers for role '{}'", e.role));
  } else if (round_ > 0 && s.offered_round == round_) {
    e = say(std::move(e), "RECEIVING", "it was offered resources in the last allocation round");
  } else {
    return false;
  }
  return true;
}

Explainer::Tally Explainer::tally(uint32_t seat, const Caps& limits) const {
  const std::string& role = tree_.name(tree_.seat(seat).role);
  const ResourceVector surplus = quota_.empty() ? ResourceVector{} : quota_.freshSurplus();
  Caps headroom;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    headroom[slot] = quota_.empty() ? kUncapped : surplus.milli[slot];
  }
  Tally t;
  for (uint32_t handle = 0; handle < agents_.bound(); ++handle) {
    const Agent& agent = agents_[handle];
    if (!agents_.live(handle) || !agent.offerable() || agent.free.empty()) {
      continue;
    }
    Resources candidate = allocatableTo(agent.free, role);
    if (candidate.empty()) {
      continue;
    }
    ++t.with_free;
    // What a cap leaves over may be too little to offer: then the cap is the reason.
    auto too_little = [&] { return candidate.empty() || !rules_.meetsMinimum(seat, candidate); };
    if (rules_.gpuBlocked(agent, seat)) {
      ++t.gpu;
    } else if (rules_.constrainedOut(agent, seat) || rules_.regionBlocked(agent, seat)) {
      ++t.constrained;
    } else if (clip(candidate, limits) && too_little()) {
      ++t.limited;
    } else if (clip(candidate, headroom) && too_little()) {
      ++t.held;
    } else if (filters_.blocks(handle, seat, candidate)) {
      ++t.filtered;
    } else if (!rules_.meetsMinimum(seat, candidate)) {
      ++t.no_fit;
    } else {
      ++t.fits;
    }
  }
  return t;
}

Explanation Explainer::byTally(uint32_t seat, const Tally& t, bool at_limit, Explanation e) const {
  if (t.fits > 0) {
    e.agents = t.fits;
    return say(std::move(e), "RECEIVING",
               fmt::format("{} with free resources it can take: offers follow at "
                           "the next allocation round",
                           plural(t.fits, "agent", "agents")));
  }
  if (t.with_free == 0) {
    return byOrder(seat, at_limit, std::move(e));
  }
  if (t.constrained > 0 && t.constrained + t.gpu == t.with_free) {
    e.agents = t.constrained;
    const std::string message = fmt::format(
        "its offer constraints for role '{}' exclude the {} with free resources it could use",
        e.role, plural(t.constrained, "agent", "agents"));
    return say(std::move(e), "OFFER_CONSTRAINTS", message);
  }
  if (t.limited > 0 && t.limited + t.gpu == t.with_free) {
    e.agents = t.limited;
    const std::string message = fmt::format("role '{}' is at its quota limit", e.role);
    return say(std::move(e), "QUOTA_LIMIT", message);
  }
  if (t.held > 0) {
    e.agents = t.held;
    return say(std::move(e), "HEADROOM",
               fmt::format("free resources on {} are held back for other roles' "
                           "unsatisfied quota guarantees",
                           plural(t.held, "agent", "agents")));
  }
  if (t.filtered + t.gpu >= t.no_fit) {
    e.agents = t.filtered + t.gpu;
    std::string message = fmt::format("declined offers filter it on {}",
                                      plural(t.filtered + t.gpu, "agent", "agents"));
    if (t.gpu > 0) {
      message += fmt::format(" ({} with GPUs, which need the GPU_RESOURCES capability)", t.gpu);
    }
    return say(std::move(e), "FILTERED", std::move(message));
  }
  e.agents = t.no_fit;
  return say(std::move(e), "NO_FIT",
             fmt::format("free resources on {} are below its minimum allocatable resources",
                         plural(t.no_fit, "agent", "agents")));
}

Explanation Explainer::byOrder(uint32_t seat, bool at_limit, Explanation e) const {
  if (at_limit) {
    const std::string message = fmt::format("role '{}' is at its quota limit", e.role);
    return say(std::move(e), "QUOTA_LIMIT", message);
  }
  // Who gets freed resources first: seats ahead in the hierarchical DRF order.
  e.ahead = ahead(seat);
  if (e.ahead > 0) {
    const std::string message =
        fmt::format("no free resources; {} with lower shares come first when resources are freed",
                    plural(e.ahead, "framework", "frameworks"));
    return say(std::move(e), "FAIR_SHARE", message);
  }
  return say(std::move(e), "NO_RESOURCES", "no agent has free resources this framework could use");
}

size_t Explainer::ahead(uint32_t seat) const {
  size_t ahead = 0;
  for (uint32_t other = 0; other < tree_.seatBound(); ++other) {
    if (other != seat && tree_.seatLive(other) && tree_.seat(other).eligible &&
        tree_.precedes(other, seat)) {
      ++ahead;
    }
  }
  return ahead;
}

}  // namespace plateau::master::allocator
