// plateau-jobs: a fault-tolerant cron on Plateau with Chronos's REST API. Parse flags, build
// the object graph, contend for leadership (with --zk_hosts) or lead alone, run the loop.

#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "common/json.h"
#include "common/logging.h"
#include "http/server.h"
#include "http/tls_flags.h"
#include "jobs/api.h"
#include "jobs/flags.h"
#include "jobs/framework.h"
#include "jobs/scheduler.h"
#include "service/cors.h"
#include "service/kv_store.h"
#include "service/leader_terms.h"
#include "service/router.h"

namespace {

using namespace plateau;

// What only the leading instance runs: the scheduler over the store, subscribed to the master,
// and the API over it. Destroyed when this instance stops leading, its framework first.
class JobsTerm final : public service::Term {
 public:
  JobsTerm(EventLoop& loop, service::KvStore& store, jobs::FrameworkOptions framework_options,
           jobs::SchedulerOptions options, jobs::JobDefaults defaults,
           std::shared_ptr<spdlog::logger> log)
      : framework_(loop, std::move(framework_options), log),
        scheduler_(loop.clock(), loop, store, framework_, log, options),
        api_(scheduler_, loop.clock(), std::move(defaults)) {}
  ~JobsTerm() override { framework_.stop(); }

  // Recovers the state (jobs, runs, framework id) and subscribes with its framework id.
  Status lead(const std::string& address) {
    api_.setLeader(address);
    if (Status s = scheduler_.recover(); !s.isOk()) {
      return s;
    }
    return framework_.start(scheduler_, scheduler_.frameworkId());
  }

  void handle(http::Request& request, http::Responder responder) override {
    api_.handle(request, std::move(responder));
  }

 private:
  jobs::Framework framework_;
  jobs::Scheduler scheduler_;
  jobs::Api api_;
};

// A standby answers /ping and /leader itself (as Chronos does) and proxies the rest.
std::optional<http::Response> standbyAnswer(const http::Request& request,
                                            const std::optional<std::string>& leader) {
  if (request.method != "GET") {
    return std::nullopt;
  }
  if (request.path == "/ping") {
    return http::Response::text(200, "pong");
  }
  if (request.path == "/leader") {
    if (!leader) {
      return service::messageAnswer(503, "There is no leader");
    }
    std::string body;
    json::Writer w(&body);
    w.beginObject();
    w.key("leader");
    w.value(*leader);
    w.endObject();
    return service::jsonAnswer(200, body);
  }
  return std::nullopt;
}

Result<std::unique_ptr<service::KvStore>> openLocalStore(const jobs::Flags& flags,
                                                         spdlog::logger& log) {
  if (flags.work_dir.empty()) {
    log.warn("state_in_memory reason=\"no --work_dir: jobs and history are lost on restart\"");
    return service::makeMemoryStore();
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.work_dir, ec);
  auto opened = service::openSqliteStore(flags.work_dir + "/jobs.db");
  if (!opened) {
    return std::unexpected(
        Status(StatusCode::kInvalidArgument, opened.error().message() + " (check '--work_dir')"));
  }
  return std::move(*opened);
}

jobs::SchedulerOptions schedulerOptions(const jobs::Flags& flags) {
  return {.default_epsilon_seconds = flags.task_epsilon,
          .failure_retry = std::chrono::milliseconds(flags.failure_retry),
          .offer_lead = std::chrono::milliseconds(flags.offer_lead),
          .decline_seconds = flags.decline_offer_duration / 1000.0,
          .history_limit = static_cast<size_t>(flags.job_history_limit),
          .disable_after_failures = flags.disable_after_failures,
          .reconciliation_interval =
              std::chrono::milliseconds(int64_t{flags.reconciliation_interval} * 1000)};
}

int run(const jobs::Flags& flags, const std::shared_ptr<spdlog::logger>& log) {
  auto zk_url = *jobs::zooKeeperUrl(flags);  // validated
  std::unique_ptr<service::KvStore> local_store;
  if (!zk_url) {
    auto opened = openLocalStore(flags, *log);
    if (!opened) {
      fmt::print(stderr, "Error: {}\n", opened.error().message());
      return 1;
    }
    local_store = std::move(*opened);
  }
  EventLoop loop;
  std::string hostname = flags.hostname.empty() ? service::localHostname() : flags.hostname;
  service::LeaderTerms terms(loop,
                             {.name = "jobs",
                              .zk = zk_url,
                              .zk_timeout = std::chrono::milliseconds(flags.zk_timeout),
                              .local_store = local_store.get()},
                             log);
  // CORS: the master's web UI (another origin) lists, runs and changes jobs from the browser.
  auto server_options = http::serverOptionsFromEnvironment();
  if (!server_options) {
    log->error("jobs_start_failed error=\"{}\"", server_options.error().message());
    return 1;
  }
  http::Server server(
      loop,
      [&terms](http::Request& request, http::Responder incoming) {
        auto allowed = service::allowCrossOrigin(request, std::move(incoming));
        if (allowed) {  // else a preflight, answered
          terms.handle(request, std::move(*allowed));
        }
      },
      *server_options);
  auto port = server.listen(flags.http_address, flags.http_port);
  if (!port) {
    log->error("jobs_start_failed error=\"{}\"", port.error().message());
    return 1;
  }
  std::string address = fmt::format("{}:{}", hostname, *port);
  jobs::FrameworkOptions framework_options{
      .master = flags.master,
      .name = flags.mesos_framework_name,
      .role = flags.mesos_role.empty() ? "*" : flags.mesos_role,
      .user = flags.user.empty() ? service::currentUser() : flags.user,
      .hostname = hostname,
      .webui_url = flags.webui_url,
      .failover_timeout_seconds = flags.failover_timeout,
      .checkpoint = flags.mesos_checkpoint,
      .principal = flags.credential.principal,
      .secret = flags.credential.secret};
  jobs::JobDefaults defaults{.cpus = flags.mesos_task_cpu,
                             .mem = flags.mesos_task_mem,
                             .disk = flags.mesos_task_disk,
                             .user = flags.user};
  terms.start(
      address,
      [&](service::KvStore& store) -> Result<std::unique_ptr<service::Term>> {
        auto term = std::make_unique<JobsTerm>(loop, store, framework_options,
                                               schedulerOptions(flags), defaults, log);
        if (Status s = term->lead(address); !s.isOk()) {
          return std::unexpected(s);
        }
        return std::unique_ptr<service::Term>(std::move(term));
      },
      standbyAnswer);
  if (terms.fatal()) {
    return 1;
  }
  log->info("jobs_started address={}:{} master={} leadership={}", flags.http_address, *port,
            flags.master, terms.describe());
  loop.onSignal(SIGTERM, [&](int) { loop.stop(); });
  loop.onSignal(SIGINT, [&](int) { loop.stop(); });
  loop.run();
  if (terms.fatal()) {
    return 1;
  }
  terms.stop();
  log->info("jobs_stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  jobs::Flags flags;
  flags::FlagSet set("plateau-jobs",
                     "plateau-jobs: scheduled and dependent jobs on Plateau, with Chronos's API");
  jobs::registerFlags(set, flags);
  Status parsed = set.parse(argc, argv);
  if (int code = flags::exitCodeFor(parsed, set); code >= 0) {
    return code;
  }
  http::useTlsFlags(flags.tls.given(set));
  if (Status s = jobs::validateFlags(flags); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  if (Status s = service::loadServiceCredential(flags); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  auto log = makeLogger("jobs", flags.logging_level, flags.log_dir);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  return run(flags, *log);
}
