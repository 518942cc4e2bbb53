#include "master/validation.h"

#include <set>

#include <fmt/format.h>

namespace plateau::master {

namespace scheduler = mesos::v1::scheduler;

namespace {

Status invalid(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

Status expect(bool present, const char* field) {
  return present ? Status() : invalid(fmt::format("Expecting '{}' to be present", field));
}

}  // namespace

Status validateCall(const scheduler::Call& call) {
  if (!call.has_type()) {
    return invalid("Expecting 'type' to be present");
  }
  if (call.type() == scheduler::Call::SUBSCRIBE) {
    if (!call.has_subscribe()) {
      return invalid("Expecting 'subscribe' to be present");
    }
    const auto& info = call.subscribe().framework_info();
    if (call.has_framework_id() && !(info.has_id() && info.id().value() == call.framework_id().value())) {
      return invalid("'framework_id' differs from 'subscribe.framework_info.id'");
    }
    return {};
  }
  if (!call.has_framework_id()) {
    return invalid("Expecting 'framework_id' to be present");
  }
  switch (call.type()) {
    case scheduler::Call::TEARDOWN:
    case scheduler::Call::REVIVE:
    case scheduler::Call::SUPPRESS:
      return {};
    case scheduler::Call::ACCEPT: return expect(call.has_accept(), "accept");
    case scheduler::Call::DECLINE: return expect(call.has_decline(), "decline");
    case scheduler::Call::KILL: return expect(call.has_kill(), "kill");
    case scheduler::Call::SHUTDOWN: return expect(call.has_shutdown(), "shutdown");
    case scheduler::Call::RECONCILE: return expect(call.has_reconcile(), "reconcile");
    case scheduler::Call::MESSAGE: return expect(call.has_message(), "message");
    case scheduler::Call::UPDATE_FRAMEWORK:
      return expect(call.has_update_framework(), "update_framework");
    case scheduler::Call::REQUEST: return expect(call.has_request(), "request");
    case scheduler::Call::ACKNOWLEDGE: {
      if (!call.has_acknowledge()) {
        return invalid("Expecting 'acknowledge' to be present");
      }
      if (call.acknowledge().uuid().size() != 16) {
        return invalid(fmt::format("Not a valid UUID: 'acknowledge.uuid' has {} bytes, expected 16",
                                   call.acknowledge().uuid().size()));
      }
      return {};
    }
    case scheduler::Call::UNKNOWN:
      return invalid("Unknown call type 'UNKNOWN'");
    default:
      return invalid(fmt::format("Call type '{}' is not supported yet",
                                 scheduler::Call::Type_Name(call.type())));
  }
}

Status validateRole(const std::string& role) {
  if (role == "*") {
    return {};
  }
  if (role.empty()) {
    return invalid("Role name must not be empty");
  }
  if (role.front() == '/' || role.back() == '/') {
    return invalid(fmt::format("Role '{}' must not start or end with '/'", role));
  }
  size_t start = 0;
  while (start <= role.size()) {
    size_t slash = role.find('/', start);
    std::string part = role.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == ".." || part == "*") {
      return invalid(fmt::format("Role '{}' has an invalid component '{}'", role, part));
    }
    if (part.front() == '-') {
      return invalid(fmt::format("Role '{}' has a component starting with '-'", role));
    }
    for (unsigned char c : part) {
      if (c <= 0x20 || c == 0x7f || c == '\\') {
        return invalid(fmt::format("Role '{}' contains invalid characters", role));
      }
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return {};
}

Status validateFrameworkInfo(const mesos::v1::FrameworkInfo& info) {
  bool multi_role = false;
  for (const auto& cap : info.capabilities()) {
    if (cap.type() == mesos::v1::FrameworkInfo::Capability::MULTI_ROLE) {
      multi_role = true;
    }
  }
  if (multi_role && info.has_role()) {
    return invalid("'FrameworkInfo.role' must not be set with the MULTI_ROLE capability");
  }
  if (!multi_role && info.roles_size() > 0) {
    return invalid("'FrameworkInfo.roles' needs the MULTI_ROLE capability");
  }
  std::set<std::string> roles;
  for (const auto& role : info.roles()) {
    if (Status s = validateRole(role); !s.isOk()) {
      return s;
    }
    if (!roles.insert(role).second) {
      return invalid(fmt::format("'FrameworkInfo.roles' contains duplicate items: '{}'", role));
    }
  }
  for (const auto& [role, filters] : info.offer_filters()) {
    if (multi_role ? !roles.contains(role) : role != info.role()) {
      return invalid(fmt::format(
          "'FrameworkInfo.offer_filters' names role '{}' which the framework is not "
          "subscribed to",
          role));
    }
    for (const auto& quantities : filters.min_allocatable_resources().quantities()) {
      for (const auto& [name, scalar] : quantities.quantities()) {
        if (!(scalar.value() >= 0)) {
          return invalid(fmt::format(
              "'FrameworkInfo.offer_filters' has a negative minimum for '{}'", name));
        }
      }
    }
  }
  if (info.has_role()) {
    if (Status s = validateRole(info.role()); !s.isOk()) {
      return s;
    }
  }
  if (info.has_failover_timeout() && !(info.failover_timeout() >= 0)) {
    return invalid("'FrameworkInfo.failover_timeout' must be a non-negative number");
  }
  return {};
}

Status validateId(const std::string& kind, const std::string& value) {
  if (value.empty()) {
    return invalid(fmt::format("{} must not be empty", kind));
  }
  if (value == "." || value == "..") {
    return invalid(fmt::format("{} '{}' is not allowed", kind, value));
  }
  for (char c : value) {
    if (c == '/' || c == '\0' || c == '\\') {
      return invalid(fmt::format("{} '{}' contains an invalid character", kind, value));
    }
  }
  return {};
}

}  // namespace plateau::master
