#include "common/resources_proto.h"

#include <cmath>

#include <fmt/format.h>
#include <mesos/v1/mesos.pb.h>

namespace plateau {

namespace {

std::vector<std::pair<std::string, std::string>> labelsFrom(const mesos::v1::Labels& labels) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& label : labels.labels()) {
    out.emplace_back(label.key(), label.value());
  }
  return out;
}

void labelsTo(const std::vector<std::pair<std::string, std::string>>& labels,
              mesos::v1::Labels* out) {
  for (const auto& [key, value] : labels) {
    auto* label = out->add_labels();
    label->set_key(key);
    if (!value.empty()) {
      label->set_value(value);
    }
  }
}

bool subroleOrSame(const std::string& role, const std::string& ancestor) {
  return role == ancestor || (role.size() > ancestor.size() && role.starts_with(ancestor) &&
                              role[ancestor.size()] == '/');
}

// The reservation stack and disk info of `r` into `out`; both resource formats are accepted.
Status bad(std::string message) { return Status(StatusCode::kInvalidArgument, std::move(message)); }

Status reservationsFromProto(const mesos::v1::Resource& r, Resource& out) {
  if (r.reservations_size() > 0) {
    // Mesos's endpoint format carries both forms; they must then agree.
    if (r.has_role() && r.role() != r.reservations(r.reservations_size() - 1).role()) {
      return bad(fmt::format(
          "Resource '{}' has a deprecated 'role' '{}' that differs from its 'reservations'",
          r.name(), r.role()));
    }
    for (int i = 0; i < r.reservations_size(); ++i) {
      const auto& info = r.reservations(i);
      Reservation reservation;
      if (!info.has_type() || info.type() == mesos::v1::Resource::ReservationInfo::UNKNOWN) {
        return bad(fmt::format("Resource '{}' has a reservation without a valid 'type'", r.name()));
      }
      if (!info.has_role() || info.role().empty() || info.role() == "*") {
        return bad(fmt::format("Resource '{}' has a reservation without a valid 'role'", r.name()));
      }
      reservation.type = info.type() == mesos::v1::Resource::ReservationInfo::STATIC
                             ? Reservation::Type::kStatic
                             : Reservation::Type::kDynamic;
      reservation.role = info.role();
      reservation.principal = info.principal();
      reservation.labels = labelsFrom(info.labels());
      if (!out.reservations.empty()) {
        const Reservation& outer = out.reservations.back();
        if (reservation.role == outer.role || !subroleOrSame(reservation.role, outer.role)) {
          return bad(fmt::format(
              "Resource '{}': a refined reservation for role '{}' must be for a sub-role of '{}'",
              r.name(), reservation.role, outer.role));
        }
        if (outer.type == Reservation::Type::kDynamic &&
            reservation.type == Reservation::Type::kStatic) {
          return bad(fmt::format("Resource '{}': a static reservation cannot refine a dynamic one",
                                 r.name()));
        }
      }
      out.reservations.push_back(std::move(reservation));
    }
    out.role = out.reservations.back().role;
  } else if (r.has_role() && r.role() != "*") {
    // Mesos's pre-refinement format: `role`, plus `reservation` when the reservation is dynamic.
    Reservation reservation;
    reservation.role = r.role();
    if (r.has_reservation()) {
      reservation.type = Reservation::Type::kDynamic;
      reservation.principal = r.reservation().principal();
      reservation.labels = labelsFrom(r.reservation().labels());
    }
    out.role = r.role();
    out.reservations.push_back(std::move(reservation));
  } else if (r.has_reservation()) {
    return bad(
        fmt::format("Resource '{}' has a 'reservation' but is unreserved (role '*')", r.name()));
  }
  if (r.has_disk()) {
    const auto& disk = r.disk();
    if (disk.has_source()) {
      return bad(fmt::format("Resource '{}': disk sources are not supported", r.name()));
    }
    if (disk.has_persistence()) {
      if (disk.persistence().id().empty()) {
        return bad(fmt::format("Resource '{}' has a persistence with an empty id", r.name()));
      }
      out.disk.persistence_id = disk.persistence().id();
      out.disk.persistence_principal = disk.persistence().principal();
    }
    if (disk.has_volume()) {
      out.disk.has_volume = true;
      out.disk.container_path = disk.volume().container_path();
      out.disk.mode =
          disk.volume().mode() == mesos::v1::Volume::RO ? DiskInfo::Mode::kRO : DiskInfo::Mode::kRW;
    }
  }
  return Status::ok();
}

Result<Resource> withReservations(const mesos::v1::Resource& r, Resource resource) {
  if (Status status = reservationsFromProto(r, resource); !status.isOk()) {
    return std::unexpected(std::move(status));
  }
  if (r.has_revocable()) {
    // As Mesos: oversubscribed resources are neither reserved nor persistent volumes.
    if (resource.dynamicallyReserved()) {
      return invalidArgument(
          fmt::format("Resource '{}' is revocable and dynamically reserved", r.name()));
    }
    if (resource.persistentVolume()) {
      return invalidArgument(
          fmt::format("Resource '{}' is revocable and a persistent volume", r.name()));
    }
    resource.revocable = true;
  }
  return resource;
}

