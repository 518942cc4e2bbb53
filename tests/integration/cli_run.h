#pragma once

// The `plateau` command run against a test cluster, as a user would run it.

#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "harness.h"

namespace plateau::testing {

// The `plateau` command's exit code and everything it printed.
struct CliRun {
  int exit_code;
  std::string output;
};

inline CliRun runPlateau(const Cluster& cluster, std::vector<std::string> args) {
  std::string log = cluster.dir() + "/cli.out";
  std::remove(log.c_str());
  args.insert(args.begin(), std::string(PLATEAU_BIN_DIR) + "/plateau");
  Process p("plateau", args, log);
  int status = p.wait();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, p.log()};
}

}  // namespace plateau::testing
