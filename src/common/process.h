#pragma once

// Child processes in their own session (so a whole tree can be signalled), and reaping.

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace plateau {

struct LaunchSpec {
  std::string path;               // program to execute (absolute, or looked up on PATH)
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // "NAME=value" entries: the whole environment
  std::string working_dir;        // empty: inherit
  std::string stdout_path;        // empty: inherit
  std::string stderr_path;        // empty: inherit
  bool new_session = true;        // false: a new process group inside the caller's session
};

// Starts the process as leader of a new session. Returns its pid.
Result<pid_t> launchProcess(const LaunchSpec& spec);

// Sends signo to the process group led by pid, and to every process in the session pid leads
// (found through /proc), so nothing a task started in another group survives.
void signalTree(pid_t pid, int signo);

// Collects every exited child without blocking: (pid, wait status).
std::vector<std::pair<pid_t, int>> reapChildren();

// "exited with status 1", "killed by signal 9 (Killed)" from a wait status.
std::string describeWaitStatus(int status);

// The current environment as "NAME=value" entries.
std::vector<std::string> currentEnvironment();

}  // namespace plateau
