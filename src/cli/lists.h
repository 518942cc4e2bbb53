#pragma once

// `plateau agent|framework|task list`: tables (or JSON) from the master's /master/state.

#include <string>

namespace plateau::cli {

enum class ListKind { kAgents, kFrameworks, kTasks };

// Prints the list; returns the exit code (non-zero when the master cannot be reached).
int list(ListKind kind, const std::string& master, bool json);

}  // namespace plateau::cli
