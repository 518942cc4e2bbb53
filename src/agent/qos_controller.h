#pragma once

// The QoS controller on the agent (Mesos's --qos_controller): every
// --qos_correction_interval_min it looks at the executors and the machine and may ask the agent
// to kill executors that run on revocable resources.
//
// Guarantees:
//  - makeQosController() knows Mesos's org_apache_mesos_LoadQoSController, whose
//    "load_threshold_5min" and "load_threshold_15min" parameters come from --modules as
//    Mesos's module config gives them (at least one, each a number); any other name, a missing
//    module or a bad parameter fails naming the flag; an empty name means no controller (nothing
//    is ever corrected, as in Mesos);
//  - LoadQosController asks for a KILL of every executor holding revocable resources when the
//    5-minute load average is above its threshold or the 15-minute one is above its own (a
//    threshold not given is not checked), and for nothing otherwise or when the load cannot
//    be read;
//  - QosCorrector asks the controller once per interval (at least kQosMinimumInterval apart)
//    and hands each correction to the agent, in order.
// The load comes through LoadSource and time through Timers: both are fakes in unit tests.
// Loop thread only.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "common/host_stats.h"
#include "common/resources.h"
#include "common/status.h"
#include "runtime/timers.h"

namespace plateau::agent {

inline constexpr const char* kLoadQosController = "org_apache_mesos_LoadQoSController";
// The shortest time between two corrections: Mesos's default interval (0) would poll without
// pause; the kernel's load averages change every 5 seconds.
inline constexpr std::chrono::seconds kQosMinimumInterval{1};

// The machine's load averages, and their parser (common/host_stats.h).
using plateau::LoadAverage;
using plateau::parseLoadAverage;

// Where the load averages come from.
class LoadSource {
 public:
  virtual ~LoadSource() = default;
  // Internal with a message when they cannot be read.
  virtual Result<LoadAverage> read() = 0;
};

// Reads a file in /proc/loadavg's format ("0.52 0.58 0.59 1/467 12345"; only the first three
// fields count): /proc/loadavg itself, or another file a test writes (--load_average_file).
class FileLoadSource : public LoadSource {
 public:
  explicit FileLoadSource(std::string path) : path_(std::move(path)) {}
  Result<LoadAverage> read() override;

 private:
  std::string path_;
};

// One executor as the controller sees it.
struct ExecutorUsage {
  std::string framework_id;
  std::string executor_id;
  std::string container_id;
  Resources allocated;  // Executor::allocatedResources() (agent/executor_book.h)
};

// Mesos's QoSCorrection of type KILL: the executor's container is to be destroyed.
struct QosKill {
  std::string framework_id;
  std::string executor_id;
  std::string container_id;
};

class QosController {
 public:
  virtual ~QosController() = default;
  // The corrections to carry out now, given the executors running.
  virtual std::vector<QosKill> corrections(const std::vector<ExecutorUsage>& executors) = 0;
};

// Mesos's load controller: kills every revocable executor while the machine is overloaded.
class LoadQosController : public QosController {
 public:
  // At least one threshold is set (makeQosController checks).
  LoadQosController(std::optional<double> threshold_5min, std::optional<double> threshold_15min,
                    LoadSource& load, std::shared_ptr<spdlog::logger> log);
  std::vector<QosKill> corrections(const std::vector<ExecutorUsage>& executors) override;

 private:
  bool overloaded();

  const std::optional<double> threshold_5min_;
  const std::optional<double> threshold_15min_;
  LoadSource& load_;
  std::shared_ptr<spdlog::logger> log_;
};

// The controller --qos_controller names (nullptr for none), its parameters read from --modules
// (Mesos's Modules JSON, already read from its file). InvalidArgument naming the flag for an
// unknown controller, a --modules that cannot be read or lacks the module, no threshold, or a
// threshold that is not a number. `load` must outlive the controller.
Result<std::unique_ptr<QosController>> makeQosController(const std::string& name,
                                                         const std::string& modules,
                                                         LoadSource& load,
                                                         std::shared_ptr<spdlog::logger> log);

class QosCorrector {
 public:
  struct Hooks {
    std::function<std::vector<ExecutorUsage>()> usage;  // the executors running now
    std::function<bool()> active;                       // false while recovering or stopping
    std::function<void(const QosKill& kill)> kill;      // carries a correction out
  };

  // Without a controller it never asks.
  QosCorrector(Timers& timers, std::chrono::nanoseconds interval,
               std::unique_ptr<QosController> controller, Hooks hooks);
  ~QosCorrector();
  QosCorrector(const QosCorrector&) = delete;
  QosCorrector& operator=(const QosCorrector&) = delete;

  // Starts the periodic corrections.
  void start();
  // The time between two corrections: the interval, at least kQosMinimumInterval.
  std::chrono::nanoseconds interval() const { return interval_; }

 private:
  void tick();

  Timers& timers_;
  const std::chrono::nanoseconds interval_;
  std::unique_ptr<QosController> controller_;
  const Hooks hooks_;
  Timers::TimerId timer_ = 0;
};

}  // namespace plateau::agent
