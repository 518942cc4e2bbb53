// plateau-master: parse flags, build the object graph, run the loop.

#include <csignal>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "common/uuid.h"
#include "master/flags.h"
#include "master/master.h"
#include "master/registry/in_memory_registry.h"
#include "master/registry/sqlite_registry.h"

int main(int argc, char** argv) {
  using namespace plateau;
  master::Flags flags;
  flags::FlagSet set("plateau-master", "Plateau master: pools agents' resources and offers them");
  master::registerFlags(set, flags);
  Status parsed = set.parse(argc, argv);
  if (int code = flags::exitCodeFor(parsed, set); code >= 0) {
    return code;
  }
  if (Status s = master::validateFlags(flags); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  auto log = makeLogger("master", flags.logging_level, flags.log_dir, flags.quiet);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  if (!flags.quorum.empty()) {
    (*log)->info("flag_ignored name=quorum reason=\"ZooKeeper's ensemble is the quorum\"");
  }
  std::signal(SIGPIPE, SIG_IGN);
  EventLoop loop;
  std::unique_ptr<master::registry::Registry> registry;
  if (flags.registry == "in_memory") {
    registry = std::make_unique<master::registry::InMemoryRegistry>(loop);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(flags.work_dir, ec);
    auto local = master::registry::SqliteRegistry::open(loop, flags.work_dir + "/registry.db");
    if (!local) {
      fmt::print(stderr, "Error: {} (check '--work_dir')\n", local.error().message());
      return 1;
    }
    registry = std::move(*local);
  }
  master::Master master(loop, flags, set.values(), *log, osRandomSeed(), std::move(registry));
  auto port = master.start();
  if (!port) {
    (*log)->error("master_start_failed error=\"{}\"", port.error().message());
    return 1;
  }
  loop.onSignal(SIGTERM, [&](int) { loop.stop(); });
  loop.onSignal(SIGINT, [&](int) { loop.stop(); });
  loop.run();
  (*log)->info("master_stopped exit_code={}", master.exitCode());
  return master.exitCode();
}
