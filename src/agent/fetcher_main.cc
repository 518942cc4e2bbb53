// plateau-fetcher: downloads a container's URIs into its sandbox, as the agent's plan says.
// Usage: plateau-fetcher PLAN_FILE. Exit status 0 when every URI was fetched; otherwise 1, with
// the reason written to the plan's error file (and logged to stderr, the sandbox's stderr).

#include <csignal>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "agent/fetcher.h"

int main(int argc, char** argv) {
  using namespace plateau::agent;
  std::signal(SIGPIPE, SIG_IGN);
  if (argc != 2) {
    fmt::print(stderr, "Usage: plateau-fetcher PLAN_FILE\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  auto plan = fetcher::decodePlan(text.str());
  if (!plan) {
    fmt::print(stderr, "plateau-fetcher: cannot read plan '{}': {}\n", argv[1],
               plan.error().message());
    return 2;
  }
  plateau::Status status = fetcher::runPlan(*plan);
  if (!status.isOk()) {
    std::ofstream err(plan->error_file, std::ios::trunc);
    err << status.message();
    return 1;
  }
  return 0;
}
