#include "agent/oversubscription.h"

#include <utility>

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::agent {
namespace {

Status badFlag(const std::string& flag, const std::string& why) {
  return Status(StatusCode::kInvalidArgument, fmt::format("Flag '--{}': {}", flag, why));
}

// The "resources" parameter of the module named `name` in Mesos's Modules JSON:
// {"libraries": [{"file" or "name": ..., "modules": [{"name": ..., "parameters":
// [{"key": ..., "value": ...}]}]}]}.
Result<std::string> moduleParameter(const std::string& modules, const std::string& name,
                                    const std::string& key) {
  auto doc = json::parse(modules);
  const json::Value* libraries = doc && doc->isObject() ? doc->find("libraries") : nullptr;
  if (libraries == nullptr || !libraries->isArray()) {
    return std::unexpected(badFlag("modules", "expected Mesos's modules JSON with 'libraries'"));
  }
  for (const json::Value& library : libraries->asArray()) {
    const json::Value* list = library.isObject() ? library.find("modules") : nullptr;
    if (list == nullptr || !list->isArray()) {
      continue;
    }
    for (const json::Value& module : list->asArray()) {
      const json::Value* module_name = module.isObject() ? module.find("name") : nullptr;
      if (module_name == nullptr || !module_name->isString() || module_name->asString() != name) {
        continue;
      }
      const json::Value* parameters = module.find("parameters");
      if (parameters != nullptr && parameters->isArray()) {
        for (const json::Value& p : parameters->asArray()) {
          const json::Value* k = p.isObject() ? p.find("key") : nullptr;
          const json::Value* v = p.isObject() ? p.find("value") : nullptr;
          if (k != nullptr && k->isString() && k->asString() == key && v != nullptr &&
              v->isString()) {
            return v->asString();
          }
        }
      }
      return std::unexpected(
          badFlag("modules", fmt::format("module '{}' has no string parameter '{}'", name, key)));
    }
  }
  return std::unexpected(badFlag("modules", fmt::format("no module named '{}'", name)));
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
