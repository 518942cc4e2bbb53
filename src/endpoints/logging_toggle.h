#pragma once

// Mesos's /logging/toggle?level=N&duration=D (a libprocess endpoint of every daemon): raises the
// log verbosity to `level` for `duration` (stout's form: 10secs, 15mins), after which the
// configured level comes back by itself. 400 naming the missing or malformed parameter.

#include "http/message.h"
#include "runtime/logging_level.h"

namespace plateau::endpoints {

http::Response toggleLogging(const http::Request& request, LoggingLevel& level);

}  // namespace plateau::endpoints
