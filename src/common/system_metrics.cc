#include "common/system_metrics.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/host_stats.h"

namespace plateau::metrics {

SystemMetrics::Probe SystemMetrics::hostProbe() {
  return {
      .read_file = [](const std::string& path) -> std::optional<std::string> {
        std::ifstream in(path);
        if (!in) {
          return std::nullopt;
        }
        std::ostringstream text;
        text << in.rdbuf();
        return in.bad() ? std::nullopt : std::optional(text.str());
      },
      .cpus = []() -> std::optional<long> {
        long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);  // as Mesos's os::cpus()
        return cpus > 0 ? std::optional(cpus) : std::nullopt;
      },
  };
}

SystemMetrics::SystemMetrics(std::string name_prefix, Probe probe)
    : name_prefix_(std::move(name_prefix)), probe_(std::move(probe)) {}

std::vector<SystemMetrics::Figure> SystemMetrics::read() const {
  std::vector<Figure> figures;
  if (auto cpus = probe_.cpus()) {
    figures.push_back(
        {"cpus_total", "cpus", "CPUs online on this host.", static_cast<double>(*cpus)});
  }
  auto loadavg = probe_.read_file("/proc/loadavg");
  if (auto load = loadavg ? parseLoadAverage(*loadavg) : invalidArgument("unreadable"); load) {
    figures.push_back(
        {"load_1min", "load_1min", "This host's load average over 1 minute.", load->one});
    figures.push_back(
        {"load_5min", "load_5min", "This host's load average over 5 minutes.", load->five});
    figures.push_back(
        {"load_15min", "load_15min", "This host's load average over 15 minutes.", load->fifteen});
  }
  auto meminfo = probe_.read_file("/proc/meminfo");
  if (auto memory = meminfo ? parseMemoryInfo(*meminfo) : invalidArgument("unreadable"); memory) {
    figures.push_back({"mem_total_bytes", "mem_capacity_bytes",
                       "This host's memory in bytes (MemTotal).", memory->total_bytes});
    figures.push_back({"mem_free_bytes", "mem_free_bytes",
                       "This host's free memory in bytes (MemFree).", memory->free_bytes});
  }
  return figures;
}

void SystemMetrics::appendSnapshot(std::vector<std::pair<std::string, double>>& out) const {
  for (const Figure& figure : read()) {
    out.emplace_back(std::string("system/") + figure.key, figure.value);
  }
}

void SystemMetrics::appendPrometheus(std::string& out) const {
  for (const Figure& figure : read()) {
    std::string name = name_prefix_ + "system_" + figure.name;
    appendFamilyHeader(out, name, figure.help, Type::kGauge);
    appendSample(out, name, "", figure.value);
  }
}

}  // namespace plateau::metrics
