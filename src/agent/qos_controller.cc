#include "agent/qos_controller.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "agent/module_config.h"

namespace plateau::agent {
namespace {

// A whole string as a finite number (Mesos's numify<double>, without hex or infinities).
std::optional<double> parseNumber(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

Result<LoadAverage> FileLoadSource::read() {
  std::ifstream in(path_);
  std::string text;
  if (!in || !std::getline(in, text)) {
    return std::unexpected(
        Status(StatusCode::kInternal, fmt::format("cannot read the load from '{}'", path_)));
  }
  auto load = parseLoadAverage(text);
  if (!load) {
    return std::unexpected(
        Status(StatusCode::kInternal, fmt::format("'{}': {}", path_, load.error().message())));
  }
  return load;
}

LoadQosController::LoadQosController(std::optional<double> threshold_5min,
                                     std::optional<double> threshold_15min, LoadSource& load,
                                     std::shared_ptr<spdlog::logger> log)
    : threshold_5min_(threshold_5min),
      threshold_15min_(threshold_15min),
      load_(load),
      log_(std::move(log)) {}

bool LoadQosController::overloaded() {
  auto load = load_.read();
  if (!load) {
    log_->error("qos_load_unreadable reason=\"{}\"", load.error().message());
    return false;
  }
  bool over = false;
  if (threshold_5min_ && load->five > *threshold_5min_) {
    log_->info("qos_overloaded load_5min={} threshold={}", load->five, *threshold_5min_);
    over = true;
  }
  if (threshold_15min_ && load->fifteen > *threshold_15min_) {
    log_->info("qos_overloaded load_15min={} threshold={}", load->fifteen, *threshold_15min_);
    over = true;
  }
  return over;
}

std::vector<QosKill> LoadQosController::corrections(const std::vector<ExecutorUsage>& executors) {
  std::vector<QosKill> kills;
  if (!overloaded()) {
    return kills;
  }
  for (const ExecutorUsage& executor : executors) {
    if (!executor.allocated.revocable().empty()) {
      kills.push_back({executor.framework_id, executor.executor_id, executor.container_id});
    }
  }
  return kills;
}

Result<std::unique_ptr<QosController>> makeQosController(const std::string& name,
                                                         const std::string& modules,
                                                         LoadSource& load,
                                                         std::shared_ptr<spdlog::logger> log) {
  if (name.empty()) {
    return std::unique_ptr<QosController>();
  }
  if (name != kLoadQosController) {
    return std::unexpected(
        badFlag("qos_controller", fmt::format("unknown QoS controller '{}' (Plateau has '{}' only)",
                                              name, kLoadQosController)));
  }
  if (modules.empty()) {
    return std::unexpected(badFlag(
        "qos_controller",
        fmt::format("'{}' needs its load_threshold_5min or load_threshold_15min parameter from "
                    "--modules",
                    name)));
  }
  auto parameters = moduleParameters(modules, name);
  if (!parameters) {
    return std::unexpected(parameters.error());
  }
  std::optional<double> five;
  std::optional<double> fifteen;
  for (const auto& [key, value] : *parameters) {
    if (key != "load_threshold_5min" && key != "load_threshold_15min") {
      continue;  // as Mesos: other parameters are ignored
    }
    std::optional<double> number = parseNumber(value);
    if (!number) {
      return std::unexpected(badFlag(
          "modules", fmt::format("'{}' parameter '{}' is not a number: '{}'", name, key, value)));
    }
    (key == "load_threshold_5min" ? five : fifteen) = number;
  }
  if (!five && !fifteen) {
    return std::unexpected(badFlag(
        "modules", fmt::format("'{}' needs load_threshold_5min or load_threshold_15min", name)));
  }
  return std::unique_ptr<QosController>(
      std::make_unique<LoadQosController>(five, fifteen, load, std::move(log)));
}

QosCorrector::QosCorrector(Timers& timers, std::chrono::nanoseconds interval,
                           std::unique_ptr<QosController> controller, Hooks hooks)
    : timers_(timers),
      interval_(std::max<std::chrono::nanoseconds>(interval, kQosMinimumInterval)),
      controller_(std::move(controller)),
      hooks_(std::move(hooks)) {}

QosCorrector::~QosCorrector() {
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
}

void QosCorrector::start() {
  if (controller_ == nullptr || timer_ != 0) {
    return;
  }
  timer_ = timers_.every(interval_, [this] { tick(); });
}

void QosCorrector::tick() {
  // As Mesos: no corrections while the agent recovers or stops.
  if (!hooks_.active()) {
    return;
  }
  for (const QosKill& kill : controller_->corrections(hooks_.usage())) {
    hooks_.kill(kill);
  }
}

}  // namespace plateau::agent
