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
#include "http/tls_flags.h"
#include "service/cors.h"
#include "service/kv_store.h"
#include "service/leader_terms.h"
#include "service/router.h"
#include "service/service_flags.h"
#include "service/sse.h"
#include "zookeeper/url.h"

namespace {

using namespace plateau;

// What only the leading instance runs: the framework subscribed to the master, the
// orchestrator over the term's store, and the API over it. Destroyed when this instance stops
// leading: the framework stops first, event streams close (clients reconnect, through the
// proxy, to the next leader), then the API, the orchestrator and the framework go.
class AppsTerm final : public service::Term {
 public:
  AppsTerm(EventLoop& loop, service::KvStore& store, const apps::Flags& flags,
           apps::FrameworkOptions framework_options, service::SseHub& events, apps::Prober& prober,
           std::shared_ptr<spdlog::logger> log)
      : flags_(flags),
        store_(store),
        events_(events),
        log_(log),
        framework_(loop, std::move(framework_options), log),
        orchestrator_(
            loop.clock(), loop, store, framework_,
            [this](std::string_view type, std::string json) {
              if (api_) {
                api_->publish(type, json);
              }
            },
            log, osRandomSeed(),
            apps::OrchestratorOptions{
                .task_launch_timeout = std::chrono::milliseconds(flags.task_launch_timeout),
                .reconciliation_interval =
                    std::chrono::milliseconds(flags.reconciliation_interval)}),
        clock_(loop.clock()) {
    orchestrator_.setProber(&prober);
  }
  ~AppsTerm() override {
    framework_.stop();
    events_.closeAll();
    api_.reset();
  }

  // Recovers the state, opens the API (as the leader at `address`, which `abdicate` steps
  // down) and subscribes with the recovered framework id.
  Status lead(const std::string& address, const std::string& hostname,
              std::function<void()> abdicate) {
    if (Status s = orchestrator_.recover(); !s.isOk()) {
      return s;
    }
    api_ = std::make_unique<apps::Api>(
        orchestrator_, events_, clock_,
        apps::ServiceInfo{.version = kVersion,
                          .leader = address,
                          .master = flags_.master,
                          .zk = flags_.zk,
                          .framework_name = flags_.framework_name,
                          .mesos_role = flags_.mesos_role,
                          .hostname = hostname,
                          .store = store_.describe(),
                          .failover_timeout_seconds = flags_.failover_timeout,
                          .task_launch_timeout_ms = flags_.task_launch_timeout,
                          .reconciliation_interval_ms = flags_.reconciliation_interval,
                          .http_port = 0});
    api_->onAbdicate(std::move(abdicate));
    if (Status s = framework_.start(orchestrator_, orchestrator_.frameworkId()); !s.isOk()) {
      return s;
    }
    log_->info("apps_subscribing framework_id={}", orchestrator_.frameworkId());
    return {};
  }

  void handle(http::Request& request, http::Responder responder) override {
    api_->handle(request, std::move(responder));
  }

 private:
  const apps::Flags& flags_;
  service::KvStore& store_;
  service::SseHub& events_;
  std::shared_ptr<spdlog::logger> log_;
  apps::Framework framework_;
  apps::Orchestrator orchestrator_;
  const Clock& clock_;
  std::unique_ptr<apps::Api> api_;
};

// A standby answers /ping and GET /v2/leader itself (as Marathon does) and proxies the rest.
std::optional<http::Response> standbyAnswer(const http::Request& request,
                                            const std::optional<std::string>& leader) {
  if (request.method == "GET" && request.path == "/ping") {
    return http::Response::text(200, "pong\n");
  }
  if (request.method == "GET" && request.path == "/v2/leader") {
    return leader ? service::jsonAnswer(200, fmt::format("{{\"leader\":\"{}\"}}", *leader))
                  : service::messageAnswer(404, "There is no leader");
  }
  return std::nullopt;
}

// One plateau-apps instance: its API server, with CORS, and its leader terms. Loop thread only.
class AppsService {
 public:
  AppsService(const apps::Flags& flags, std::shared_ptr<spdlog::logger> log)
      : flags_(flags),
        log_(std::move(log)),
        hostname_(flags.hostname.empty() ? service::localHostname() : flags.hostname),
        prober_(loop_),
        cors_(service::CorsPolicy::parse(flags.access_control_allow_origin)
                  .value_or(service::CorsPolicy())) {}

  // Opens the local state (without --zk); false after printing why it cannot.
  bool openLocalState();
  // Serves until SIGTERM or SIGINT; the process's exit code.
  int run();

 private:
  Result<std::unique_ptr<service::Term>> beginTerm(service::KvStore& store);
  void handle(http::Request& request, http::Responder incoming);

  const apps::Flags& flags_;
  std::shared_ptr<spdlog::logger> log_;
  std::string hostname_;
  std::optional<zk::Url> zk_url_;
  std::unique_ptr<service::KvStore> local_store_;
  EventLoop loop_;
  service::SseHub events_;
  apps::NetworkProber prober_;
  service::CorsPolicy cors_;  // --access_control_allow_origin, validated with the flags
  std::string address_;       // this instance's
  std::unique_ptr<service::LeaderTerms> terms_;
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

Result<std::unique_ptr<service::Term>> AppsService::beginTerm(service::KvStore& store) {
  auto term = std::make_unique<AppsTerm>(
      loop_, store, flags_,
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
      events_, prober_, log_);
  if (Status s = term->lead(address_, hostname_, [this] { terms_->abdicate(); }); !s.isOk()) {
    return std::unexpected(s);
  }
  return std::unique_ptr<service::Term>(std::move(term));
}

// CORS first (the master's web UI, another origin, calls the API from the browser), then the
// leader's API, a standby's own answer, or the proxy to the leader.
void AppsService::handle(http::Request& request, http::Responder incoming) {
  auto allowed = service::allowCrossOrigin(request, std::move(incoming), cors_);
  if (!allowed) {
    return;  // a preflight, answered
  }
  terms_->handle(request, std::move(*allowed));
}

int AppsService::run() {
  terms_ = std::make_unique<service::LeaderTerms>(
      loop_,
      service::LeaderTermsOptions{
          .name = "apps",
          .zk = zk_url_,
          .zk_timeout = std::chrono::milliseconds(flags_.zk_session_timeout),
          .local_store = local_store_.get()},
      log_);
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
  terms_->start(
      address_, [this](service::KvStore& store) { return beginTerm(store); }, standbyAnswer);
  if (terms_->fatal()) {
    return 1;
  }
  log_->info("apps_started address={}:{} master={} leadership={}", flags_.http_address, *port,
             flags_.master, terms_->describe());
  loop_.onSignal(SIGTERM, [this](int) { loop_.stop(); });
  loop_.onSignal(SIGINT, [this](int) { loop_.stop(); });
  loop_.run();
  if (terms_->fatal()) {
    return 1;
  }
  terms_->stop();
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
  http::useTlsFlags(flags.tls.given(set));
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
