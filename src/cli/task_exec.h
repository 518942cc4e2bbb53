#pragma once

// `plateau task exec` and `plateau task attach`: a command run inside a running task's container
// (a nested container session on the task's agent, as Mesos's `task exec` starts one), and a
// terminal attached to a nested container's output and input.

#include <string>
#include <vector>

namespace plateau::cli {

struct TaskExecOptions {
  std::string master = "127.0.0.1:5050";
  std::string task_id;
  std::vector<std::string> command;  // the program and its arguments
  bool tty = false;                  // -t: a pseudo-terminal in the container
  bool interactive = false;          // -i: this terminal's stdin goes to the command
};

// Runs the command in the task's container, printing its stdout and stderr as they come.
// Returns the command's exit code (128 + signal when a signal ended it), or 1 with a message
// when it could not run.
int taskExec(const TaskExecOptions& options);

// Follows the output (and with `interactive`, feeds the input) of the nested container
// `container` (its "<parent>.<id>" text as Mesos writes ContainerIDs, or the id alone under the
// task's container; "": the one nested container running there) until it ends; returns its exit
// code as taskExec does.
int taskAttach(const std::string& master, const std::string& task_id, const std::string& container,
               bool interactive);

}  // namespace plateau::cli
