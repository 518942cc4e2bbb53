// plateau-apps: long-running services on Plateau with Marathon's REST API. Parse flags, build
// the object graph, run the loop.

#include <pwd.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "apps/api.h"
#include "apps/flags.h"
#include "apps/framework.h"
#include "apps/orchestrator.h"
#include "common/logging.h"
#include "common/uuid.h"
#include "common/version.h"
#include "http/server.h"
#include "service/cors.h"
#include "service/kv_store.h"
#include "service/sse.h"

namespace {

std::string currentUser() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

std::string localHostname() {
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace plateau;
  apps::Flags flags;
  flags::FlagSet set("plateau-apps",
                     "plateau-apps: long-running services on Plateau, with Marathon's REST API");
  apps::registerFlags(set, flags);
  Status parsed = set.parse(argc, argv);
  if (int code = flags::exitCodeFor(parsed, set); code >= 0) {
    return code;
  }
  if (Status s = apps::validateFlags(flags); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  auto log = makeLogger("apps", flags.logging_level, flags.log_dir);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<service::KvStore> store;
  if (flags.work_dir.empty()) {
    (*log)->warn("state_in_memory reason=\"no --work_dir: apps are lost on restart\"");
    store = service::makeMemoryStore();
  } else {
    std::error_code ec;
    std::filesystem::create_directories(flags.work_dir, ec);
    auto opened = service::openSqliteStore(flags.work_dir + "/apps.db");
    if (!opened) {
      fmt::print(stderr, "Error: {} (check '--work_dir')\n", opened.error().message());
      return 1;
    }
    store = std::move(*opened);
  }

  EventLoop loop;
  service::SseHub events;
  std::string hostname = flags.hostname.empty() ? localHostname() : flags.hostname;
  apps::Framework framework(loop,
                            {.master = flags.master,
                             .name = flags.framework_name,
                             .role = flags.mesos_role.empty() ? "*" : flags.mesos_role,
                             .user = flags.mesos_user.empty() ? currentUser() : flags.mesos_user,
                             .hostname = hostname,
                             .webui_url = flags.webui_url,
                             .failover_timeout_seconds = flags.failover_timeout},
                            *log);
  apps::Api* api_ptr = nullptr;
  apps::Orchestrator orchestrator(
      loop.clock(), loop, *store, framework,
      [&api_ptr](std::string_view type, std::string json) {
        if (api_ptr != nullptr) {
          api_ptr->publish(type, json);
        }
      },
      *log, osRandomSeed(),
      {.task_launch_timeout = std::chrono::milliseconds(flags.task_launch_timeout),
       .reconciliation_interval = std::chrono::milliseconds(flags.reconciliation_interval)});
  if (Status s = orchestrator.recover(); !s.isOk()) {
    (*log)->error("apps_start_failed error=\"{}\"", s.message());
    return 1;
  }
  apps::Api api(orchestrator, events, loop.clock(),
                {.version = kVersion,
                 .master = flags.master,
                 .zk = flags.zk,
                 .framework_name = flags.framework_name,
                 .mesos_role = flags.mesos_role,
                 .hostname = hostname,
                 .store = store->describe(),
                 .failover_timeout_seconds = flags.failover_timeout,
                 .task_launch_timeout_ms = flags.task_launch_timeout,
                 .reconciliation_interval_ms = flags.reconciliation_interval});
  api_ptr = &api;
  // CORS: the master's web UI (another origin) shows and scales apps from the browser.
  http::Server server(loop, [&api](http::Request& request, http::Responder responder) {
    if (auto r = service::allowCrossOrigin(request, std::move(responder))) {
      api.handle(request, std::move(*r));
    }
  });
  auto port = server.listen(flags.http_address, flags.http_port);
  if (!port) {
    (*log)->error("apps_start_failed error=\"{}\"", port.error().message());
    return 1;
  }
  api.setLeader(fmt::format("{}:{}", hostname, *port));
  if (Status s = framework.start(orchestrator, orchestrator.frameworkId()); !s.isOk()) {
    (*log)->error("apps_start_failed error=\"{}\"", s.message());
    return 1;
  }
  (*log)->info("apps_started address={}:{} master={} store={} framework_id={}", flags.http_address,
               *port, flags.master, store->describe(), orchestrator.frameworkId());
  loop.onSignal(SIGTERM, [&](int) { loop.stop(); });
  loop.onSignal(SIGINT, [&](int) { loop.stop(); });
  loop.run();
  events.closeAll();
  framework.stop();
  (*log)->info("apps_stopped");
  return 0;
}
