#pragma once

// The limits of an HTTP server (ServerOptions, server.h) tuned by environment variables, so
// that every daemon (master, agent, plateau-apps, plateau-jobs, plateau-dns) takes the same
// ones. Pure: the caller passes the environment.

#include "common/status.h"
#include "http/server.h"
#include "http/tls_config.h"

namespace plateau::http {

// `base` with the PLATEAU_HTTP_* variables of `env` applied: MAX_REQUEST_LINE, MAX_HEADERS,
// MAX_BODY and MAX_STREAM_BUFFER as Mesos byte sizes ("64KB", "16MB"), MAX_CONNECTIONS as a
// count, REQUEST_TIMEOUT, WRITE_TIMEOUT and HANDSHAKE_TIMEOUT as Mesos durations ("60secs").
// kInvalidArgument naming the variable for a value that does not parse or is zero.
Result<ServerOptions> applyServerLimits(const EnvironmentMap& env, ServerOptions base);

// The PLATEAU_HTTP_* variables of this process's environment.
EnvironmentMap limitsEnvironment();

}  // namespace plateau::http
