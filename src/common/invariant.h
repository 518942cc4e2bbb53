#pragma once

// One policy for errors. Untrusted input (a request, a flag, a file another process wrote)
// gets an error value: a Status or Result that becomes a 4xx, a task update with a reason or a
// flag error. A broken internal invariant is different: the process can no longer trust its
// own state, so it says what broke and where, and aborts; a supervisor restarts it and the
// state comes back from the registry and the checkpoints. Exceptions are never part of either
// path: one that reaches the event loop is a broken invariant too (see EventLoop).

#include <source_location>
#include <string_view>

#include "common/status.h"

namespace plateau {

// Logs `what` with the source location (critical, flushed, and on stderr) and aborts.
[[noreturn]] void invariantBroken(
    std::string_view what, const std::source_location& where = std::source_location::current());

// invariantBroken(status.message()) unless `status` is ok.
inline void checkInvariant(const Status& status,
                           const std::source_location& where = std::source_location::current()) {
  if (!status.isOk()) {
    invariantBroken(status.message(), where);
  }
}

}  // namespace plateau
