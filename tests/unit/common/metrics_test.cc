#include "common/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "common/json.h"

namespace plateau::metrics {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(MetricsTest, CounterIsTypedWithTotalAndHelp) {
  Registry r;
  Counter& c = r.counter({.snapshot_key = "master/tasks_finished",
                          .name = "plateau_master_tasks_finished_total",
                          .help = "Tasks that finished."});
  c++;
  ++c;
  c += 3;
  c.inc();
  EXPECT_EQ(c.value(), 6u);
  EXPECT_EQ(r.prometheus(),
            "# HELP plateau_master_tasks_finished_total Tasks that finished.\n"
            "# TYPE plateau_master_tasks_finished_total counter\n"
            "plateau_master_tasks_finished_total 6\n");
  auto snapshot = r.snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].first, "master/tasks_finished");
  EXPECT_EQ(snapshot[0].second, 6);
}

TEST(MetricsTest, GaugesAreSetOrComputedAndScaledForPrometheusOnly) {
  Registry r;
  Gauge& mem = r.gauge({.snapshot_key = "slave/mem_total",
                        .name = "plateau_agent_mem_capacity_bytes",
                        .help = "Memory.",
                        .scale = 1024 * 1024});
  mem = 256;
  double computed = 1.5;
  r.gauge({.snapshot_key = "allocator/mesos/allocation_run_ms",
           .name = "plateau_master_allocation_last_duration_seconds",
           .help = "Last round.",
           .scale = 1e-3},
          [&] { return computed; });
  computed = 250;
  std::string text = r.prometheus();
  EXPECT_TRUE(contains(text,
                       "# TYPE plateau_agent_mem_capacity_bytes gauge\n"
                       "plateau_agent_mem_capacity_bytes 268435456\n"))
      << text;
  EXPECT_TRUE(contains(text, "plateau_master_allocation_last_duration_seconds 0.25\n")) << text;
  // The snapshot keeps Mesos's units and registration order.
  auto snapshot = r.snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot[0], (std::pair<std::string, double>("slave/mem_total", 256)));
  EXPECT_EQ(snapshot[1],
            (std::pair<std::string, double>("allocator/mesos/allocation_run_ms", 250)));
  auto json = json::parse(r.snapshotJson());
  ASSERT_TRUE(json);
  EXPECT_EQ((*json)["slave/mem_total"].asDouble(), 256);
  EXPECT_EQ(r.snapshotJson(),
            R"({"slave/mem_total":256.0,"allocator/mesos/allocation_run_ms":250.0})");
}

TEST(MetricsTest, CollectHooksRunBeforeEveryRead) {
  Registry r;
  Gauge& g = r.gauge({.snapshot_key = "k", .name = "plateau_g", .help = "G."});
  int runs = 0;
  r.onCollect([&] { g.set(++runs); });
  EXPECT_EQ(r.snapshot()[0].second, 1);
  EXPECT_TRUE(contains(r.prometheus(), "plateau_g 2\n"));
  EXPECT_EQ(runs, 2);
}

TEST(MetricsTest, SpecialValuesAreSpelledAsPrometheusParsesThem) {
  Registry r;
  double value = std::numeric_limits<double>::quiet_NaN();
  r.gauge({.name = "plateau_x", .help = "X."}, [&] { return value; });
  EXPECT_TRUE(contains(r.prometheus(), "plateau_x NaN\n"));
  value = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(contains(r.prometheus(), "plateau_x +Inf\n"));
  value = -value;
  EXPECT_TRUE(contains(r.prometheus(), "plateau_x -Inf\n"));
  value = 0.1;
  EXPECT_TRUE(contains(r.prometheus(), "plateau_x 0.1\n"));
  value = 0.0001;
  EXPECT_TRUE(contains(r.prometheus(), "plateau_x 0.0001\n"));
  value = 1e6;
  EXPECT_TRUE(contains(r.prometheus(), "plateau_x 1000000\n"));
  value = -2.5e-7;
  EXPECT_TRUE(contains(r.prometheus(), "plateau_x -2.5e-07\n"));
  // Prometheus-only metrics stay out of the snapshot.
  EXPECT_TRUE(r.snapshot().empty());
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  Histogram& h = r.histogram(
      {.name = "plateau_master_allocation_duration_seconds", .help = "Allocation rounds."},
      {0.001, 0.01, 0.1});
  h.observe(0.0005);
  h.observe(0.001);  // on a bound: counted in that bucket
  h.observe(0.05);
  h.observe(3);
  EXPECT_EQ(h.counts(), (std::vector<uint64_t>{2, 0, 1, 1}));
  EXPECT_EQ(h.count(), 4u);
  EXPECT_DOUBLE_EQ(h.sum(), 3.0515);
  std::string text = r.prometheus();
  EXPECT_TRUE(contains(text,
                       "# HELP plateau_master_allocation_duration_seconds Allocation rounds.\n"
                       "# TYPE plateau_master_allocation_duration_seconds histogram\n"
                       "plateau_master_allocation_duration_seconds_bucket{le=\"0.001\"} 2\n"
                       "plateau_master_allocation_duration_seconds_bucket{le=\"0.01\"} 2\n"
                       "plateau_master_allocation_duration_seconds_bucket{le=\"0.1\"} 3\n"
                       "plateau_master_allocation_duration_seconds_bucket{le=\"+Inf\"} 4\n"
                       "plateau_master_allocation_duration_seconds_sum 3.0515\n"
                       "plateau_master_allocation_duration_seconds_count 4\n"))
      << text;
  EXPECT_TRUE(r.snapshot().empty());
}

