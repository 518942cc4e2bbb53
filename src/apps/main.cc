// plateau-apps: long-running services on Plateau with Marathon's REST API. Parse flags, build
// the object graph, run the loop.

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
#include "service/service_flags.h"
#include "service/sse.h"
#include "service/zk_store.h"
#include "zookeeper/url.h"

namespace {

using namespace plateau;

// One plateau-apps instance: its API server, its leadership, and what exists only while it
// leads (a term: the store in ZooKeeper, the framework, the orchestrator, the API). Loop
// thread only.
class AppsService {
 public:
  AppsService(const apps::Flags& flags, std::shared_ptr<spdlog::logger> log)
      : flags_(flags),
        log_(std::move(log)),
        hostname_(flags.hostname.empty() ? service::localHostname() : flags.hostname),
        zk_timeout_(flags.zk_session_timeout),
        prober_(loop_),
        cors_(service::CorsPolicy::parse(flags.access_control_allow_origin)
                  .value_or(service::CorsPolicy())) {}

  // Opens the local state (without --zk); false after printing why it cannot.
  bool openLocalState();
  // Serves until SIGTERM or SIGINT; the process's exit code.
  int run();

 private:
  // What exists only while this instance leads, destroyed in this order when it stops leading.
  struct Term {
    std::unique_ptr<service::KvStore> zk_store;
    std::unique_ptr<apps::Framework> framework;
    std::unique_ptr<apps::Orchestrator> orchestrator;
    std::unique_ptr<apps::Api> api;
  };

  Status beginTerm(const std::string& fence);
  void endTerm(const std::string& why);
  void handle(http::Request& request, http::Responder incoming);
  void elected(const std::string& fence);

