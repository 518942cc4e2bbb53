// plateau-apps: long-running services on Plateau with Marathon's REST API. Parse flags, build
// the object graph, run the loop.

#include <pwd.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "apps/api.h"
#include "apps/flags.h"
#include "apps/framework.h"
#include "apps/health_prober.h"
#include "apps/orchestrator.h"
#include "common/logging.h"
#include "common/uuid.h"
#include "common/version.h"
#include "http/server.h"
#include "service/cors.h"
#include "service/kv_store.h"
#include "service/leader_proxy.h"
#include "service/leadership.h"
#include "service/router.h"
#include "service/sse.h"
#include "service/zk_store.h"
#include "zookeeper/url.h"

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

  // Without --zk the state is local and this instance leads alone; with it, instances elect a
  // leader and the leader's state lives in ZooKeeper.
  std::optional<zk::Url> zk_url;
  std::unique_ptr<service::KvStore> local_store;
  if (!flags.zk.empty()) {
    zk_url = *zk::Url::parse(flags.zk);  // validated above
  } else if (flags.work_dir.empty()) {
    (*log)->warn("state_in_memory reason=\"no --work_dir: apps are lost on restart\"");
    local_store = service::makeMemoryStore();
  } else {
    std::error_code ec;
    std::filesystem::create_directories(flags.work_dir, ec);
    auto opened = service::openSqliteStore(flags.work_dir + "/apps.db");
    if (!opened) {
      fmt::print(stderr, "Error: {} (check '--work_dir')\n", opened.error().message());
      return 1;
    }
    local_store = std::move(*opened);
  }

  EventLoop loop;
  service::SseHub events;
  std::string hostname = flags.hostname.empty() ? localHostname() : flags.hostname;
  const std::chrono::milliseconds zk_timeout(flags.zk_session_timeout);

  // What exists only while this instance leads, destroyed in this order when it stops leading.
  struct Term {
    std::unique_ptr<service::KvStore> zk_store;
    std::unique_ptr<apps::Framework> framework;
    std::unique_ptr<apps::Orchestrator> orchestrator;
    std::unique_ptr<apps::Api> api;
  };
  std::unique_ptr<Term> term;
  std::optional<std::string> leader;  // the leader's API address, as last reported
  std::string address;                // this instance's
  std::unique_ptr<service::Leadership> leadership;
  apps::NetworkProber prober(loop);

  auto endTerm = [&](const std::string& why) {
    if (!term) {
      return;
    }
    (*log)->warn("apps_deposed reason=\"{}\"", why);
    term->framework->stop();
    events.closeAll();  // clients reconnect, through the proxy, to the next leader
    term->api.reset();
    term->orchestrator.reset();
    term->framework.reset();
    term.reset();
  };

  auto beginTerm = [&](const std::string& fence) -> Status {
    auto t = std::make_unique<Term>();
    service::KvStore* store = local_store.get();
    if (zk_url) {
      auto opened = service::openZooKeeperStore(*zk_url, zk_timeout);
      if (!opened) {
        return opened.error();
      }
      (*opened)->setFence(fence);
      store = opened->get();
      t->zk_store = std::move(*opened);
    }
    t->framework = std::make_unique<apps::Framework>(
        loop,
        apps::FrameworkOptions{.master = flags.master,
                               .name = flags.framework_name,
                               .role = flags.mesos_role.empty() ? "*" : flags.mesos_role,
                               .user = flags.mesos_user.empty() ? currentUser() : flags.mesos_user,
                               .hostname = hostname,
                               .webui_url = flags.webui_url,
                               .failover_timeout_seconds = flags.failover_timeout},
        *log);
    Term* raw = t.get();
    t->orchestrator = std::make_unique<apps::Orchestrator>(
        loop.clock(), loop, *store, *t->framework,
        [raw](std::string_view type, std::string json) {
          if (raw->api) {
            raw->api->publish(type, json);
          }
        },
        *log, osRandomSeed(),
        apps::OrchestratorOptions{
            .task_launch_timeout = std::chrono::milliseconds(flags.task_launch_timeout),
            .reconciliation_interval = std::chrono::milliseconds(flags.reconciliation_interval)});
    t->orchestrator->setProber(&prober);
    if (Status s = t->orchestrator->recover(); !s.isOk()) {
      return s;
    }
    t->api = std::make_unique<apps::Api>(
        *t->orchestrator, events, loop.clock(),
        apps::ServiceInfo{.version = kVersion,
                          .leader = address,
                          .master = flags.master,
                          .zk = flags.zk,
                          .framework_name = flags.framework_name,
                          .mesos_role = flags.mesos_role,
                          .hostname = hostname,
                          .store = store->describe(),
                          .failover_timeout_seconds = flags.failover_timeout,
                          .task_launch_timeout_ms = flags.task_launch_timeout,
                          .reconciliation_interval_ms = flags.reconciliation_interval,
                          .http_port = 0});
    t->api->onAbdicate([&] { loop.post([&] { leadership->abdicate(); }); });
    if (Status s = t->framework->start(*t->orchestrator, t->orchestrator->frameworkId());
        !s.isOk()) {
      return s;
    }
    (*log)->info("apps_elected address={} store={} framework_id={}", address, store->describe(),
                 t->orchestrator->frameworkId());
    term = std::move(t);
    return {};
  };

  auto server_options = http::serverOptionsFromEnvironment();
  if (!server_options) {
    (*log)->error("apps_start_failed error=\"{}\"", server_options.error().message());
    return 1;
  }
  std::unique_ptr<service::LeaderProxy> proxy_ptr;
  // CORS: the master's web UI (another origin) shows and scales apps from the browser.
  http::Server server(
      loop,
      [&](http::Request& request, http::Responder incoming) {
        auto allowed = service::allowCrossOrigin(request, std::move(incoming));
        if (!allowed) {
          return;  // a preflight, answered
        }
        http::Responder responder = std::move(*allowed);
        if (term) {
          term->api->handle(request, std::move(responder));
          return;
        }
        if (request.method == "GET" && request.path == "/ping") {
          responder.respond(http::Response::text(200, "pong\n"));
          return;
        }
        if (request.method == "GET" && request.path == "/v2/leader") {
          responder.respond(
              leader ? service::jsonAnswer(200, fmt::format("{{\"leader\":\"{}\"}}", *leader))
                     : service::messageAnswer(404, "There is no leader"));
          return;
        }
        proxy_ptr->forward(request, leader, std::move(responder));
      },
      *server_options);
  auto port = server.listen(flags.http_address, flags.http_port);
  if (!port) {
    (*log)->error("apps_start_failed error=\"{}\"", port.error().message());
    return 1;
  }
  address = fmt::format("{}:{}", hostname, *port);
  proxy_ptr = std::make_unique<service::LeaderProxy>(loop, address);
  leadership = zk_url ? service::makeZooKeeperLeadership(loop, *zk_url, zk_timeout, address)
                      : service::makeSoleLeadership(loop, address);
  bool fatal = false;
  leadership->start(
      {.elected =
           [&](const std::string& fence) {
             if (Status s = beginTerm(fence); !s.isOk()) {
               (*log)->error("apps_term_failed error=\"{}\"", s.message());
               if (!zk_url) {
                 fatal = true;  // a local store that cannot be read will not heal by itself
                 loop.stop();
                 return;
               }
               loop.post([&] { leadership->abdicate(); });
             }
           },
       .deposed = [&](const std::string& why) { endTerm(why); },
       .leader =
           [&](std::optional<std::string> a) {
             if (a != leader) {
               (*log)->info("apps_leader leader={}", a.value_or("none"));
             }
             leader = std::move(a);
           }});
  if (fatal) {
    return 1;
  }
  (*log)->info("apps_started address={}:{} master={} leadership={}", flags.http_address, *port,
               flags.master, leadership->describe());
  loop.onSignal(SIGTERM, [&](int) { loop.stop(); });
  loop.onSignal(SIGINT, [&](int) { loop.stop(); });
  loop.run();
  if (fatal) {
    return 1;
  }
  endTerm("stopping");
  leadership.reset();
  (*log)->info("apps_stopped");
  return 0;
}
