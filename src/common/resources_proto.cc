#include "common/resources_proto.h"

#include <cmath>

#include <fmt/format.h>
#include <mesos/v1/mesos.pb.h>

namespace plateau {

namespace {

Result<Resource> fromProto(const mesos::v1::Resource& r) {
  if (r.name().empty()) {
    return invalidArgument("Resource has an empty name");
  }
  std::string role = "*";
  if (r.reservations_size() > 0) {
    role = r.reservations(r.reservations_size() - 1).role();
  } else {
    // The pre-reservations 'role' field is deprecated but still sent by older frameworks.
    if (r.has_role()) {
      role = r.role();
    }
  }
  switch (r.type()) {
    case mesos::v1::Value::SCALAR: {
      if (!r.has_scalar() || r.has_ranges() || r.has_set()) {
        return invalidArgument(fmt::format("Resource '{}' of type SCALAR must carry 'scalar' only",
                                           r.name()));
      }
      double v = r.scalar().value();
      if (!std::isfinite(v) || v < 0) {
        return invalidArgument(
            fmt::format("Resource '{}' has an invalid scalar value {}", r.name(), v));
      }
      return Resource::makeScalar(r.name(), v, role);
    }
    case mesos::v1::Value::RANGES: {
      if (!r.has_ranges() || r.has_scalar() || r.has_set()) {
        return invalidArgument(fmt::format("Resource '{}' of type RANGES must carry 'ranges' only",
                                           r.name()));
      }
      Ranges ranges;
      for (const auto& range : r.ranges().range()) {
        if (range.begin() > range.end()) {
          return invalidArgument(fmt::format("Resource '{}' has an inverted range [{}-{}]",
                                             r.name(), range.begin(), range.end()));
        }
        Range one{range.begin(), range.end()};
        if (!ranges.empty()) {
          for (const auto& existing : ranges.intervals()) {
            if (one.begin <= existing.end && existing.begin <= one.end) {
              return invalidArgument(
                  fmt::format("Resource '{}' has overlapping ranges", r.name()));
            }
          }
        }
        ranges.add(one);
      }
      return Resource::makeRanges(r.name(), std::move(ranges), role);
    }
    case mesos::v1::Value::SET: {
      if (!r.has_set() || r.has_scalar() || r.has_ranges()) {
        return invalidArgument(
            fmt::format("Resource '{}' of type SET must carry 'set' only", r.name()));
      }
      std::set<std::string> items;
      for (const auto& item : r.set().item()) {
        if (!items.insert(item).second) {
          return invalidArgument(
              fmt::format("Resource '{}' has duplicate set item '{}'", r.name(), item));
        }
      }
      return Resource::makeSet(r.name(), std::move(items), role);
    }
    default:
      return invalidArgument(fmt::format("Resource '{}' has an unsupported type", r.name()));
  }
}

}  // namespace

Result<Resources> resourcesFromProto(const ProtoResources& resources) {
  Resources out;
  for (const auto& r : resources) {
    auto one = fromProto(r);
    if (!one) {
      return std::unexpected(one.error());
    }
    if (!one->empty()) {
      out += *one;
    }
  }
  return out;
}

void resourcesToProto(const Resources& resources, ProtoResources* out,
                      const std::string& allocation_role) {
  for (const auto& r : resources) {
    auto* p = out->Add();
    p->set_name(r.name);
    switch (r.type) {
      case ResourceType::kScalar:
        p->set_type(mesos::v1::Value::SCALAR);
        p->mutable_scalar()->set_value(r.scalar());
        break;
      case ResourceType::kRanges:
        p->set_type(mesos::v1::Value::RANGES);
        for (const auto& range : r.ranges.intervals()) {
          auto* pr = p->mutable_ranges()->add_range();
          pr->set_begin(range.begin);
          pr->set_end(range.end);
        }
        break;
      case ResourceType::kSet:
        p->set_type(mesos::v1::Value::SET);
        for (const auto& item : r.items) {
          p->mutable_set()->add_item(item);
        }
        break;
    }
    if (r.role != "*") {
      auto* reservation = p->add_reservations();
      reservation->set_type(mesos::v1::Resource::ReservationInfo::STATIC);
      reservation->set_role(r.role);
    }
    if (!allocation_role.empty()) {
      p->mutable_allocation_info()->set_role(allocation_role);
    }
  }
}

}  // namespace plateau
