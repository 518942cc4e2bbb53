#pragma once

// Mesos's --firewall_rules: HTTP endpoints an operator turned off. A request whose path is
// listed (exactly: no prefixes, no wildcards, as Mesos's DisabledEndpointsFirewallRule) is
// answered 403 before any handler, authentication or rate limit sees it. Pure and immutable
// once parsed, so one instance may be shared by every connection of a daemon.

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"
#include "http/server.h"

namespace plateau::http {

class Firewall {
 public:
  // Parses Mesos's Firewall message as JSON: {"disabled_endpoints": {"paths": ["/x", ...]}}.
  // kInvalidArgument naming --firewall_rules and the place: bad JSON, a field of the wrong type,
  // a path that does not start with '/'. Unknown fields are ignored, as Mesos's JSON is.
  static Result<Firewall> parse(std::string_view json);

  // The 403 answer ("Endpoint '<path>' is disabled") for a disabled path; nullopt otherwise.
  // The path is compared both as received and percent-decoded.
  std::optional<Response> check(const Request& request) const;

  const std::set<std::string>& disabledPaths() const { return disabled_; }

 private:
  std::set<std::string> disabled_;
};

// `inner`, behind `firewall`: disabled endpoints are answered 403 and never reach it.
Handler guarded(Firewall firewall, Handler inner);

}  // namespace plateau::http
