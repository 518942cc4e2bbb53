#pragma once

// Oversubscription on the agent (Mesos's resource estimator and its forwarding): how many
// revocable resources the agent has, and when the master hears of them.
//
// Guarantees:
//  - makeResourceEstimator() knows Mesos's org_apache_mesos_FixedResourceEstimator, whose
//    "resources" parameter comes from --modules as Mesos's module config gives it; any other
//    name fails naming --resource_estimator; an empty name means no estimator (nothing is ever
//    oversubscribed, as in Mesos);
//  - OversubscriptionReporter asks the estimator every --oversubscribed_resources_interval and
//    reports the agent's revocable total (the estimate plus the revocable resources in use)
//    only when it differs from the last one reported, and again after each registration;
//  - every revocable resource it reports is unreserved and has `revocable` set.
// Time comes through Timers, so it runs in virtual time. Loop thread only.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "common/resources.h"
#include "common/status.h"
#include "runtime/timers.h"

namespace plateau::agent {

inline constexpr const char* kFixedResourceEstimator = "org_apache_mesos_FixedResourceEstimator";

// How many revocable resources the agent may still hand out.
class ResourceEstimator {
 public:
  virtual ~ResourceEstimator() = default;
  // `in_use`: the revocable resources the agent's executors and tasks hold now. Returns what
  // more may be offered (revocable, unreserved).
  virtual Resources oversubscribable(const Resources& in_use) = 0;
};

// Mesos's fixed estimator: a fixed revocable total, less what is in use.
class FixedResourceEstimator : public ResourceEstimator {
 public:
  // `total` is made revocable and unreserved.
  explicit FixedResourceEstimator(const Resources& total);
  Resources oversubscribable(const Resources& in_use) override;
  const Resources& total() const { return total_; }

 private:
  Resources total_;
};

// The estimator --resource_estimator names (nullptr for none), its parameters read from
// --modules (Mesos's Modules JSON, already read from its file). InvalidArgument naming the flag
// for an unknown estimator, a --modules that cannot be read, or a missing or bad "resources"
// parameter.
Result<std::unique_ptr<ResourceEstimator>> makeResourceEstimator(const std::string& name,
                                                                 const std::string& modules);

class OversubscriptionReporter {
 public:
  struct Hooks {
    std::function<Resources()> in_use;                       // revocable resources in use
    std::function<bool()> registered;                        // the master link is up
    std::function<void(const Resources& revocable)> report;  // UPDATE_OVERSUBSCRIBED
  };

  // Without an estimator it never reports.
  OversubscriptionReporter(Timers& timers, std::chrono::nanoseconds interval,
                           std::unique_ptr<ResourceEstimator> estimator,
                           std::shared_ptr<spdlog::logger> log, Hooks hooks);
  ~OversubscriptionReporter();
  OversubscriptionReporter(const OversubscriptionReporter&) = delete;
  OversubscriptionReporter& operator=(const OversubscriptionReporter&) = delete;

  // Starts the periodic estimate.
  void start();
  // The agent (re)registered: the current total goes to the master at once.
  void registered();
  // The revocable total last reported (nullopt: none since the last registration).
  const std::optional<Resources>& lastReported() const { return last_; }

 private:
  void tick();
  void reportIfChanged();

  Timers& timers_;
  const std::chrono::nanoseconds interval_;
  std::unique_ptr<ResourceEstimator> estimator_;
  std::shared_ptr<spdlog::logger> log_;
  const Hooks hooks_;
  std::optional<Resources> last_;
  Timers::TimerId timer_ = 0;
};

}  // namespace plateau::agent