  const apps::Flags& flags_;
  std::shared_ptr<spdlog::logger> log_;
  std::string hostname_;
  std::chrono::milliseconds zk_timeout_;
  std::optional<zk::Url> zk_url_;
  std::unique_ptr<service::KvStore> local_store_;
  EventLoop loop_;
  service::SseHub events_;
  apps::NetworkProber prober_;
  service::CorsPolicy cors_;  // --access_control_allow_origin, validated with the flags
  std::unique_ptr<Term> term_;
  std::optional<std::string> leader_;  // the leader's API address, as last reported
  std::string address_;                // this instance's
  std::unique_ptr<service::Leadership> leadership_;
  std::unique_ptr<service::LeaderProxy> proxy_;
  bool fatal_ = false;
};

// Without --zk the state is local and this instance leads alone; with it, instances elect a
// leader and the leader's state lives in ZooKeeper.
bool AppsService::openLocalState() {
  if (!flags_.zk.empty()) {
    zk_url_ = *zk::Url::parse(flags_.zk);  // validated with the flags
    return true;
  }
  if (flags_.work_dir.empty()) {
    log_->warn("state_in_memory reason=\"no --work_dir: apps are lost on restart\"");
    local_store_ = service::makeMemoryStore();
    return true;
  }
  std::error_code ec;
  std::filesystem::create_directories(flags_.work_dir, ec);
  auto opened = service::openSqliteStore(flags_.work_dir + "/apps.db");
  if (!opened) {
    fmt::print(stderr, "Error: {} (check '--work_dir')\n", opened.error().message());
    return false;
  }
  local_store_ = std::move(*opened);
  return true;
}

void AppsService::endTerm(const std::string& why) {
  if (!term_) {
    return;
  }
  log_->warn("apps_deposed reason=\"{}\"", why);
  term_->framework->stop();
  events_.closeAll();  // clients reconnect, through the proxy, to the next leader
  term_->api.reset();
  term_->orchestrator.reset();
  term_->framework.reset();
  term_.reset();
}

Status AppsService::beginTerm(const std::string& fence) {
  auto t = std::make_unique<Term>();
  service::KvStore* store = local_store_.get();
  if (zk_url_) {
    auto opened = service::openZooKeeperStore(*zk_url_, zk_timeout_);
    if (!opened) {
      return opened.error();
    }
    (*opened)->setFence(fence);
    store = opened->get();
    t->zk_store = std::move(*opened);
  }
  t->framework = std::make_unique<apps::Framework>(
      loop_,
      apps::FrameworkOptions{
          .master = flags_.master,
          .name = flags_.framework_name,
          .role = flags_.mesos_role.empty() ? "*" : flags_.mesos_role,
          .user = flags_.mesos_user.empty() ? service::currentUser() : flags_.mesos_user,
          .hostname = hostname_,
          .webui_url = flags_.webui_url,
          .failover_timeout_seconds = flags_.failover_timeout,
          .principal = flags_.credential.principal,
          .secret = flags_.credential.secret},
      log_);
  Term* raw = t.get();
  t->orchestrator = std::make_unique<apps::Orchestrator>(
      loop_.clock(), loop_, *store, *t->framework,
      [raw](std::string_view type, std::string json) {
        if (raw->api) {
          raw->api->publish(type, json);
        }
      },
      log_, osRandomSeed(),
      apps::OrchestratorOptions{
          .task_launch_timeout = std::chrono::milliseconds(flags_.task_launch_timeout),
          .reconciliation_interval = std::chrono::milliseconds(flags_.reconciliation_interval)});
  t->orchestrator->setProber(&prober_);
  if (Status s = t->orchestrator->recover(); !s.isOk()) {
    return s;
  }
  t->api = std::make_unique<apps::Api>(
      *t->orchestrator, events_, loop_.clock(),
      apps::ServiceInfo{.version = kVersion,
                        .leader = address_,
                        .master = flags_.master,
                        .zk = flags_.zk,
                        .framework_name = flags_.framework_name,
                        .mesos_role = flags_.mesos_role,
                        .hostname = hostname_,
                        .store = store->describe(),
                        .failover_timeout_seconds = flags_.failover_timeout,
                        .task_launch_timeout_ms = flags_.task_launch_timeout,
                        .reconciliation_interval_ms = flags_.reconciliation_interval,
                        .http_port = 0});
  t->api->onAbdicate([this] { loop_.post([this] { leadership_->abdicate(); }); });
  if (Status s = t->framework->start(*t->orchestrator, t->orchestrator->frameworkId()); !s.isOk()) {
    return s;
  }
  log_->info("apps_elected address={} store={} framework_id={}", address_, store->describe(),
             t->orchestrator->frameworkId());
  term_ = std::move(t);
  return {};
}

// The leader answers everything; a standby answers /ping and GET /v2/leader and forwards the
// rest. CORS first: the master's web UI (another origin) calls the API from the browser.
void AppsService::handle(http::Request& request, http::Responder incoming) {
  auto allowed = service::allowCrossOrigin(request, std::move(incoming), cors_);
  if (!allowed) {
    return;  // a preflight, answered
  }
  http::Responder responder = std::move(*allowed);
  if (term_) {
    term_->api->handle(request, std::move(responder));
    return;
  }
  if (request.method == "GET" && request.path == "/ping") {
    responder.respond(http::Response::text(200, "pong\n"));
    return;
  }
  if (request.method == "GET" && request.path == "/v2/leader") {
    responder.respond(leader_
                          ? service::jsonAnswer(200, fmt::format("{{\"leader\":\"{}\"}}", *leader_))
                          : service::messageAnswer(404, "There is no leader"));
    return;
  }
  proxy_->forward(request, leader_, std::move(responder));
}

void AppsService::elected(const std::string& fence) {
  if (Status s = beginTerm(fence); !s.isOk()) {
    log_->error("apps_term_failed error=\"{}\"", s.message());
    if (!zk_url_) {
      fatal_ = true;  // a local store that cannot be read will not heal by itself
      loop_.stop();
      return;
    }
    loop_.post([this] { leadership_->abdicate(); });
  }
}

int AppsService::run() {
  auto server_options = http::serverOptionsFromEnvironment();
  if (!server_options) {
    log_->error("apps_start_failed error=\"{}\"", server_options.error().message());
    return 1;
  }
  http::Server server(
      loop_,
      [this](http::Request& request, http::Responder incoming) {
        handle(request, std::move(incoming));
      },
      *server_options);
  auto port = server.listen(flags_.http_address, flags_.http_port);
  if (!port) {
    log_->error("apps_start_failed error=\"{}\"", port.error().message());
    return 1;
  }
  address_ = fmt::format("{}:{}", hostname_, *port);
  proxy_ = std::make_unique<service::LeaderProxy>(loop_, address_);
  leadership_ = zk_url_ ? service::makeZooKeeperLeadership(loop_, *zk_url_, zk_timeout_, address_)
                        : service::makeSoleLeadership(loop_, address_);
  leadership_->start({.elected = [this](const std::string& fence) { elected(fence); },
                      .deposed = [this](const std::string& why) { endTerm(why); },
                      .leader =
                          [this](std::optional<std::string> a) {
                            if (a != leader_) {
                              log_->info("apps_leader leader={}", a.value_or("none"));
                            }
                            leader_ = std::move(a);
                          }});
  if (fatal_) {
    return 1;
  }
  log_->info("apps_started address={}:{} master={} leadership={}", flags_.http_address, *port,
             flags_.master, leadership_->describe());
  loop_.onSignal(SIGTERM, [this](int) { loop_.stop(); });
  loop_.onSignal(SIGINT, [this](int) { loop_.stop(); });
  loop_.run();
  if (fatal_) {
    return 1;
  }
  endTerm("stopping");
  leadership_.reset();
  log_->info("apps_stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
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
  if (Status s = service::loadServiceCredential(flags); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  auto log = makeLogger("apps", flags.logging_level, flags.log_dir);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  AppsService service(flags, *log);
  if (!service.openLocalState()) {
    return 1;
  }
  return service.run();
}
