#pragma once

// `plateau` commands that change or inspect one thing: teardown, weights, a task's log, status.

#include <string>

namespace plateau::cli {

// Each returns the process exit code and prints what happened (errors say what to do).
int teardownFramework(const std::string& master, const std::string& framework_id);
int weightsGet(const std::string& master, bool json);
int weightsSet(const std::string& master, const std::string& role, double weight);
// Prints the task's stdout (or stderr) from its sandbox; with `follow`, keeps printing until
// the task ends.
int taskLog(const std::string& master, const std::string& task_id, bool stderr_file, bool follow);
int clusterStatus(const std::string& master);

}  // namespace plateau::cli