TEST(MetricsTest, LabelledHistogramsAndEscaping) {
  Registry r;
  auto& calls = r.histograms({.name = "plateau_master_scheduler_call_duration_seconds",
                              .help = "Back\\slash and\nnewline."},
                             "call", {1});
  calls.with("ACCEPT").observe(0.5);
  calls.with("a\"b\\c\nd").observe(2);
  calls.with("ACCEPT").observe(0.25);
  std::string text = r.prometheus();
  EXPECT_TRUE(contains(text,
                       "# HELP plateau_master_scheduler_call_duration_seconds "
                       "Back\\\\slash and\\nnewline.\n"))
      << text;
  EXPECT_TRUE(contains(text,
                       "plateau_master_scheduler_call_duration_seconds_bucket{call=\"ACCEPT\",le="
                       "\"1\"} 2\n"
                       "plateau_master_scheduler_call_duration_seconds_bucket{call=\"ACCEPT\",le="
                       "\"+Inf\"} 2\n"
                       "plateau_master_scheduler_call_duration_seconds_sum{call=\"ACCEPT\"} 0.75\n"
                       "plateau_master_scheduler_call_duration_seconds_count{call=\"ACCEPT\"} 2\n"))
      << text;
  EXPECT_TRUE(contains(
      text, "plateau_master_scheduler_call_duration_seconds_count{call=\"a\\\"b\\\\c\\nd\"} 1\n"))
      << text;
}

TEST(MetricsTest, RejectsBadRegistrations) {
  Registry r;
  EXPECT_THROW(r.counter({.name = "plateau_tasks", .help = "h"}), std::invalid_argument);
  EXPECT_THROW(r.gauge({.name = "plateau_tasks_total", .help = "h"}), std::invalid_argument);
  EXPECT_THROW(r.gauge({.name = "master/tasks", .help = "h"}), std::invalid_argument);
  EXPECT_THROW(r.gauge({.name = "1tasks", .help = "h"}), std::invalid_argument);
  EXPECT_THROW(r.gauge({.name = "plateau_tasks", .help = ""}), std::invalid_argument);
  EXPECT_THROW(r.histogram({.name = "plateau_h_seconds", .help = "h"}, {1, 1}),
               std::invalid_argument);
  EXPECT_THROW(r.histograms({.name = "plateau_h_seconds", .help = "h"}, "le", {1}),
               std::invalid_argument);
  EXPECT_THROW(r.histogram({.snapshot_key = "k", .name = "plateau_h_seconds", .help = "h"}, {1}),
               std::invalid_argument);
  r.gauge({.snapshot_key = "k", .name = "plateau_a", .help = "h"});
  EXPECT_THROW(r.gauge({.name = "plateau_a", .help = "h"}), std::invalid_argument);
  EXPECT_THROW(r.gauge({.snapshot_key = "k", .name = "plateau_b", .help = "h"}),
               std::invalid_argument);
}

TEST(MetricsTest, LatencyBucketsIncrease) {
  auto bounds = latencyBuckets();
  ASSERT_FALSE(bounds.empty());
  for (size_t i = 1; i < bounds.size(); ++i) {
    EXPECT_LT(bounds[i - 1], bounds[i]);
  }
}

}  // namespace
}  // namespace plateau::metrics
