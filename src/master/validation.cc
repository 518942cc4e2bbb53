#include "master/validation.h"

#include <cmath>
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
    if (call.has_framework_id() &&
        !(info.has_id() && info.id().value() == call.framework_id().value())) {
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
    case scheduler::Call::ACCEPT:
      return expect(call.has_accept(), "accept");
    case scheduler::Call::DECLINE:
      return expect(call.has_decline(), "decline");
    case scheduler::Call::KILL:
      return expect(call.has_kill(), "kill");
    case scheduler::Call::SHUTDOWN:
      return expect(call.has_shutdown(), "shutdown");
    case scheduler::Call::RECONCILE:
      return expect(call.has_reconcile(), "reconcile");
    case scheduler::Call::MESSAGE:
      return expect(call.has_message(), "message");
    case scheduler::Call::UPDATE_FRAMEWORK:
      return expect(call.has_update_framework(), "update_framework");
    case scheduler::Call::REQUEST:
      return expect(call.has_request(), "request");
    case scheduler::Call::ACKNOWLEDGE_OPERATION_STATUS:
      return expect(call.has_acknowledge_operation_status(), "acknowledge_operation_status");
    case scheduler::Call::RECONCILE_OPERATIONS:
      return expect(call.has_reconcile_operations(), "reconcile_operations");
    case scheduler::Call::ACCEPT_INVERSE_OFFERS:
      return expect(call.has_accept_inverse_offers(), "accept_inverse_offers");
    case scheduler::Call::DECLINE_INVERSE_OFFERS:
      return expect(call.has_decline_inverse_offers(), "decline_inverse_offers");
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
    std::string part =
        role.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
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
      return invalid(
          fmt::format("'FrameworkInfo.offer_filters' names role '{}' which the framework is not "
                      "subscribed to",
                      role));
    }
    for (const auto& quantities : filters.min_allocatable_resources().quantities()) {
      for (const auto& [name, scalar] : quantities.quantities()) {
        if (!(scalar.value() >= 0)) {
          return invalid(
              fmt::format("'FrameworkInfo.offer_filters' has a negative minimum for '{}'", name));
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

Status validateEnvironment(const mesos::v1::Environment& environment) {
  namespace v1 = mesos::v1;
  for (const auto& var : environment.variables()) {
    switch (var.type()) {
      case v1::Environment::Variable::VALUE:
        if (!var.has_value()) {
          return invalid(fmt::format("Environment variable '{}' of type 'VALUE' must have a value",
                                     var.name()));
        }
        if (var.has_secret()) {
          return invalid(fmt::format(
              "Environment variable '{}' of type 'VALUE' must not have a secret", var.name()));
        }
        break;
      case v1::Environment::Variable::SECRET:
        if (!var.has_secret()) {
          return invalid(fmt::format(
              "Environment variable '{}' of type 'SECRET' must have a secret set", var.name()));
        }
        if (var.has_value()) {
          return invalid(fmt::format(
              "Environment variable '{}' of type 'SECRET' must not have a value set", var.name()));
        }
        if (var.secret().type() != v1::Secret::VALUE || !var.secret().has_value()) {
          return invalid(fmt::format(
              "Environment variable '{}': only secrets of type 'VALUE' are supported (no secret "
              "resolver for 'REFERENCE' secrets)",
              var.name()));
        }
        break;
      default:
        return invalid(fmt::format("Environment variable '{}' has an unknown type", var.name()));
    }
  }
  return {};
}

namespace {

Status validateTimings(const char* what, double delay, double interval, double timeout) {
  if (!(delay >= 0) || !(interval >= 0) || !(timeout >= 0)) {
    return invalid(fmt::format(
        "{}: 'delay_seconds', 'interval_seconds' and 'timeout_seconds' must be non-negative",
        what));
  }
  return {};
}

Status validatePort(const char* what, uint32_t port) {
  if (port == 0 || port > 65535) {
    return invalid(fmt::format("{}: port {} is out of range", what, port));
  }
  return {};
}

// The HTTP probe of a health check: http scheme, IPv4, a valid port.
Status validateHttpHealthCheck(const mesos::v1::HealthCheck::HTTPCheckInfo& http) {
  if (http.has_scheme() && http.scheme() != "http") {
    return invalid(fmt::format("Task's health check: scheme '{}' is not supported (only 'http')",
                               http.scheme()));
  }
  if (http.protocol() != mesos::v1::NetworkInfo::IPv4) {
    return invalid("Task's health check: only IPv4 HTTP health checks are supported");
  }
  return validatePort("Task's HTTP health check", http.port());
}

Status validateHealthCheck(const mesos::v1::HealthCheck& hc) {
  namespace v1 = mesos::v1;
  if (Status s = validateTimings("Task's health check", hc.delay_seconds(), hc.interval_seconds(),
                                 hc.timeout_seconds());
      !s.isOk()) {
    return s;
  }
  if (!(hc.grace_period_seconds() >= 0)) {
    return invalid("Task's health check: 'grace_period_seconds' must be non-negative");
  }
  switch (hc.type()) {
    case v1::HealthCheck::COMMAND:
      if (!hc.has_command()) {
        return invalid("Expecting 'command' to be set for COMMAND health check");
      }
      return validateEnvironment(hc.command().environment());
    case v1::HealthCheck::HTTP:
      if (!hc.has_http()) {
        return invalid("Expecting 'http' to be set for HTTP health check");
      }
      return validateHttpHealthCheck(hc.http());
    case v1::HealthCheck::TCP:
      if (!hc.has_tcp()) {
        return invalid("Expecting 'tcp' to be set for TCP health check");
      }
      if (hc.tcp().protocol() != v1::NetworkInfo::IPv4) {
        return invalid("Task's health check: only IPv4 TCP health checks are supported");
      }
      return validatePort("Task's TCP health check", hc.tcp().port());
    default:
      return invalid("Task's health check must have 'type' COMMAND, HTTP or TCP");
  }
}

Status validateCheck(const mesos::v1::CheckInfo& c) {
  namespace v1 = mesos::v1;
  if (Status s = validateTimings("Task's check", c.delay_seconds(), c.interval_seconds(),
                                 c.timeout_seconds());
      !s.isOk()) {
    return s;
  }
  switch (c.type()) {
    case v1::CheckInfo::COMMAND:
      if (!c.has_command()) {
        return invalid("Expecting 'command' to be set for COMMAND check");
      }
      return validateEnvironment(c.command().command().environment());
    case v1::CheckInfo::HTTP:
      if (!c.has_http()) {
        return invalid("Expecting 'http' to be set for HTTP check");
      }
      return validatePort("Task's HTTP check", c.http().port());
    case v1::CheckInfo::TCP:
      if (!c.has_tcp()) {
        return invalid("Expecting 'tcp' to be set for TCP check");
      }
      return validatePort("Task's TCP check", c.tcp().port());
    default:
      return invalid("Task's check must have 'type' COMMAND, HTTP or TCP");
  }
}

}  // namespace

Status validateTaskLifecycle(const mesos::v1::TaskInfo& task) {
  if (task.has_kill_policy() && task.kill_policy().has_grace_period() &&
      task.kill_policy().grace_period().nanoseconds() < 0) {
    return invalid("Task's 'kill_policy.grace_period' must be non-negative");
  }
  if (task.has_command()) {
    if (Status s = validateEnvironment(task.command().environment()); !s.isOk()) {
      return s;
    }
  }
  if (task.has_health_check()) {
    if (Status s = validateHealthCheck(task.health_check()); !s.isOk()) {
      return s;
    }
  }
  if (task.has_check()) {
    return validateCheck(task.check());
  }
  return {};
}

Status validateGpus(const mesos::v1::FrameworkInfo& info, double gpus) {
  if (gpus <= 0) {
    return {};
  }
  if (gpus != std::floor(gpus)) {
    return invalid(fmt::format("The 'gpus' resource must be a whole number, not {}", gpus));
  }
  for (const auto& cap : info.capabilities()) {
    if (cap.type() == mesos::v1::FrameworkInfo::Capability::GPU_RESOURCES) {
      return {};
    }
  }
  return invalid("Task uses 'gpus' but its framework lacks the GPU_RESOURCES capability");
}

}  // namespace plateau::master
