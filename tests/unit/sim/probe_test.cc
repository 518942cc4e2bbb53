#include "sim/probe.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "common/json.h"
#include "sim/report.h"

namespace plateau::sim {
namespace {

TEST(ProbeTest, CpuFromAStatLineWhoseNameHasSpacesAndParentheses) {
  // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime stime ...
  const char* stat = "1234 (plateau (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0";
  auto cpu = cpuSecondsFromStat(stat, 100);
  ASSERT_TRUE(cpu.has_value()) << cpu.error().message();
  EXPECT_DOUBLE_EQ(*cpu, 3.0);
  EXPECT_FALSE(cpuSecondsFromStat("garbage", 100).has_value());
  EXPECT_FALSE(cpuSecondsFromStat("1 (x) S 1 2", 100).has_value());
}

TEST(ProbeTest, MemoryFromStatus) {
  const char* status = "Name:\tplateau-master\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\n";
  EXPECT_EQ(statusBytes(status, "VmRSS"), 10240 * 1024);
  EXPECT_EQ(statusBytes(status, "VmHWM"), 20480 * 1024);
  EXPECT_EQ(statusBytes(status, "VmSwap"), std::nullopt);
}

TEST(ProbeTest, ThisProcessCanBeSampled) {
  auto self = sampleProcess(getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_GT(self->rss_bytes, 0);
  EXPECT_GE(self->peak_rss_bytes, self->rss_bytes);
  EXPECT_GT(sampleSelf().peak_rss_bytes, 0);
}

TEST(ProbeTest, MetricsBodies) {
  auto snapshot =
      parseSnapshot(R"({"master/tasks_finished": 12, "allocator/mesos/allocation_run_ms": 0.5})");
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->at("master/tasks_finished"), 12);
  EXPECT_EQ(snapshot->at("allocator/mesos/allocation_run_ms"), 0.5);
  EXPECT_FALSE(parseSnapshot("[1]").has_value());

  const char* prom =
      "# HELP plateau_allocation_duration_seconds Duration.\n"
      "plateau_allocation_duration_seconds_bucket{le=\"0.001\"} 3\n"
      "plateau_allocation_duration_seconds_sum 0.25\n"
      "plateau_allocation_duration_seconds_count 10\n";
  EXPECT_EQ(prometheusValue(prom, "allocation_duration_seconds_sum"), 0.25);
  EXPECT_EQ(prometheusValue(prom, "allocation_duration_seconds_count"), 10);
  EXPECT_EQ(prometheusValue(prom, "missing_total"), std::nullopt);
}

TEST(ReportTest, JsonCarriesTheTableNumbers) {
  Report r;
  r.agents = r.agents_registered = 10;
  r.window_seconds = 4;
  r.tasks.launched = 100;
  r.tasks.finished = 100;
  r.frameworks_seen.offers = 40;
  r.master_measured = true;
  r.master_cpu_seconds = 0.5;
  r.master_rss_before_agents = 1000;
  r.master_rss_with_agents = 11000;
  auto doc = json::parse(r.json());
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ((*doc)["rates"]["launched_per_second"].asDouble(), 25);
  EXPECT_EQ((*doc)["rates"]["offers_per_second"].asDouble(), 10);
  EXPECT_EQ((*doc)["master"]["cpu_ms_per_launched_task"].asDouble(), 5);
  EXPECT_EQ((*doc)["master"]["rss_bytes_per_agent"].asDouble(), 1000);
  EXPECT_EQ((*doc)["tasks"]["finished"].toInt64(), 100);
  EXPECT_NE(r.table().find("25.0/s"), std::string::npos) << r.table();
}

}  // namespace
}  // namespace plateau::sim
