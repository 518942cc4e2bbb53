#include "agent/agent.h"

#include <csignal>

#include <fmt/format.h>

#include "agent/files.h"
#include "common/process.h"

namespace plateau::agent {

Agent::Agent(EventLoop& loop, Flags flags,
             std::vector<std::pair<std::string, std::string>> flag_values, Resources resources,
             v1::AgentInfo info, std::string executor_path, std::shared_ptr<spdlog::logger> log,
             uint64_t seed)
    : loop_(loop),
      flags_(std::move(flags)),
      flag_values_(std::move(flag_values)),
      resources_(std::move(resources)),
      info_(std::move(info)),
      executor_path_(std::move(executor_path)),
      log_(std::move(log)),
      uuids_(seed),
      client_(loop),
      checkpoint_(flags_.work_dir) {}

Agent::~Agent() = default;

Result<uint16_t> Agent::start() {
  if (flags_.master.starts_with("zk://")) {
    auto url = zk::Url::parse(flags_.master);
    if (!url) {
      return std::unexpected(Status(StatusCode::kInvalidArgument,
                                    fmt::format("Invalid value for flag '--master': {}",
                                                url.error().message())));
    }
    detector_ = std::make_unique<zk::LeaderDetector>(
        loop_, *url, std::chrono::seconds(10),
        [this](std::optional<std::string> leader) { onLeader(std::move(leader)); });
  } else {
    auto master = http::Endpoint::parse(flags_.master, 5050);
    if (!master) {
      return std::unexpected(Status(StatusCode::kInvalidArgument,
                                    fmt::format("Invalid value for flag '--master': {}",
                                                master.error().message())));
    }
    master_ = *master;
    master_known_ = true;
  }
  server_ = std::make_unique<http::Server>(
      loop_, [this](http::Request& request, http::Responder responder) {
        route(request, std::move(responder));
      });
  auto port = server_->listen(flags_.ip, flags_.port);
  if (!port) {
    return port;
  }
  info_.set_port(*port);
  start_time_ = std::chrono::duration<double>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  loop_.onSignal(SIGCHLD, [this](int) {
    for (auto [pid, status] : reapChildren()) {
      onChildExit(pid, status);
    }
  });
  log_->info("agent_started address={}:{} master={} resources=\"{}\"", flags_.ip, *port,
             flags_.master, resources_.toString());
  recover();
  recoverCheckpointedResources();
  if (detector_) {
    detector_->start();
  } else {
    connectToMaster();
  }
  return port;
}

void Agent::shutdown() {
  // Executors of checkpointing frameworks outlive the agent: a restarted agent reconnects.
  for (auto& [fw_id, framework] : frameworks_) {
    if (framework.info.checkpoint() && flags_.recover == "reconnect") {
      continue;
    }
    for (auto& [ex_id, executor] : framework.executors) {
      signalTree(executor.pid, SIGKILL);
    }
  }
}

void Agent::route(http::Request& request, http::Responder responder) {
  const std::string& path = request.path;
  // Mesos's executor library addresses the agent process by its id: /slave(1)/api/v1/executor.
  if (path == "/api/v1/executor" || path == "/slave(1)/api/v1/executor") {
    return executorApi(request, std::move(responder));
  }
  if (path == "/health" || path == "/slave(1)/health") {
    return responder.respond(http::Response::text(200, ""));
  }
  if (path == "/state" || path == "/slave(1)/state" || path == "/state.json" ||
      path == "/slave(1)/state.json") {
    return responder.respond(stateJson());
  }
  if (path == "/metrics/snapshot") {
    return responder.respond(metricsJson());
  }
  if (path == "/files/browse" || path == "/files/browse.json" || path == "/files/read" ||
      path == "/files/read.json" || path == "/files/download" || path == "/files/download.json") {
    std::vector<Attachment> sandboxes;
    for (const auto& [fw_id, framework] : frameworks_) {
      for (const auto& [ex_id, executor] : framework.executors) {
        if (!executor.directory.empty()) {
          sandboxes.push_back(
              {fmt::format("/frameworks/{}/executors/{}/runs/latest", fw_id, ex_id),
               executor.directory});
        }
      }
    }
    return responder.respond(serveFiles(request, sandboxes));
  }
  responder.respond(http::Response::text(404, fmt::format("No endpoint at '{}'", path)));
}

}  // namespace plateau::agent