Result<Resource> fromProto(const mesos::v1::Resource& r) {
  if (r.name().empty()) {
    return invalidArgument("Resource has an empty name");
  }
  const std::string role = "*";
  switch (r.type()) {
    case mesos::v1::Value::SCALAR: {
      if (!r.has_scalar() || r.has_ranges() || r.has_set()) {
        return invalidArgument(
            fmt::format("Resource '{}' of type SCALAR must carry 'scalar' only", r.name()));
      }
      double v = r.scalar().value();
      if (!std::isfinite(v) || v < 0) {
        return invalidArgument(
            fmt::format("Resource '{}' has an invalid scalar value {}", r.name(), v));
      }
      return withReservations(r, Resource::makeScalar(r.name(), v, role));
    }
    case mesos::v1::Value::RANGES: {
      if (!r.has_ranges() || r.has_scalar() || r.has_set()) {
        return invalidArgument(
            fmt::format("Resource '{}' of type RANGES must carry 'ranges' only", r.name()));
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
              return invalidArgument(fmt::format("Resource '{}' has overlapping ranges", r.name()));
            }
          }
        }
        ranges.add(one);
      }
      return withReservations(r, Resource::makeRanges(r.name(), std::move(ranges), role));
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
      return withReservations(r, Resource::makeSet(r.name(), std::move(items), role));
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

void resourceToProto(const Resource& r, mesos::v1::Resource* p, const std::string& allocation_role,
                     ResourceFormat format) {
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
  const std::vector<Reservation> stack = r.reservationStack();
  if (format != ResourceFormat::kPre) {
    for (const Reservation& reservation : stack) {
      auto* info = p->add_reservations();
      info->set_type(reservation.type == Reservation::Type::kStatic
                         ? mesos::v1::Resource::ReservationInfo::STATIC
                         : mesos::v1::Resource::ReservationInfo::DYNAMIC);
      info->set_role(reservation.role);
      if (!reservation.principal.empty()) {
        info->set_principal(reservation.principal);
      }
      if (!reservation.labels.empty()) {
        labelsTo(reservation.labels, info->mutable_labels());
      }
    }
  }
  if ((format == ResourceFormat::kPre && !stack.empty()) ||
      (format == ResourceFormat::kEndpoint && stack.size() <= 1)) {
    p->set_role(r.role);
    if (!stack.empty() && stack.back().type == Reservation::Type::kDynamic) {
      auto* info = p->mutable_reservation();
      if (!stack.back().principal.empty()) {
        info->set_principal(stack.back().principal);
      }
      if (!stack.back().labels.empty()) {
        labelsTo(stack.back().labels, info->mutable_labels());
      }
    }
  }
  if (!r.disk.empty()) {
    auto* disk = p->mutable_disk();
    if (!r.disk.persistence_id.empty()) {
      disk->mutable_persistence()->set_id(r.disk.persistence_id);
      if (!r.disk.persistence_principal.empty()) {
        disk->mutable_persistence()->set_principal(r.disk.persistence_principal);
      }
    }
    if (r.disk.has_volume) {
      disk->mutable_volume()->set_container_path(r.disk.container_path);
      disk->mutable_volume()->set_mode(r.disk.mode == DiskInfo::Mode::kRO ? mesos::v1::Volume::RO
                                                                          : mesos::v1::Volume::RW);
    }
  }
  if (r.revocable) {
    p->mutable_revocable();
  }
  if (!allocation_role.empty()) {
    p->mutable_allocation_info()->set_role(allocation_role);
  }
}

void resourcesToProto(const Resources& resources, ProtoResources* out,
                      const std::string& allocation_role, ResourceFormat format) {
  for (const auto& r : resources) {
    resourceToProto(r, out->Add(), allocation_role, format);
  }
}

Result<std::string> allocationRoleOf(const ProtoResources& resources) {
  std::string role;
  int with = 0;
  for (const auto& r : resources) {
    if (!r.has_allocation_info()) {
      continue;
    }
    ++with;
    if (!r.allocation_info().has_role()) {
      return invalidArgument(
          fmt::format("Resource '{}' has allocation_info without a role", r.name()));
    }
    if (!role.empty() && role != r.allocation_info().role()) {
      return invalidArgument(
          fmt::format("Resources are allocated to more than one role ('{}' and '{}')", role,
                      r.allocation_info().role()));
    }
    role = r.allocation_info().role();
  }
  if (with != 0 && with != resources.size()) {
    return invalidArgument("Some resources carry allocation_info and some do not");
  }
  return role;
}

}  // namespace plateau
