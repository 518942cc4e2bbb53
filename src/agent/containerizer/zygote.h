#pragma once

// The agent's side of the executor zygote (zygote_server.h): a plateau-executor started once
// with --zygote, already linked and initialised, that clones itself into each new executor
// instead of the agent spawning and the executor re-executing the binary (which cost about
// 5-7 ms of CPU per executor, mostly dynamic linking, against well under 1 ms for a clone).
// What an executor sees is unchanged: its argv, environment, stdio, working directory, user,
// cgroups and session are those the launcher would have given it, and it is the agent's child.
//
// Loop thread only. launch() blocks until the zygote has cloned the new process and placed it
// in its cgroups (not until it is set up: see zygote_server.h), at most kReplyTimeout.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/containerizer/launcher.h"
#include "agent/containerizer/zygote_wire.h"
#include "common/fd.h"
#include "common/status.h"

namespace plateau::agent {

class ExecutorZygote {
 public:
  static constexpr std::chrono::seconds kReplyTimeout{5};

  // `program` is the executor binary; nothing starts until the first launch().
  explicit ExecutorZygote(std::string program);
  ~ExecutorZygote();
  ExecutorZygote(const ExecutorZygote&) = delete;
  ExecutorZygote& operator=(const ExecutorZygote&) = delete;

  // Whether launch() can start `child`: the zygote's program run as the command executor
  // (argv "plateau-executor" alone, so its command line is the zygote's), no new namespaces,
  // and the zygote not given up on.
  bool serves(const ChildSpec& child) const;

  // Starts `child`, joined to the cgroups whose cgroup.procs files are given. An error when
  // the process could not be set up (it is gone, as with the launcher); nullopt when the
  // zygote failed and a fresh one failed too (it then is given up on: for instance on a
  // kernel without PR_SET_MM_MAP, which a clone needs to show its environment in /proc): the
  // caller launches the process another way.
  std::optional<Result<pid_t>> launch(const ChildSpec& child,
                                      const std::vector<std::string>& cgroups);

  // The zygote's pid while it runs (0 otherwise).
  pid_t pid() const { return pid_; }

 private:
  bool start();
  void stop();
  // Sends one encoded request and reads the reply; nullopt (and the zygote stopped) when it
  // did not answer.
  std::optional<zygote::Reply> ask(const std::string& request);

  std::string program_;
  Fd socket_;
  pid_t pid_ = 0;
  bool given_up_ = false;
};

}  // namespace plateau::agent
