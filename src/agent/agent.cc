#include "agent/agent.h"

#include <csignal>

#include <fmt/format.h>

#include "agent/containerizer/containerizer.h"
#include "agent/fetcher.h"
#include "agent/gpu/gpu.h"
#include "agent/images/image_gc.h"
#include "agent/images/image_runtime.h"
#include "agent/nested_containers.h"
#include "agent/sandbox_gc.h"
#include "agent/tree_remover.h"
#include "common/process.h"
#include "common/version.h"
#include "endpoints/files.h"
#include "endpoints/logging_toggle.h"

namespace plateau::agent {

Agent::Agent(Environment env, Flags flags,
             std::vector<std::pair<std::string, std::string>> flag_values, Resources resources,
             v1::AgentInfo info, std::string executor_path, std::shared_ptr<spdlog::logger> log,
             uint64_t seed)
    : timers_(env.timers),
      clock_(env.clock),
      flags_(std::move(flags)),
      client_limiter_(
          {.qps = flags_.client_request_qps,
           .capacity = static_cast<uint64_t>(std::max(1, flags_.client_request_capacity))}),
      flag_values_(std::move(flag_values)),
      resources_(std::move(resources)),
      info_(std::move(info)),
      executor_path_(std::move(executor_path)),
      log_(std::move(log)),
      uuids_(seed),
      master_link_(
          // Its jitter draws from a stream of its own, derived from the agent's one seed.
          clock_, timers_, env.master, flags_.registration_backoff_factor, seed + 1, log_,
          {.registration = [this] { return registration(); },
           .registered =
               [this](const internal::AgentEvent::Registered& registered) {
                 this->registered(registered);
               },
           .disconnected =
               [this] {
                 outgoing_updates_.Clear();  // sent again from their streams once registered
                 status_updates_.setConnected(false);
               },
           .event = [this](const internal::AgentEvent& event) { handleMasterEvent(event); },
           .agent_id = [this] { return info_.id(); }}),
      checkpoint_(flags_.work_dir),
      status_updates_(
          timers_, flags_.status_update_retry_interval,
          {.forward = [this](const std::string& framework_id, const v1::TaskStatus& status,
                             v1::TaskState latest) { forwardUpdate(framework_id, status, latest); },
           .checkpoint_update =
               [this](const std::string& framework_id, const std::string& executor_id,
                      const v1::TaskStatus& status) {
                 checkpointed(checkpoint_.appendUpdate(framework_id, executor_id, status),
                              "update");
               },
           .checkpoint_ack =
               [this](const std::string& framework_id, const std::string& executor_id,
                      const std::string& task_id, const std::string& uuid) {
                 checkpointed(checkpoint_.appendAck(framework_id, executor_id, task_id, uuid),
                              "ack");
               }}),
      containerizer_(std::move(env.containerizer)),
      logging_level_(timers_, log_) {
  containerizer_->setLimitationCallback(
      [this](const std::string& container_id, Limitation limitation) {
        containerLimited(container_id, limitation);
      });
  metrics_.registry.onCollect([this] { updateMetricGauges(); });
  load_ = std::move(env.load);
  if (load_ == nullptr) {
    load_ = std::make_unique<FileLoadSource>(flags_.load_average_file);
  }
  qos_ = makeQos();
  buildGuard();
  initNested();
}

Agent::~Agent() {
  if (updates_flush_timer_ != 0) {
    timers_.cancel(updates_flush_timer_);
  }
  if (disk_watch_timer_ != 0) {
    timers_.cancel(disk_watch_timer_);
  }
  for (auto& [container_id, link] : channels_) {
    if (link.stream) {
      // The stream may outlive the agent, or end while channels_ is being destroyed: its end
      // must reach neither.
      link.stream->onClosed([] {});
    }
  }
}

Status Agent::start(uint16_t port, std::optional<http::Endpoint> master) {
  bound_port_ = port;
  info_.set_port(flags_.address.advertisedPort(port));
  start_time_ = clock_.wallSeconds();
  initFetcherCache();
  initImages();
  log_->info("agent_started address={}:{} master={} resources=\"{}\"", flags_.ip, port,
             flags_.master, resources_.toString());
  given_info_ = info_;
  initSandboxGc();
  if (Status s = recover(); !s.isOk()) {
    return s;
  }
  recoverCheckpointedResources();
  initVolumeGids();
  recoverContainers();
  scheduleLeftSandboxes();
  oversubscription_->start();
  qos_->start();
  if (master) {
    master_link_.setMaster(master);
  }
  return {};
}

void Agent::shutdown() {
  for (const auto& [pid, run] : fetches_) {
    signalTree(pid, SIGKILL);  // a fetcher runs outside any container
  }
  // Executors of checkpointing frameworks outlive the agent: a restarted agent reconnects.
  for (const auto& [fw_id, framework] : book_.frameworks()) {
    if (framework.info().checkpoint() && flags_.recover == "reconnect") {
      continue;
    }
    for (const auto& [ex_id, executor] : framework.executors()) {
      nested_->parentEnded(executor.containerId());  // its nested containers go with it
      containerizer_->kill(executor.containerId());
      containerizer_->destroy(executor.containerId());
      releaseImage(executor.containerId());
    }
  }
}

void Agent::route(http::Request& request, http::Responder responder) {
  const std::string& path = request.path;
  // Mesos's executor library addresses the agent process by its id: /slave(1)/api/v1/executor.
  if (path == "/api/v1/executor" || path == "/slave(1)/api/v1/executor") {
    return executorApi(request, std::move(responder));
  }
  if (path == "/api/v1" || path == "/slave(1)/api/v1") {
    return operatorApi(request, std::move(responder));
  }
  if (path == "/health" || path == "/slave(1)/health") {
    return responder.respond(http::Response::text(200, ""));
  }
  if (path == "/state" || path == "/slave(1)/state" || path == "/state.json" ||
      path == "/slave(1)/state.json") {
    // The master's web UI reads agents directly from the browser (as Mesos's does): these
    // read-only endpoints allow any origin.
    http::Response r = stateJson(viewFilter(request.principal));
    r.headers["access-control-allow-origin"] = "*";
    return responder.respond(std::move(r));
  }
  if (path == "/monitor/statistics" || path == "/monitor/statistics.json") {
    // Read-only as well: the web UI's agent page shows each container's usage from it.
    http::Response r = monitorStatistics();
    r.headers["access-control-allow-origin"] = "*";
    return responder.respond(std::move(r));
  }
  if (path == "/flags" || path == "/slave(1)/flags") {
    return responder.respond(flagsJson());
  }
  if (path == "/version") {
    return responder.respond(http::Response::json(fmt::format(
        R"({{"version":"{}","build_user":"plateau","git_sha":"","build_date":"","build_time":0}})",
        kVersion)));
  }
  if (path == "/metrics/snapshot") {
    return responder.respond(metricsJson());
  }
  if (path == "/metrics") {
    http::Response r = http::Response::text(200, metrics_.registry.prometheus());
    r.headers["content-type"] = std::string(metrics::kPrometheusContentType);
    return responder.respond(std::move(r));
  }
  if (path == "/containers" || path == "/slave(1)/containers") {
    return responder.respond(containersJson(viewFilter(request.principal)));
  }
  if (path == "/logging/toggle") {
    return responder.respond(endpoints::toggleLogging(request, logging_level_));
  }
  if (path == "/files/browse" || path == "/files/browse.json" || path == "/files/read" ||
      path == "/files/read.json" || path == "/files/download" || path == "/files/download.json" ||
      path == "/files/debug" || path == "/files/debug.json") {
    http::Response r = files::serveFiles(request, sandboxes());
    r.headers["access-control-allow-origin"] = "*";
    return responder.respond(std::move(r));
  }
  responder.respond(http::Response::text(404, fmt::format("No endpoint at '{}'", path)));
}

std::vector<Attachment> Agent::sandboxes() const {
  // Each sandbox under its run's path and under runs/latest. Live executors first: resolve()
  // takes the first match, so a live run of an executor id wins over a completed one.
  std::vector<Attachment> out;
  auto attach = [&](const std::string& fw_id, const std::string& ex_id,
                    const std::string& container_id, const std::string& directory) {
    if (directory.empty()) {
      return;
    }
    out.push_back(
        {fmt::format("/frameworks/{}/executors/{}/runs/latest", fw_id, ex_id), directory});
    if (!container_id.empty()) {
      out.push_back({fmt::format("/frameworks/{}/executors/{}/runs/{}", fw_id, ex_id, container_id),
                     directory});
    }
  };
  for (const auto& [fw_id, framework] : book_.frameworks()) {
    for (const auto& [ex_id, executor] : framework.executors()) {
      attach(fw_id, ex_id, executor.containerId(), executor.directory());
    }
  }
  const auto& completed = book_.completedExecutors();
  for (auto it = completed.rbegin(); it != completed.rend(); ++it) {
    attach(it->framework_id, it->info.executor_id().value(), it->container_id, it->directory);
  }
  // The agent's own log, as Mesos attaches it: --external_log_file first, else --log_dir's.
  if (!flags_.external_log_file.empty()) {
    out.push_back(
        {.virtual_path = "/slave/log", .directory = flags_.external_log_file, .file = true});
  } else if (!flags_.log_dir.empty()) {
    out.push_back({.virtual_path = "/slave/log",
                   .directory = flags_.log_dir + "/plateau-agent.log",
                   .file = true});
  }
  return out;
}

}  // namespace plateau::agent
