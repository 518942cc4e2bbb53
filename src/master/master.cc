#include "master/master.h"
#include "master/maintenance_book.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/fault_domain.h"
#include "common/flags.h"
#include "common/invariant.h"
#include "common/version.h"
#include "endpoints/logging_toggle.h"
#include "master/forked_render.h"
#include "master/reservation_rules.h"
#include "master/webui.h"

namespace plateau::master {
namespace {

allocator::Options allocatorOptions(const Flags& flags) {
  allocator::Options options;
  if (!flags.min_allocatable.empty()) {
    options.min_allocatable = flags.min_allocatable;
  }
  options.fair_sharing_excluded = flags.fair_sharing_excluded;
  if (auto domain = parseDomainFlag(flags.domain); domain && domain->has_fault_domain()) {
    options.master_region = domain->fault_domain().region().name();
  }
  return options;
}

// As Mesos: these read-only endpoints answer anything but GET (or HEAD) with 405.
std::optional<http::Response> refuseNonGet(const http::Request& request) {
  const std::string& path = request.path;
  if (request.method == "GET" || request.method == "HEAD" ||
      !(path == "/master/state" || path == "/state" || path == "/health" || path == "/flags" ||
        path == "/master/flags" || path == "/metrics/snapshot" || path == "/version")) {
    return std::nullopt;
  }
  http::Response r = http::Response::text(405, "Expecting 'GET'");
  r.headers["allow"] = "GET";
  return r;
}

// The answer to API calls (other than the held agent and scheduler calls) before recovery.
http::Response notRecovered() {
  return http::Response::text(503, "Master has not finished recovery: try again shortly");
}

// /version, in Mesos's shape.
http::Response versionJson() {
  return http::Response::json(fmt::format(
      R"({{"version":"{}","build_user":"plateau","git_sha":"","build_date":"","build_time":0}})",
      kVersion));
}

}  // namespace

Master::Master(Environment env, Flags flags,
               std::vector<std::pair<std::string, std::string>> flag_values,
               std::shared_ptr<spdlog::logger> log, uint64_t seed)
    : timers_(env.timers),
      clock_(env.clock),
      leadership_(std::move(env.leadership)),
      stop_(std::move(env.stop)),
      flags_(std::move(flags)),
      flag_values_(std::move(flag_values)),
      log_(std::move(log)),
      uuids_(seed),
      allocator_(allocatorOptions(flags_)),
      frameworks_(timers_, flags_.framework_heartbeat,
                  static_cast<size_t>(std::max(0, flags_.max_completed_frameworks)),
                  frameworkHooks()),
      agents_(timers_, clock_, flags_.agent_ping_timeout, flags_.max_agent_ping_timeouts,
              agentHooks()),
      offers_(timers_, flags_.offer_timeout,
              [this](const std::string& offer_id) { removeOffer(offer_id, std::nullopt, true); }),
      tasks_(static_cast<size_t>(std::max(0, flags_.max_completed_tasks_per_framework)),
             static_cast<size_t>(std::max(0, flags_.max_unreachable_tasks_per_framework))),
      maintenance_(std::make_unique<MaintenanceBook>(clock_)),
      client_limiter_(
          {.qps = flags_.client_request_qps,
           .capacity = static_cast<uint64_t>(std::max(1, flags_.client_request_capacity))}),
      agent_limiter_({.qps = flags_.agent_call_qps,
                      .capacity = static_cast<uint64_t>(std::max(1, flags_.agent_call_capacity))}),
      feed_(timers_, log_, books(),
            [this](const std::function<std::string()>& render,
                   std::function<void(std::optional<std::string>)> done) {
              return ForkedRender::run(timers_, render, std::move(done));
            }),
      logging_level_(timers_, log_),
      loop_watch_(timers_, clock_, std::chrono::milliseconds(10), threadCpuTime,
                  [this](double stall_s, double) { metrics_.event_loop_stall.observe(stall_s); }) {
  metrics_.registry.onCollect([this] { updateMetricGauges(); });
  if (per_framework_metrics_.publishing()) {
    metrics_.registry.addSource(&per_framework_metrics_);
  }
  metrics_.registry.onCollect([this] {
    metrics_.event_loop_stall_ms = loop_watch_.stallMs();
    metrics_.event_loop_busy_ms = loop_watch_.busyMs();
  });
  feed_.setMaxSubscribers(static_cast<size_t>(flags_.max_operator_event_stream_subscribers));
  buildGuard();
  if (flags_.rate_limit_config != nullptr) {
    rate_limiter_ = std::make_unique<http::RateLimiter>(*flags_.rate_limit_config);
  }
}

Master::~Master() = default;

FrameworkBook::Hooks Master::frameworkHooks() {
  return FrameworkBook::Hooks{
      .heartbeat =
          [this](Framework& framework) {
            scheduler::Event heartbeat;
            heartbeat.set_type(scheduler::Event::HEARTBEAT);
            send(framework, heartbeat);
          },
      .disconnected = [this](const std::string& id) { frameworkDisconnected(id); },
      .failover_expired =
          [this](const std::string& id) {
            const Framework* fw = frameworks_.find(id);
            removeFramework(id, fw != nullptr && fw->recovered
                                    ? "Framework did not re-subscribe within its failover timeout"
                                    : "Framework failover timeout");
          }};
}

AgentBook::Hooks Master::agentHooks() {
  return AgentBook::Hooks{
      .ping =
          [this](Agent& agent) {
            internal::AgentEvent ping;
            ping.set_type(internal::AgentEvent::HEARTBEAT);
            sendToAgent(agent, ping);
          },
      .silent = [this](const std::string& id) { removeSilentAgent(id); },
      .disconnected = [this](const std::string& id) { agentDisconnected(id); },
      .not_back = [this](const std::vector<std::string>& ids) { agentsNotBack(ids); }};
}

void Master::checked(const Status& status, const std::source_location& where) {
  checkInvariant(status, where);
}

double Master::now() const { return clock_.wallSeconds(); }

std::string Master::nextFrameworkId() {
  return fmt::format("{}-{:04}", master_id_, next_framework_++);
}
std::string Master::nextAgentId() { return fmt::format("{}-S{}", master_id_, next_agent_++); }
std::string Master::nextOfferId() { return fmt::format("{}-O{}", master_id_, next_offer_++); }

void Master::start(uint16_t port) {
  master_id_ = uuids_.text();
  flags_.webui_dir = webui::resolveDir(flags_.webui_dir);
  if (flags_.webui_dir.empty()) {
    log_->warn("webui_missing reason=\"no webui/ directory found\" hint=\"set --webui_dir\"");
  }
  started_ = clock_.now();
  start_time_ = now();
  // What the master publishes (MasterInfo, pid, redirects): the advertised address, if any.
  const std::string ip_text = flags_.address.advertisedIp(flags_.ip);
  const uint16_t bound_port = port;
  port = flags_.address.advertisedPort(port);
  std::string hostname = flags_.hostname.empty() ? ip_text : flags_.hostname;
  info_.set_id(master_id_);
  info_.set_port(port);
  info_.set_hostname(hostname);
  info_.set_version(kVersion);
  info_.set_pid(fmt::format("master@{}:{}", ip_text, port));
  // Mesos packs the IPv4 address into a uint32 in network byte order.
  uint32_t ip = 0;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (std::sscanf(ip_text.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
    ip = a | (b << 8) | (c << 16) | (d << 24);
  }
  info_.set_ip(ip);
  auto* address = info_.mutable_address();
  address->set_hostname(hostname);
  address->set_ip(ip_text);
  address->set_port(port);
  if (auto domain = parseDomainFlag(flags_.domain); domain && domain->has_fault_domain()) {
    *info_.mutable_domain() = *domain;  // validated with the flags
  }
  // Mesos 1.11's master capabilities: it takes agents' resource updates, drains agents and
  // serves the quota calls of UPDATE_QUOTA (clients look for QUOTA_V2 before using them).
  for (auto capability :
       {v1::MasterInfo::Capability::AGENT_UPDATE, v1::MasterInfo::Capability::AGENT_DRAINING,
        v1::MasterInfo::Capability::QUOTA_V2}) {
    info_.add_capabilities()->set_type(capability);
  }

  timers_.every(flags_.allocation_interval, [this] {
    if (recovered_) {
      allocate();
    }
  });
  if (whitelist_.watching()) {
    pollWhitelist();
    timers_.every(kWhitelistInterval, [this] { pollWhitelist(); });
  }
  timers_.every(flags_.registry_gc_interval, [this] {
    if (recovered_) {
      pruneRegistry();
    }
  });
  log_->info("master_started id={} address={}:{} advertised={}:{} version={} {}", master_id_,
             flags_.ip, bound_port, ip_text, port, kVersion, leadership_->describe());
  contend();
}

void Master::route(http::Request& request, http::Responder responder) {
  if (auto limited = limitClient(request)) {
    return responder.respond(std::move(*limited));
  }
  const std::string& path = request.path;
  bool api = path == "/api/v1/scheduler" || path == "/master/api/v1/scheduler" ||
             path == "/agent/api/v1" || path == "/api/v1" || path == "/master/api/v1";
  if (!leading_ && (api || path == "/master/redirect" || path == "/redirect")) {
    return responder.respond(notLeader(request));
  }
  if (api && !recovered_ && (path == "/agent/api/v1" || path.ends_with("/scheduler"))) {
    return holdUntilRecovered(request, std::move(responder));
  }
  if (api && !recovered_) {
    return responder.respond(notRecovered());
  }
  // Mesos's own libraries address the master process by its id: /master/api/v1/scheduler.
  if (path == "/api/v1/scheduler" || path == "/master/api/v1/scheduler") {
    return schedulerApi(request, std::move(responder));
  }
  if (path == "/agent/api/v1") {
    return agentApi(request, std::move(responder));
  }
  if (path == "/api/v1" || path == "/master/api/v1") {
    return operatorApi(request, std::move(responder));
  }
  if (isMaintenanceEndpoint(path)) {
    return maintenanceEndpoint(request, std::move(responder));
  }
  if (path == "/master/quota" || path == "/quota" || path.starts_with("/master/quota/") ||
      path.starts_with("/quota/")) {
    return quotaEndpoint(request, std::move(responder));
  }
  if (isLegacyReservationEndpoint(path)) {
    return legacyReservationEndpoint(request, std::move(responder));
  }
  if (path == "/master/explain" || path == "/explain") {
    return explainEndpoint(request, std::move(responder));
  }
  if (path.starts_with("/files/")) {
    return responder.respond(files::serveFiles(request, attachedFiles()));
  }
  if (path == "/logging/toggle") {
    return responder.respond(endpoints::toggleLogging(request, logging_level_));
  }
  if (isLegacyEndpoint(path)) {
    return legacyEndpoint(request, std::move(responder));
  }
  if (auto refused = refuseNonGet(request)) {
    return responder.respond(std::move(*refused));
  }
  if (path == "/flags" || path == "/master/flags") {
    return responder.respond(http::Response::json(flags::flagsJson(flag_values_)));
  }
  if (path == "/health" || path == "/master/health") {
    return responder.respond(http::Response::text(200, ""));
  }
  if (path == "/master/state" || path == "/state" || path == "/master/state.json" ||
      path == "/state.json") {
    auto render = [this, view = viewFilter(request.principal)] { return stateJson(view); };
    if (!ForkedRender::respond(timers_, render, responder)) {
      responder.respond(render());
    }
    return;
  }
  if (path == "/metrics/snapshot") {
    return responder.respond(metricsJson());
  }
  if (path == "/version") {
    return responder.respond(versionJson());
  }
  if (path == "/master/redirect" || path == "/redirect") {
    return responder.respond(redirect(request));
  }
  if (webui::isWebuiPath(path)) {
    return responder.respond(webui::serve(flags_.webui_dir, request));
  }
  responder.respond(http::Response::text(404, fmt::format("No endpoint at '{}'", path)));
}

http::Response Master::redirect(const http::Request&) const {
  http::Response r;
  r.status = 307;
  r.headers["location"] = fmt::format("//{}:{}", info_.address().hostname(), info_.port());
  return r;
}

}  // namespace plateau::master
