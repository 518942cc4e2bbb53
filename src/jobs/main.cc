// plateau-jobs: a fault-tolerant cron on Plateau with Chronos's REST API. Parse flags, build
// the object graph, lead, run the loop.

#include <pwd.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "common/logging.h"
#include "http/server.h"
#include "jobs/api.h"
#include "jobs/flags.h"
#include "jobs/framework.h"
#include "jobs/scheduler.h"
#include "service/kv_store.h"

namespace {

using namespace plateau;

std::string currentUser() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

std::string localHostname() {
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
}

// What only the leading instance runs: the scheduler over the store, subscribed to the master.
// The one seam for leader election: an elected instance calls lead(); a follower would only
// serve the API as a proxy to the leader (not wired yet: --zk_hosts is refused).
struct Leader {
  jobs::Framework framework;
  jobs::Scheduler scheduler;

  Leader(EventLoop& loop, service::KvStore& store, jobs::FrameworkOptions framework_options,
         jobs::SchedulerOptions options, std::shared_ptr<spdlog::logger> log)
      : framework(loop, std::move(framework_options), log),
        scheduler(loop.clock(), loop, store, framework, log, options) {}

  Status lead() {
    if (Status s = scheduler.recover(); !s.isOk()) {
      return s;
    }
    return framework.start(scheduler, scheduler.frameworkId());
  }
};

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
  if (Status s = jobs::validateFlags(flags); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  auto log = makeLogger("jobs", flags.logging_level, flags.log_dir);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<service::KvStore> store;
  if (flags.work_dir.empty()) {
    (*log)->warn("state_in_memory reason=\"no --work_dir: jobs and history are lost on restart\"");
    store = service::makeMemoryStore();
  } else {
    std::error_code ec;
    std::filesystem::create_directories(flags.work_dir, ec);
    auto opened = service::openSqliteStore(flags.work_dir + "/jobs.db");
    if (!opened) {
      fmt::print(stderr, "Error: {} (check '--work_dir')\n", opened.error().message());
      return 1;
    }
    store = std::move(*opened);
  }

  EventLoop loop;
  std::string hostname = flags.hostname.empty() ? localHostname() : flags.hostname;
  std::string user = flags.user.empty() ? currentUser() : flags.user;
  Leader leader(loop, *store,
                {.master = flags.master,
                 .name = flags.mesos_framework_name,
                 .role = flags.mesos_role.empty() ? "*" : flags.mesos_role,
                 .user = user,
                 .hostname = hostname,
                 .webui_url = flags.webui_url,
                 .failover_timeout_seconds = flags.failover_timeout,
                 .checkpoint = flags.mesos_checkpoint},
                {.default_epsilon_seconds = flags.task_epsilon,
                 .failure_retry = std::chrono::milliseconds(flags.failure_retry),
                 .offer_lead = std::chrono::milliseconds(flags.offer_lead),
                 .decline_seconds = flags.decline_offer_duration / 1000.0,
                 .history_limit = static_cast<size_t>(flags.job_history_limit),
                 .disable_after_failures = flags.disable_after_failures,
                 .reconciliation_interval =
                     std::chrono::milliseconds(int64_t{flags.reconciliation_interval} * 1000)},
                *log);
  jobs::Api api(leader.scheduler, loop.clock(),
                {.cpus = flags.mesos_task_cpu,
                 .mem = flags.mesos_task_mem,
                 .disk = flags.mesos_task_disk,
                 .user = flags.user});
  auto server_options = http::serverOptionsFromEnvironment();
  if (!server_options) {
    (*log)->error("jobs_start_failed error=\"{}\"", server_options.error().message());
    return 1;
  }
  http::Server server(
      loop,
      [&api](http::Request& request, http::Responder responder) {
        api.handle(request, std::move(responder));
      },
      *server_options);
  auto port = server.listen(flags.http_address, flags.http_port);
  if (!port) {
    (*log)->error("jobs_start_failed error=\"{}\"", port.error().message());
    return 1;
  }
  api.setLeader(fmt::format("{}:{}", hostname, *port));
  if (Status s = leader.lead(); !s.isOk()) {
    (*log)->error("jobs_start_failed error=\"{}\"", s.message());
    return 1;
  }
  (*log)->info("jobs_started address={}:{} master={} store={} framework_id={}", flags.http_address,
               *port, flags.master, store->describe(), leader.scheduler.frameworkId());
  loop.onSignal(SIGTERM, [&](int) { loop.stop(); });
  loop.onSignal(SIGINT, [&](int) { loop.stop(); });
  loop.run();
  leader.framework.stop();
  (*log)->info("jobs_stopped");
  return 0;
}
