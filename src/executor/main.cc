// plateau-executor: the built-in executors, started by plateau-agent.
//   plateau-executor            the command executor (one task, LAUNCH)
//   plateau-executor --default  the default executor (task groups, LAUNCH_GROUP)
//   plateau-executor --zygote   started once by the agent: clones itself into each executor it
//                               is asked for on descriptor 3 (agent/containerizer/zygote.h)

#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "agent/containerizer/zygote_server.h"
#include "common/uuid.h"
#include "executor/command_executor.h"

namespace {

int runExecutor(int argc, char** argv) {
  using namespace plateau;
  executor::Mode mode = executor::Mode::kCommand;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--default") == 0) {
      mode = executor::Mode::kDefault;
    } else {
      fmt::print(stderr, "Error: unknown argument '{}' (expected --default or nothing)\n", argv[i]);
      return 1;
    }
  }
  auto config = executor::Config::fromEnvironment();
  if (!config) {
    fmt::print(stderr, "Error: {}\n", config.error().message());
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  EventLoop loop;
  executor::CommandExecutor executor(loop, *config, osRandomSeed(), mode);
  executor.start();
  loop.run();
  return executor.exitCode();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--zygote") == 0) {
    return plateau::agent::zygote::serve(3, runExecutor);
  }
  return runExecutor(argc, argv);
}
