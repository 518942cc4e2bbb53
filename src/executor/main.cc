// plateau-executor: the built-in command executor, started by plateau-agent.

#include <csignal>

#include <fmt/format.h>

#include "common/uuid.h"
#include "executor/command_executor.h"

int main() {
  using namespace plateau;
  auto config = executor::Config::fromEnvironment();
  if (!config) {
    fmt::print(stderr, "Error: {}\n", config.error().message());
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  EventLoop loop;
  executor::CommandExecutor executor(loop, *config, osRandomSeed());
  executor.start();
  loop.run();
  return executor.exitCode();
}
