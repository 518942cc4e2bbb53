#pragma once

// The executor zygote's side: plateau-executor started by the agent with PLATEAU_ZYGOTE_FD
// set to a descriptor number (kZygoteVariable, zygote_wire.h) reads launch
// requests (zygote_wire.h) on a socket and, for each, clones itself into a new process that
// does what the launcher does between fork and exec (joins its cgroups, leads a new session,
// opens its stdio, enters its working directory, becomes its user, resets signals, closes
// every other descriptor), takes the request's environment and runs `main` with its argv, as
// a freshly executed executor would, without paying exec, dynamic linking and static
// initialisation again.
//
// What can fail is done by the zygote before it clones (opening the cgroups' procs files, the
// stdio files and the working directory), and the zygote writes the new pid into the cgroups
// before the process may run: a failure is the reply's error and no process is left. The
// reply then comes at once, without waiting for the new process to be scheduled; a step that
// still fails in it (setsid, the environment, the user switch as root: not expected) is
// written to its stderr and it exits 127, which the agent sees as the executor's exit.
//
// Each process is cloned with CLONE_PARENT: it is the agent's child (a sibling of the zygote),
// so its exit reaches the agent through SIGCHLD as any container's first process does. The
// zygote keeps no threads, so the clone is a faithful copy. It dies with the agent
// (PR_SET_PDEATHSIG) and when the socket closes. Each process's environment is also what
// /proc/<pid>/environ shows (the agent reads it back on recovery: PR_SET_MM_MAP, which needs
// no capability); where the kernel refuses that, the zygote refuses to serve.

namespace plateau::agent::zygote {

// Serves requests on `fd` until it closes or fails; returns the zygote's exit code. In each
// started process it does not return: the process exits with what `main` returned.
int serve(int fd, int (*main)(int argc, char** argv));

}  // namespace plateau::agent::zygote
