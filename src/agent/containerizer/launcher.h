#pragma once

// Starts a container's first process. Unlike launchProcess() (posix_spawn), the child stops
// between fork and exec until the parent has placed it (cgroups), so nothing it runs escapes
// its limits; there it also enters new namespaces, switches user and sets up its stdio.

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/process.h"
#include "common/status.h"

namespace plateau::agent {

// A user to run as, resolved on the agent (getpwnam and getgrouplist are not safe after fork).
struct UserIds {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string home;
};

// For a forked child before exec (async-signal-safe): closes every descriptor from 3 up except
// `a` and `b` (either may be -1).
void closeAllBut(int a, int b);
// For a forked child before exec: every signal to its default disposition, none blocked.
void resetSignals();
// For a process that waits for a command and must record how it ended: ignores every signal it
// can (SIGKILL and SIGSTOP cannot be; SIGCHLD keeps its default).
void ignoreSignals();
// Ends this process as the wait status `status` says a command ended: its exit code, or its
// signal (without a core dump). Where the signal cannot end it (the init of a pid namespace
// sending itself a signal), it exits 128 + the signal. Async-signal-safe.
[[noreturn]] void exitLike(int status);

// Looks a user up; NotFound names the user when it does not exist.
Result<UserIds> lookupUser(const std::string& name);

struct ChildSpec {
  LaunchSpec process;           // path, argv, env, working_dir, stdout/stderr paths
  int clone_flags = 0;          // CLONE_NEWPID, CLONE_NEWNS
  std::optional<UserIds> user;  // switch to it before exec
};

// Forks the child (with clone flags), runs `place(pid)` while the child waits, then lets it
// exec. The child leads a new session. When `place` fails the child is killed and reaped and
// its error returned; when the child fails before exec (bad user, missing program), its error
// is returned and it is reaped. Blocks only until the child has exec'd.
Result<pid_t> launchChild(const ChildSpec& spec, const std::function<Status(pid_t)>& place);

}  // namespace plateau::agent
