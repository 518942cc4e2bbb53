#pragma once

// `plateau execute`: a one-task framework, like mesos-execute.

#include <string>

namespace plateau::cli {

struct ExecuteOptions {
  std::string master = "127.0.0.1:5050";
  std::string name;
  std::string command;
  std::string resources = "cpus:0.1;mem:32";
  std::string role = "*";
  std::string framework_name = "plateau-execute";
  std::string user;  // the framework's user, whom the task runs as; empty: $USER
  bool json = false;
  std::string docker_image;  // run the command inside this Docker image (Mesos containerizer)
};

// Runs the task to a terminal state, printing each state change. Returns the exit code:
// 0 only for TASK_FINISHED.
int execute(const ExecuteOptions& options);

}  // namespace plateau::cli
