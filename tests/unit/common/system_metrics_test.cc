#include "common/system_metrics.h"

#include <gtest/gtest.h>

#include <map>

namespace plateau::metrics {
namespace {

constexpr const char* kLoadavg = "0.52 1.25 2.00 3/467 12345\n";
constexpr const char* kMeminfo =
    "MemTotal:       16318684 kB\n"
    "MemFree:         1203400 kB\n"
    "MemAvailable:    9876543 kB\n"
    "Buffers:          123456 kB\n";

// A probe over fixed files; a path not in `files` cannot be read.
SystemMetrics::Probe fixedProbe(std::map<std::string, std::string> files,
                                std::optional<long> cpus) {
  return {
      .read_file = [files](const std::string& path) -> std::optional<std::string> {
        auto it = files.find(path);
        return it == files.end() ? std::nullopt : std::optional(it->second);
      },
      .cpus = [cpus] { return cpus; },
  };
}

std::map<std::string, double> snapshotOf(const SystemMetrics& system) {
  std::vector<std::pair<std::string, double>> out;
  system.appendSnapshot(out);
  return {out.begin(), out.end()};
}

TEST(SystemMetricsTest, SnapshotHasMesosKeys) {
  SystemMetrics system("plateau_agent_",
                       fixedProbe({{"/proc/loadavg", kLoadavg}, {"/proc/meminfo", kMeminfo}}, 8));
  std::vector<std::pair<std::string, double>> out;
  system.appendSnapshot(out);
  std::vector<std::pair<std::string, double>> expected = {
      {"system/cpus_total", 8},
      {"system/load_1min", 0.52},
      {"system/load_5min", 1.25},
      {"system/load_15min", 2.0},
      {"system/mem_total_bytes", 16318684.0 * 1024},
      {"system/mem_free_bytes", 1203400.0 * 1024},
  };
  EXPECT_EQ(out, expected);
}

TEST(SystemMetricsTest, PrometheusHasOneGaugeFamilyPerFigure) {
  SystemMetrics system("plateau_master_",
                       fixedProbe({{"/proc/loadavg", kLoadavg}, {"/proc/meminfo", kMeminfo}}, 4));
  std::string out;
  system.appendPrometheus(out);
  EXPECT_EQ(out,
            "# HELP plateau_master_system_cpus CPUs online on this host.\n"
            "# TYPE plateau_master_system_cpus gauge\n"
            "plateau_master_system_cpus 4\n"
            "# HELP plateau_master_system_load_1min This host's load average over 1 minute.\n"
            "# TYPE plateau_master_system_load_1min gauge\n"
            "plateau_master_system_load_1min 0.52\n"
            "# HELP plateau_master_system_load_5min This host's load average over 5 minutes.\n"
            "# TYPE plateau_master_system_load_5min gauge\n"
            "plateau_master_system_load_5min 1.25\n"
            "# HELP plateau_master_system_load_15min This host's load average over 15 minutes.\n"
            "# TYPE plateau_master_system_load_15min gauge\n"
            "plateau_master_system_load_15min 2\n"
            "# HELP plateau_master_system_mem_capacity_bytes This host's memory in bytes "
            "(MemTotal).\n"
            "# TYPE plateau_master_system_mem_capacity_bytes gauge\n"
            "plateau_master_system_mem_capacity_bytes 16710332416\n"
            "# HELP plateau_master_system_mem_free_bytes This host's free memory in bytes "
            "(MemFree).\n"
            "# TYPE plateau_master_system_mem_free_bytes gauge\n"
            "plateau_master_system_mem_free_bytes 1232281600\n");
}

TEST(SystemMetricsTest, WhatCannotBeReadIsLeftOut) {
  SystemMetrics no_files("plateau_agent_", fixedProbe({}, 2));
  EXPECT_EQ(snapshotOf(no_files), (std::map<std::string, double>{{"system/cpus_total", 2}}));

  SystemMetrics bad_load(
      "plateau_agent_",
      fixedProbe({{"/proc/loadavg", "garbage"}, {"/proc/meminfo", kMeminfo}}, std::nullopt));
  auto snapshot = snapshotOf(bad_load);
  EXPECT_FALSE(snapshot.contains("system/cpus_total"));
  EXPECT_FALSE(snapshot.contains("system/load_1min"));
  EXPECT_EQ(snapshot["system/mem_free_bytes"], 1203400.0 * 1024);
  std::string prometheus;
  bad_load.appendPrometheus(prometheus);
  EXPECT_EQ(prometheus.find("load_1min"), std::string::npos);
  EXPECT_NE(prometheus.find("plateau_agent_system_mem_free_bytes 1232281600\n"), std::string::npos);
}

// The host's own files parse: every figure is there, with sane values.
TEST(SystemMetricsTest, ReadsThisHost) {
  auto snapshot = snapshotOf(SystemMetrics("plateau_agent_"));
  ASSERT_EQ(snapshot.size(), 6u);
  EXPECT_GE(snapshot["system/cpus_total"], 1);
  EXPECT_GE(snapshot["system/load_1min"], 0);
  EXPECT_GT(snapshot["system/mem_total_bytes"], 0);
  EXPECT_LE(snapshot["system/mem_free_bytes"], snapshot["system/mem_total_bytes"]);
}

}  // namespace
}  // namespace plateau::metrics
