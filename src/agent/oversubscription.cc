#include "agent/oversubscription.h"

#include <utility>

#include <fmt/format.h>

#include "agent/module_config.h"

namespace plateau::agent {
namespace {

// The "resources" parameter of the module named `name` in Mesos's Modules JSON.
Result<std::string> moduleParameter(const std::string& modules, const std::string& name,
                                    const std::string& key) {
  auto parameters = moduleParameters(modules, name);
  if (!parameters) {
    return std::unexpected(parameters.error());
  }
  for (const auto& [k, v] : *parameters) {
    if (k == key) {
      return v;
    }
  }
  return std::unexpected(
      badFlag("modules", fmt::format("module '{}' has no string parameter '{}'", name, key)));
}

}  // namespace

FixedResourceEstimator::FixedResourceEstimator(const Resources& total) {
  for (Resource r : total) {
    r.revocable = true;
    total_ += r;
  }
}

Resources FixedResourceEstimator::oversubscribable(const Resources& in_use) {
  return total_ - in_use;
}

Result<std::unique_ptr<ResourceEstimator>> makeResourceEstimator(const std::string& name,
                                                                 const std::string& modules) {
  if (name.empty()) {
    return std::unique_ptr<ResourceEstimator>();
  }
  if (name != kFixedResourceEstimator) {
    return std::unexpected(badFlag(
        "resource_estimator", fmt::format("unknown resource estimator '{}' (Plateau has '{}' only)",
                                          name, kFixedResourceEstimator)));
  }
  if (modules.empty()) {
    return std::unexpected(
        badFlag("resource_estimator",
                fmt::format("'{}' needs its 'resources' parameter from --modules", name)));
  }
  auto text = moduleParameter(modules, name, "resources");
  if (!text) {
    return std::unexpected(text.error());
  }
  auto resources = Resources::parse(*text);
  if (!resources) {
    return std::unexpected(badFlag("modules", fmt::format("'{}' parameter 'resources': {}", name,
                                                          resources.error().message())));
  }
  if (!resources->unreservedOnly()) {
    return std::unexpected(
        badFlag("modules", fmt::format("'{}' parameter 'resources' must be unreserved", name)));
  }
  return std::unique_ptr<ResourceEstimator>(std::make_unique<FixedResourceEstimator>(*resources));
}

OversubscriptionReporter::OversubscriptionReporter(Timers& timers,
                                                   std::chrono::nanoseconds interval,
                                                   std::unique_ptr<ResourceEstimator> estimator,
                                                   std::shared_ptr<spdlog::logger> log, Hooks hooks)
    : timers_(timers),
      interval_(interval),
      estimator_(std::move(estimator)),
      log_(std::move(log)),
      hooks_(std::move(hooks)) {}

OversubscriptionReporter::~OversubscriptionReporter() {
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
}

void OversubscriptionReporter::start() {
  if (estimator_ == nullptr || timer_ != 0) {
    return;
  }
  timer_ = timers_.every(interval_, [this] { tick(); });
}

void OversubscriptionReporter::registered() {
  last_.reset();
  reportIfChanged();
}

void OversubscriptionReporter::tick() { reportIfChanged(); }

void OversubscriptionReporter::reportIfChanged() {
  if (estimator_ == nullptr || !hooks_.registered()) {
    return;
  }
  // The master's view is the whole revocable total: in use (which it knows as allocated) plus
  // what may still be offered.
  const Resources in_use = hooks_.in_use();
  const Resources total = estimator_->oversubscribable(in_use) + in_use;
  if (last_ && *last_ == total) {
    return;
  }
  log_->info("oversubscribed_resources_reported revocable=\"{}\"", total.toString());
  last_ = total;
  hooks_.report(total);
}

}  // namespace plateau::agent
