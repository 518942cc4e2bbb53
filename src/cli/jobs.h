#pragma once

// `plateau job ...`: plateau-jobs through its Chronos REST API (list, show, add, run, remove,
// history).

namespace CLI {
class App;
}

namespace plateau::cli {

// Adds the `job` command group to `app`: each command takes --jobs (host:port; else
// $PLATEAU_JOBS, else 127.0.0.1:8080, Chronos's port) and --json, prints what happened and
// exits 0, or 1 when plateau-jobs cannot be reached or refuses (its message is printed).
void addJobCommands(CLI::App& app);

}  // namespace plateau::cli
