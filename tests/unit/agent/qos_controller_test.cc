#include "agent/qos_controller.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

#include "fakes/virtual_time.h"

namespace plateau::agent {
namespace {

using namespace std::chrono_literals;
using plateau::testing::VirtualTime;

std::shared_ptr<spdlog::logger> nullLog() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

// The load a test sets (or an error while `broken`).
class FakeLoad : public LoadSource {
 public:
  Result<LoadAverage> read() override {
    if (broken) {
      return std::unexpected(Status(StatusCode::kInternal, "no load"));
    }
    return load;
  }
  LoadAverage load;
  bool broken = false;
};

std::string modules(const std::string& parameters) {
  return R"({"libraries": [{"file": "/usr/lib/libload_qos_controller.so", "modules": [)"
         R"({"name": "org_apache_mesos_LoadQoSController", "parameters": [)" +
         parameters + "]}]}]}";
}

Resources revocable(std::string_view text) {
  const Resources parsed = Resources::parse(text).value();
  Resources out;
  for (Resource r : parsed) {
    r.revocable = true;
    out += r;
  }
  return out;
}

std::vector<ExecutorUsage> twoExecutors() {
  return {{"fw", "regular", "c1", Resources::parse("cpus:1;mem:64").value()},
          {"fw", "best-effort", "c2", revocable("cpus:2") + Resources::parse("mem:64").value()}};
}

TEST(LoadQosControllerTest, KillsOnlyRevocableExecutorsAndOnlyAboveAThreshold) {
  FakeLoad load;
  auto controller = makeQosController(kLoadQosController,
                                      modules(R"({"key": "load_threshold_5min", "value": "7"},)"
                                              R"({"key": "load_threshold_15min", "value": "6"})"),
                                      load, nullLog());
  ASSERT_TRUE(controller.has_value()) << controller.error().message();
  load.load = {.one = 30, .five = 7, .fifteen = 6};  // at the thresholds: not above
  EXPECT_TRUE((*controller)->corrections(twoExecutors()).empty());
  load.load.five = 7.2;
  auto kills = (*controller)->corrections(twoExecutors());
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].executor_id, "best-effort");
  EXPECT_EQ(kills[0].container_id, "c2");
  load.load = {.one = 0, .five = 0, .fifteen = 6.1};  // the 15-minute one alone suffices
  EXPECT_EQ((*controller)->corrections(twoExecutors()).size(), 1u);
}

TEST(LoadQosControllerTest, AThresholdNotGivenIsNotChecked) {
  FakeLoad load;
  auto controller = makeQosController(kLoadQosController,
                                      modules(R"({"key": "load_threshold_15min", "value": "2.5"})"),
                                      load, nullLog());
  ASSERT_TRUE(controller.has_value()) << controller.error().message();
  load.load = {.one = 100, .five = 100, .fifteen = 2.5};
  EXPECT_TRUE((*controller)->corrections(twoExecutors()).empty());
  load.load.fifteen = 2.6;
  EXPECT_EQ((*controller)->corrections(twoExecutors()).size(), 1u);
}

TEST(LoadQosControllerTest, AnUnreadableLoadCorrectsNothing) {
  FakeLoad load;
  auto controller = makeQosController(kLoadQosController,
                                      modules(R"({"key": "load_threshold_5min", "value": "0"})"),
                                      load, nullLog());
  ASSERT_TRUE(controller.has_value());
  load.load.five = 5;
  load.broken = true;
  EXPECT_TRUE((*controller)->corrections(twoExecutors()).empty());
}

TEST(LoadQosControllerTest, NoNameMeansNoController) {
  FakeLoad load;
  auto controller = makeQosController("", "", load, nullLog());
  ASSERT_TRUE(controller.has_value());
  EXPECT_EQ(*controller, nullptr);
}

