#pragma once

// The host's figures that Mesos's master and agent both publish under system/ in
// /metrics/snapshot (libprocess's System process): the CPU count, the load averages and the
// total and free memory. A metrics::Source, so that each scrape reads them afresh (two small
// /proc files and one sysconf) and a figure that cannot be read is left out, as Mesos leaves out
// a gauge that failed.
//
// What it guarantees:
//  - Snapshot keys as Mesos's: system/cpus_total, system/load_1min, system/load_5min,
//    system/load_15min, system/mem_total_bytes, system/mem_free_bytes. mem_free is MemFree
//    (what sysinfo(2)'s freeram reports, which Mesos reads), not MemAvailable.
//  - Prometheus gauges under the daemon's name prefix: <prefix>system_cpus,
//    <prefix>system_load_1min, _5min, _15min, <prefix>system_mem_capacity_bytes and
//    <prefix>system_mem_free_bytes.
//  - The host is read only through the Probe given, so tests feed fixed text; the text is
//    parsed by common/host_stats.h.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/metrics.h"

namespace plateau::metrics {

class SystemMetrics : public Source {
 public:
  // Where the figures come from: the host's by default (hostProbe()).
  struct Probe {
    // The text of a file (/proc/loadavg, /proc/meminfo), or nothing when it cannot be read.
    std::function<std::optional<std::string>(const std::string& path)> read_file;
    // Online CPUs, or nothing.
    std::function<std::optional<long>()> cpus;
  };
  static Probe hostProbe();

  // `name_prefix` is the daemon's Prometheus prefix ("plateau_master_").
  explicit SystemMetrics(std::string name_prefix, Probe probe = hostProbe());

  void appendSnapshot(std::vector<std::pair<std::string, double>>& out) const override;
  void appendPrometheus(std::string& out) const override;

 private:
  struct Figure {
    const char* key;   // under system/
    const char* name;  // under <prefix>system_
    const char* help;
    double value;
  };
  // The figures the probe could read, in snapshot order.
  std::vector<Figure> read() const;

  std::string name_prefix_;
  Probe probe_;
};

}  // namespace plateau::metrics
