// plateau-executor: the built-in executors, started by plateau-agent.
//   plateau-executor            the command executor (one task, LAUNCH)
//   plateau-executor --default  the default executor (task groups, LAUNCH_GROUP)
// With PLATEAU_ZYGOTE_FD=<fd> it is the agent's zygote instead: it clones itself into
// each command executor asked for on that descriptor (agent/containerizer/zygote.h).

#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "agent/containerizer/zygote_server.h"
#include "agent/containerizer/zygote_wire.h"
#include "common/plain_command.h"
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
  namespace zygote = plateau::agent::zygote;
  if (const char* fd = std::getenv(zygote::kZygoteVariable); fd != nullptr && argc == 1) {
    // Asked once here rather than by every command executor cloned from the zygote (each
    // resolved /bin/sh again before running its task's plain command).
    (void)plateau::shellIsDash();
    return zygote::serve(std::atoi(fd), runExecutor);
  }
  return runExecutor(argc, argv);
}
