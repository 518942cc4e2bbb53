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

// With `env` ("NAME=value" entries), the command runs with exactly that environment (through
// `env -i`) instead of the test's.
inline CliRun runPlateau(const Cluster& cluster, std::vector<std::string> args,
                         std::vector<std::string> env = {}) {
  std::string log = cluster.dir() + "/cli.out";
  std::remove(log.c_str());
  args.insert(args.begin(), std::string(PLATEAU_BIN_DIR) + "/plateau");
  if (!env.empty()) {
    env.insert(env.begin(), {"/usr/bin/env", "-i"});
    args.insert(args.begin(), env.begin(), env.end());
  }
  Process p("plateau", args, log);
  int status = p.wait();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, p.log()};
}

}  // namespace plateau::testing