TEST(LoadQosControllerTest, BadConfigurationsNameTheFlag) {
  FakeLoad load;
  auto unknown =
      makeQosController("org_apache_mesos_NoopQoSController", modules(""), load, nullLog());
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("'--qos_controller'"), std::string::npos);
  auto no_modules = makeQosController(kLoadQosController, "", load, nullLog());
  ASSERT_FALSE(no_modules.has_value());
  EXPECT_NE(no_modules.error().message().find("--modules"), std::string::npos);
  for (const std::string& bad :
       {std::string("not json"), std::string(R"({"libraries": []})"), modules(""),
        modules(R"({"key": "load_threshold_5min", "value": "high"})"),
        modules(R"({"key": "load_threshold_15min", "value": "1.5x"})"),
        modules(R"({"key": "other", "value": "1"})")}) {
    auto refused = makeQosController(kLoadQosController, bad, load, nullLog());
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_NE(refused.error().message().find("'--modules'"), std::string::npos)
        << refused.error().message();
  }
}

TEST(LoadAverageTest, ParsesProcLoadavg) {
  auto load = parseLoadAverage("0.52 1.58 2.59 1/467 12345\n");
  ASSERT_TRUE(load.has_value());
  EXPECT_DOUBLE_EQ(load->one, 0.52);
  EXPECT_DOUBLE_EQ(load->five, 1.58);
  EXPECT_DOUBLE_EQ(load->fifteen, 2.59);
  EXPECT_FALSE(parseLoadAverage("0.5 0.5").has_value());
  EXPECT_FALSE(parseLoadAverage("a b c").has_value());
  FileLoadSource missing("/nonexistent/loadavg");
  EXPECT_FALSE(missing.read().has_value());
}

// Kills every executor it is shown.
class KillAll : public QosController {
 public:
  std::vector<QosKill> corrections(const std::vector<ExecutorUsage>& executors) override {
    ++asked;
    std::vector<QosKill> kills;
    for (const auto& e : executors) {
      kills.push_back({e.framework_id, e.executor_id, e.container_id});
    }
    return kills;
  }
  int asked = 0;
};

TEST(QosCorrectorTest, AsksEveryIntervalWhileActiveAndHandsOverEachKill) {
  VirtualTime time;
  auto owned = std::make_unique<KillAll>();
  KillAll& controller = *owned;
  bool active = false;
  std::vector<std::string> killed;
  QosCorrector corrector(
      time, 10s, std::move(owned),
      {.usage = [] { return twoExecutors(); },
       .active = [&active] { return active; },
       .kill = [&killed](const QosKill& k) { killed.push_back(k.executor_id); }});
  corrector.start();
  time.advance(10s);
  EXPECT_EQ(controller.asked, 0);  // recovering: not asked
  active = true;
  time.advance(9s);
  EXPECT_EQ(controller.asked, 0);  // not before the interval
  time.advance(1s);
  EXPECT_EQ(controller.asked, 1);
  EXPECT_EQ(killed, (std::vector<std::string>{"regular", "best-effort"}));
}

TEST(QosCorrectorTest, AZeroIntervalWaitsTheMinimumAndNoControllerNeverTicks) {
  VirtualTime time;
  auto owned = std::make_unique<KillAll>();
  KillAll& controller = *owned;
  QosCorrector corrector(time, 0s, std::move(owned),
                         {.usage = [] { return std::vector<ExecutorUsage>{}; },
                          .active = [] { return true; },
                          .kill = [](const QosKill&) {}});
  EXPECT_EQ(corrector.interval(), kQosMinimumInterval);
  corrector.start();
  time.advance(kQosMinimumInterval * 3);
  EXPECT_EQ(controller.asked, 3);
  int asked = 0;
  QosCorrector none(time, 1s, nullptr,
                    {.usage =
                         [&asked] {
                           ++asked;
                           return std::vector<ExecutorUsage>{};
                         },
                     .active = [] { return true; },
                     .kill = [](const QosKill&) {}});
  none.start();
  time.advance(1min);
  EXPECT_EQ(asked, 0);
}

}  // namespace
}  // namespace plateau::agent
