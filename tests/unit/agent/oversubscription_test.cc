#include "agent/oversubscription.h"

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

constexpr const char* kModules =
    R"({"libraries": [{"file": "/usr/lib/libfixed_resource_estimator.so", "modules": [)"
    R"({"name": "org_apache_mesos_FixedResourceEstimator", "parameters": [)"
    R"({"key": "resources", "value": "cpus:4;mem:512"}]}]}]})";

Resources revocable(std::string_view text) {
  const Resources parsed = Resources::parse(text).value();
  Resources out;
  for (Resource r : parsed) {
    r.revocable = true;
    out += r;
  }
  return out;
}

std::shared_ptr<spdlog::logger> nullLog() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

TEST(ResourceEstimatorTest, TheFixedEstimatorReadsItsResourcesFromMesosModulesJson) {
  auto estimator = makeResourceEstimator(kFixedResourceEstimator, kModules);
  ASSERT_TRUE(estimator.has_value()) << estimator.error().message();
  ASSERT_NE(*estimator, nullptr);
  EXPECT_EQ((*estimator)->oversubscribable(Resources()), revocable("cpus:4;mem:512"));
  EXPECT_EQ((*estimator)->oversubscribable(revocable("cpus:1")), revocable("cpus:3;mem:512"));
}

TEST(ResourceEstimatorTest, NoNameMeansNoEstimator) {
  auto estimator = makeResourceEstimator("", "");
  ASSERT_TRUE(estimator.has_value());
  EXPECT_EQ(*estimator, nullptr);
}

TEST(ResourceEstimatorTest, BadConfigurationsNameTheFlag) {
  auto unknown = makeResourceEstimator("org_apache_mesos_NoopResourceEstimator", kModules);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("--resource_estimator"), std::string::npos);
  auto no_modules = makeResourceEstimator(kFixedResourceEstimator, "");
  ASSERT_FALSE(no_modules.has_value());
  EXPECT_NE(no_modules.error().message().find("--modules"), std::string::npos);
  for (const char* modules :
       {"not json", R"({"libraries": []})",
        R"({"libraries": [{"modules": [{"name": "org_apache_mesos_FixedResourceEstimator"}]}]})",
        R"({"libraries": [{"modules": [{"name": "org_apache_mesos_FixedResourceEstimator",)"
        R"( "parameters": [{"key": "resources", "value": "cpus:x"}]}]}]})",
        R"({"libraries": [{"modules": [{"name": "org_apache_mesos_FixedResourceEstimator",)"
        R"( "parameters": [{"key": "resources", "value": "cpus(eng):1"}]}]}]})"}) {
    auto bad = makeResourceEstimator(kFixedResourceEstimator, modules);
    ASSERT_FALSE(bad.has_value()) << modules;
    EXPECT_NE(bad.error().message().find("'--modules'"), std::string::npos)
        << bad.error().message();
  }
}

class ReporterTest : public ::testing::Test {
 protected:
  std::unique_ptr<OversubscriptionReporter> make(std::unique_ptr<ResourceEstimator> estimator) {
    return std::make_unique<OversubscriptionReporter>(
        time_, 15s, std::move(estimator), nullLog(),
        OversubscriptionReporter::Hooks{
            .in_use = [this] { return in_use_; },
            .registered = [this] { return registered_; },
            .report = [this](const Resources& r) { reports_.push_back(r); }});
  }

  VirtualTime time_;
  Resources in_use_;
  bool registered_ = false;
  std::vector<Resources> reports_;
};

TEST_F(ReporterTest, ReportsAfterRegistrationAndOnlyWhenTheTotalChanges) {
  auto reporter =
      make(std::make_unique<FixedResourceEstimator>(Resources::parse("cpus:4").value()));
  reporter->start();
  time_.advance(15s);
  EXPECT_TRUE(reports_.empty());  // not registered: nothing goes out
  registered_ = true;
  reporter->registered();
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0], revocable("cpus:4"));
  // A task takes a revocable cpu: the total (estimate plus in use) stays 4.
  in_use_ = revocable("cpus:1");
  time_.advance(15s);
  EXPECT_EQ(reports_.size(), 1u);
  // It takes more than the fixed total: the master hears of what is in use.
  in_use_ = revocable("cpus:5");
  time_.advance(14s);
  EXPECT_EQ(reports_.size(), 1u);  // not before the interval
  time_.advance(1s);
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_EQ(reports_[1], revocable("cpus:5"));
  // A new registration repeats the total, changed or not.
  reporter->registered();
  EXPECT_EQ(reports_.size(), 3u);
}

TEST_F(ReporterTest, WithoutAnEstimatorNothingIsEverReported) {
  auto reporter = make(nullptr);
  reporter->start();
  registered_ = true;
  reporter->registered();
  time_.advance(1min);
  EXPECT_TRUE(reports_.empty());
}

}  // namespace
}  // namespace plateau::agent
