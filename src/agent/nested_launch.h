#pragma once

// Starts a nested container's process inside a running container: the child joins the
// namespaces (mount, pid, uts, ipc, net), root and working directory of a process of that
// container, and its cgroups, takes that process's user, and runs the command with its stdio on
// pipes, on a pseudo-terminal, or on files. What joins is only what differs from the agent's own:
// a container without isolation is joined by running beside it. Needs root to join namespaces.
//
// To join a pid namespace the child forks once more: the process the agent sees (and reaps)
// stays in the agent's pid namespace, waits for the command there and exits as the command did
// (the same wait status). Both lead one session, so signalTree(pid) reaches everything started.

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/fd.h"
#include "common/status.h"

namespace plateau::agent {

// How the command's stdio is set up.
enum class NestedStdio {
  kPipes,  // stdin, stdout and stderr on pipes the agent keeps
  kTty,    // one pseudo-terminal: stdin, stdout and stderr on its slave; the agent keeps the master
  kFiles,  // stdin from /dev/null; stdout and stderr appended to files
};

struct NestedSpec {
  pid_t target = 0;               // the process whose namespaces, root and cwd are joined
  std::string program;            // a path, or a name looked up on the env's PATH
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // "NAME=value": the whole environment
  NestedStdio stdio = NestedStdio::kPipes;
  std::pair<uint16_t, uint16_t> window{24, 80};  // rows, columns (kTty)
  std::string stdout_path;                       // kFiles
  std::string stderr_path;                       // kFiles
  // When set, the process the agent sees (NestedProcess::pid) is a relay that stays on the host,
  // in the agent's namespaces, with this folder as its working directory, and ignores every
  // signal it can: it waits for the command, writes the command's wait status to `status_fd`
  // (in decimal, then '\n') when that is open, and ends as the command did. It outlives the
  // agent, and a restarted agent can tell it alive by its working directory (processLiveness()).
  std::string relay_dir;
  // false: the command keeps the host's mount namespace, root and the agent's user (what it runs
  // enters a root filesystem of its own and switches user itself); the relay's folder, if any,
  // is its working directory.
  bool join_mount = true;
  int status_fd = -1;  // the agent's descriptor; the command never has it
};

// A started nested process and the agent's ends of its stdio (invalid where not kept).
struct NestedProcess {
  pid_t pid = 0;
  Fd input;   // write end of stdin (the pty master, duplicated, with kTty)
  Fd output;  // read end of stdout (the pty master with kTty)
  Fd error;   // read end of stderr (none with kTty)
};

// Picks the process a nested container under `root` (a container's first process) joins: the
// first process of its tree in another mount namespace than `root` (a task that entered an image's
// root filesystem), else `root` itself. nullopt when `root` is gone.
std::optional<pid_t> joinTarget(pid_t root);

// The environment of `pid` (/proc/<pid>/environ), without the executor's authentication token.
std::vector<std::string> processEnvironment(pid_t pid);

// Starts the process; blocks until it has exec'd or failed. Errors name the step that failed
// (joining a namespace, the program not found, ...) and leave nothing running.
Result<NestedProcess> launchNested(const NestedSpec& spec);

}  // namespace plateau::agent
