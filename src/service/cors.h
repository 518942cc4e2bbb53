#pragma once

// Cross-origin access for a service's REST API, so that a web UI served from another origin
// (the master's) can call it from the browser: every answer carries
// Access-Control-Allow-Origin, and CORS preflights (OPTIONS) are answered here.

#include <optional>

#include "http/server.h"

namespace plateau::service {

// When `request` is a preflight, answers it (204 with the allowed methods and headers) and
// returns nullopt; otherwise returns a Responder that adds Access-Control-Allow-Origin to
// whatever `responder` is given, whole answers and streams alike.
std::optional<http::Responder> allowCrossOrigin(const http::Request& request,
                                                http::Responder responder);

}  // namespace plateau::service
