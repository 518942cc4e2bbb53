#pragma once

// Cross-origin access for a service's REST API, so that a web UI served from another origin
// (the master's) can call it from the browser, limited to the origins an operator lists
// (Marathon's --access_control_allow_origin): an allowed origin's requests get
// Access-Control-Allow-Origin on every answer, and its CORS preflights (OPTIONS) are answered
// here. Other origins get no such header, so browsers keep them out.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/server.h"

namespace plateau::service {

class CorsPolicy {
 public:
  // No origin allowed (no header is ever added).
  CorsPolicy() = default;
  // From a comma-separated list of origins ("http://host:port", spaces allowed around commas)
  // or "*" for any; empty: none. An entry that is not "*" nor scheme://host[:port] is an error.
  static std::expected<CorsPolicy, Status> parse(std::string_view list);
  static CorsPolicy any();

  // The Access-Control-Allow-Origin value for a request from `origin`, or "" when not allowed.
  std::string allowOrigin(const std::string& origin) const;
  bool allowsAny() const { return any_; }

 private:
  bool any_ = false;
  std::vector<std::string> origins_;
};

// When `request` is a preflight from an allowed origin, answers it (204 with the allowed
// methods and headers) and returns nullopt; otherwise returns a Responder that adds
// Access-Control-Allow-Origin (when the request's origin is allowed) to whatever `responder`
// is given, whole answers and streams alike.
std::optional<http::Responder> allowCrossOrigin(const http::Request& request,
                                                http::Responder responder,
                                                const CorsPolicy& policy);
// The same for any origin ("*").
std::optional<http::Responder> allowCrossOrigin(const http::Request& request,
                                                http::Responder responder);

}  // namespace plateau::service
