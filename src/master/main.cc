// plateau-master: parse flags, build the object graph, run the loop.

#include <csignal>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "common/uuid.h"
#include "common/version.h"
#include "http/server.h"
#include "http/tls_flags.h"
#include "master/flags.h"
#include "master/forked_render.h"
#include "master/master.h"
#include "master/registry/in_memory_registry.h"
#include "master/registry/sqlite_registry.h"
#include "master/zookeeper_leadership.h"

namespace plateau::master {
namespace {

// The registry and the way to leadership the flags ask for: with --zk, contention through
// ZooKeeper (and the registry there); else this master alone, with its local or in-memory one.
Result<std::unique_ptr<Leadership>> chooseLeadership(EventLoop& loop, const Flags& flags) {
  if (!flags.zk.empty()) {
    auto url = zk::Url::parse(flags.zk);  // validated with the flags
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(flags.zk_session_timeout);
    return std::make_unique<ZooKeeperLeadership>(loop, *url, timeout);
  }
  if (flags.registry == "in_memory") {
    return std::make_unique<SoleLeadership>(std::make_unique<registry::InMemoryRegistry>(loop));
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.work_dir, ec);
  auto local = registry::SqliteRegistry::open(loop, flags.work_dir + "/registry.db");
  if (!local) {
    return std::unexpected(Status(local.error().code(),
                                  fmt::format("{} (check '--work_dir')", local.error().message())));
  }
  return std::make_unique<SoleLeadership>(std::move(*local));
}

}  // namespace
}  // namespace plateau::master

int main(int argc, char** argv) {
  using namespace plateau;
  master::Flags flags;
  flags::FlagSet set("plateau-master", "Plateau master: pools agents' resources and offers them");
  master::registerFlags(set, flags);
  Status parsed = set.parse(argc, argv);
  if (int code = flags::exitCodeFor(parsed, set); code >= 0) {
    return code;
  }
  http::useTlsFlags(flags.tls.given(set));
  if (flags.version) {
    fmt::print("plateau-master {}\n", kVersion);
    return 0;
  }
  if (Status s = master::validateFlags(flags); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  if (Status s = flags.address.resolve(set, &flags.ip); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  auto log = makeLogger("master", flags.logging_level, flags.log_dir, flags.quiet);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  flags::reportFlagWarnings(set, [&](const std::string& line) { (*log)->warn("{}", line); });
  std::signal(SIGPIPE, SIG_IGN);
  EventLoop loop;
  auto leadership = master::chooseLeadership(loop, flags);
  if (!leadership) {
    fmt::print(stderr, "Error: {}\n", leadership.error().message());
    return 1;
  }
  master::Master master(master::Environment{.timers = loop,
                                            .clock = loop.clock(),
                                            .leadership = std::move(*leadership),
                                            .stop = [&loop] { loop.stop(); }},
                        flags, set.values(), *log, osRandomSeed());
  auto server_options = http::serverOptionsFromEnvironment();
  if (!server_options) {
    (*log)->error("master_start_failed error=\"{}\"", server_options.error().message());
    return 1;
  }
  http::Server server(loop,
                      http::guarded(flags.address.firewall(),
                                    [&master](http::Request& request, http::Responder responder) {
                                      master.handle(request, std::move(responder));
                                    }),
                      *server_options);
  auto port = server.listen(flags.ip, flags.port);
  if (!port) {
    (*log)->error("master_start_failed error=\"{}\"", port.error().message());
    return 1;
  }
  master.start(*port);
  master.watchLoop();
  loop.onSignal(SIGTERM, [&](int) { loop.stop(); });
  loop.onSignal(SIGINT, [&](int) { loop.stop(); });
  loop.run();
  // A forked render's helper thread posts to the loop: let it finish before the loop goes.
  master::ForkedRender::waitForRenders(std::chrono::seconds(5));
  (*log)->info("master_stopped exit_code={}", master.exitCode());
  return master.exitCode();
}
