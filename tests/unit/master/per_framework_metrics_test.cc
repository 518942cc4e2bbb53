// The per-framework metrics component alone (master/per_framework_metrics.h): Mesos's keys under an
// encoded prefix, counts kept as they are told, gauges read through the reader at each scrape,
// series gone with the framework, nothing at all when not published.

#include "master/per_framework_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace plateau::master {
namespace {

namespace scheduler = mesos::v1::scheduler;
namespace v1 = mesos::v1;

using Snapshot = std::map<std::string, double>;

Snapshot snapshotOf(const metrics::Registry& registry) {
  Snapshot out;
  for (const auto& [key, value] : registry.snapshot()) {
    EXPECT_TRUE(out.emplace(key, value).second) << "key twice: " << key;
  }
  return out;
}

// A registry reading a PerFrameworkMetrics whose gauges come from `live` (by framework id).
struct Fixture {
  explicit Fixture(bool publish = true)
      : metrics(publish, [this](const std::string& id) {
          auto it = live.find(id);
          return it == live.end() ? PerFrameworkMetrics::Live{} : it->second;
        }) {
    registry.addSource(&metrics);
  }
  std::map<std::string, PerFrameworkMetrics::Live> live;
  PerFrameworkMetrics metrics;
  metrics::Registry registry;
};

TEST(PerFrameworkMetricsTest, NamesAreEncodedAsMesosEncodesThem) {
  EXPECT_EQ(PerFrameworkMetrics::prefix("marathon", "f-1"), "master/frameworks/marathon/f-1/");
  EXPECT_EQ(PerFrameworkMetrics::prefix("my fw/v2", "f-1"), "master/frameworks/my%20fw%2Fv2/f-1/");
  EXPECT_EQ(PerFrameworkMetrics::prefix("a.b-c_d*'()!", "x"), "master/frameworks/a.b-c_d*'()!/x/");
  EXPECT_EQ(PerFrameworkMetrics::prefix("100%~\"{}", "x"),
            "master/frameworks/100%25%7E%22%7B%7D/x/");
  EXPECT_EQ(PerFrameworkMetrics::prefix("é\t", "x"), "master/frameworks/%C3%A9%09/x/");
}

TEST(PerFrameworkMetricsTest, EveryMesosSeriesIsThereFromTheStartAtZero) {
  Fixture f;
  f.metrics.added("f-1", "web");
  Snapshot s = snapshotOf(f.registry);
  const std::string p = "master/frameworks/web/f-1/";
  for (const char* key : {"subscribed",
                          "calls",
                          "calls/subscribe",
                          "calls/accept",
                          "calls/decline",
                          "calls/accept_inverse_offers",
                          "calls/update_framework",
                          "calls/reconcile_operations",
                          "events",
                          "events/subscribed",
                          "events/offers",
                          "events/update",
                          "events/heartbeat",
                          "events/update_operation_status",
                          "events/rescind_inverse_offer",
                          "operations",
                          "operations/launch",
                          "operations/launch_group",
                          "operations/reserve",
                          "tasks/active/task_staging",
                          "tasks/active/task_running",
                          "tasks/active/task_killing",
                          "tasks/active/task_unreachable",
                          "tasks/active/task_unknown",
                          "tasks/terminal/task_finished",
                          "tasks/terminal/task_failed",
                          "tasks/terminal/task_gone_by_operator",
                          "offers/sent",
                          "offers/accepted",
                          "offers/declined",
                          "offers/rescinded"}) {
    ASSERT_TRUE(s.contains(p + key)) << key;
    EXPECT_EQ(s[p + key], 0) << key;
  }
  // UNKNOWN types have no series, and terminal states are never active (nor live ones ended).
  EXPECT_FALSE(s.contains(p + "calls/unknown"));
  EXPECT_FALSE(s.contains(p + "events/unknown"));
  EXPECT_FALSE(s.contains(p + "operations/unknown"));
  EXPECT_FALSE(s.contains(p + "tasks/active/task_finished"));
  EXPECT_FALSE(s.contains(p + "tasks/terminal/task_running"));
}

TEST(PerFrameworkMetricsTest, CountsWhatItIsToldAndReadsGaugesAtEachScrape) {
  Fixture f;
  f.metrics.added("f-1", "web");
  f.metrics.added("f-2", "batch");
  f.metrics.call("f-1", scheduler::Call::SUBSCRIBE);
  f.metrics.call("f-1", scheduler::Call::ACCEPT);
  f.metrics.call("f-1", scheduler::Call::ACCEPT);
  f.metrics.event("f-1", scheduler::Event::OFFERS);
  f.metrics.event("f-1", scheduler::Event::HEARTBEAT);
  f.metrics.operation("f-1", v1::Offer::Operation::LAUNCH);
  f.metrics.offers("f-1", PerFrameworkMetrics::Offers::kSent, 3);
  f.metrics.offers("f-1", PerFrameworkMetrics::Offers::kAccepted);
  f.metrics.offers("f-1", PerFrameworkMetrics::Offers::kDeclined, 2);
  f.metrics.taskEnded("f-1", v1::TASK_FINISHED);
  f.metrics.taskEnded("f-1", v1::TASK_RUNNING);    // not terminal: counted nowhere
  f.metrics.call("f-9", scheduler::Call::ACCEPT);  // never added: counted nowhere
  f.live["f-1"].subscribed = true;
  f.live["f-1"].tasks[v1::TASK_RUNNING] = 4;
  f.live["f-1"].roles = {{"web", false}, {"eng/ops", true}};

  Snapshot s = snapshotOf(f.registry);
  const std::string p = "master/frameworks/web/f-1/";
  EXPECT_EQ(s[p + "subscribed"], 1);
  EXPECT_EQ(s[p + "calls"], 3);
  EXPECT_EQ(s[p + "calls/accept"], 2);
  EXPECT_EQ(s[p + "calls/subscribe"], 1);
  EXPECT_EQ(s[p + "events"], 2);
  EXPECT_EQ(s[p + "events/offers"], 1);
  EXPECT_EQ(s[p + "operations"], 1);
  EXPECT_EQ(s[p + "operations/launch"], 1);
  EXPECT_EQ(s[p + "offers/sent"], 3);
  EXPECT_EQ(s[p + "offers/accepted"], 1);
  EXPECT_EQ(s[p + "offers/declined"], 2);
  EXPECT_EQ(s[p + "tasks/terminal/task_finished"], 1);
  EXPECT_EQ(s[p + "tasks/active/task_running"], 4);
  EXPECT_EQ(s[p + "roles/web/suppressed"], 0);
  EXPECT_EQ(s[p + "roles/eng/ops/suppressed"], 1);
  EXPECT_EQ(s["master/frameworks/batch/f-2/calls"], 0);
  EXPECT_EQ(s["master/frameworks/batch/f-2/subscribed"], 0);
  for (const auto& [key, value] : s) {
    EXPECT_FALSE(key.find("f-9") != std::string::npos) << key;
  }

  // Gauges follow the books from one scrape to the next; counters stay.
  f.live["f-1"] = {};
  s = snapshotOf(f.registry);
  EXPECT_EQ(s[p + "subscribed"], 0);
  EXPECT_EQ(s[p + "tasks/active/task_running"], 0);
  EXPECT_FALSE(s.contains(p + "roles/web/suppressed"));
  EXPECT_EQ(s[p + "calls"], 3);
}

TEST(PerFrameworkMetricsTest, AFrameworkKeepsItsFirstNameAndLosesItsSeriesWhenDropped) {
  Fixture f;
  f.metrics.added("f-1", "web");
  f.metrics.call("f-1", scheduler::Call::SUBSCRIBE);
  f.metrics.added("f-1", "renamed");  // a re-subscription: nothing changes
  f.metrics.call("f-1", scheduler::Call::SUBSCRIBE);
  Snapshot s = snapshotOf(f.registry);
  EXPECT_EQ(s["master/frameworks/web/f-1/calls/subscribe"], 2);
  EXPECT_FALSE(s.contains("master/frameworks/renamed/f-1/calls"));
  EXPECT_EQ(f.metrics.size(), 1u);

  f.metrics.dropped("f-1");
  EXPECT_EQ(f.metrics.size(), 0u);
  for (const auto& [key, value] : snapshotOf(f.registry)) {
    EXPECT_FALSE(key.starts_with("master/frameworks/")) << key;
  }
  EXPECT_EQ(f.registry.prometheus().find("plateau_master_framework_"), std::string::npos);
  f.metrics.call("f-1", scheduler::Call::ACCEPT);  // gone: counted nowhere, nothing comes back
  EXPECT_TRUE(snapshotOf(f.registry).empty());
}

TEST(PerFrameworkMetricsTest, NotPublishedItKeepsAndShowsNothing) {
  Fixture f(/*publish=*/false);
  f.metrics.added("f-1", "web");
  f.metrics.call("f-1", scheduler::Call::SUBSCRIBE);
  f.live["f-1"].subscribed = true;
  EXPECT_EQ(f.metrics.size(), 0u);
  EXPECT_FALSE(f.metrics.publishing());
  EXPECT_TRUE(snapshotOf(f.registry).empty());
  EXPECT_EQ(f.registry.prometheus(), "");
}

TEST(PerFrameworkMetricsTest, PrometheusHasOneLabelledFamilyPerKindOfSeries) {
  Fixture f;
  f.metrics.added("f-1", "say \"hi\"\\now");
  f.metrics.added("f-2", "batch");
  f.metrics.call("f-1", scheduler::Call::DECLINE);
  f.metrics.offers("f-2", PerFrameworkMetrics::Offers::kRescinded, 2);
  f.metrics.taskEnded("f-2", v1::TASK_KILLED);
  f.live["f-1"].subscribed = true;
  f.live["f-1"].tasks[v1::TASK_STAGING] = 2;
  f.live["f-2"].roles = {{"batch", true}};
  const std::string text = f.registry.prometheus();
  const std::string one = R"(framework_id="f-1",framework_name="say \"hi\"\\now")";
  const std::string two = R"(framework_id="f-2",framework_name="batch")";
  const std::vector<std::string> lines = {
      "# TYPE plateau_master_framework_subscribed gauge\n",
      "# TYPE plateau_master_framework_calls_total counter\n",
      "# TYPE plateau_master_framework_tasks_active gauge\n",
      "plateau_master_framework_subscribed{" + one + "} 1\n",
      "plateau_master_framework_subscribed{" + two + "} 0\n",
      "plateau_master_framework_calls_total{" + one + R"(,call="DECLINE"} 1)" + "\n",
      "plateau_master_framework_calls_total{" + two + R"(,call="DECLINE"} 0)" + "\n",
      "plateau_master_framework_tasks_active{" + one + R"(,state="TASK_STAGING"} 2)" + "\n",
      "plateau_master_framework_tasks_terminal_total{" + two + R"(,state="TASK_KILLED"} 1)" + "\n",
      "plateau_master_framework_offers_rescinded_total{" + two + "} 2\n",
      "plateau_master_framework_role_suppressed{" + two + R"(,role="batch"} 1)" + "\n",
  };
  for (const std::string& line : lines) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  // One HELP and one TYPE per family, whatever the number of frameworks.
  size_t at = 0;
  size_t types = 0;
  while ((at = text.find("# TYPE plateau_master_framework_calls_total ", at)) !=
         std::string::npos) {
    ++types;
    ++at;
  }
  EXPECT_EQ(types, 1u);
}

}  // namespace
}  // namespace plateau::master
