#include "sim/replay/generator.h"

#include <sstream>

#include <gtest/gtest.h>

namespace plateau::sim::replay {
namespace {

GeneratorSpec spec() {
  GeneratorSpec s;
  s.seed = 5;
  s.span_us = 3600LL * 1000000;
  s.rates = {{"batch", 2.0}, {"service", 0.5}};
  s.frameworks_per_role = 3;
  return s;
}

TEST(ReplayGeneratorTest, RatesShapesAndBoundsHold) {
  auto jobs = generateTrace(spec());
  int64_t batch = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const TraceJob& j = jobs[i];
    ASSERT_TRUE(i == 0 || jobs[i - 1].arrival_us <= j.arrival_us);
    ASSERT_LT(j.arrival_us, 3600LL * 1000000);
    ASSERT_GE(j.tasks, 1);
    ASSERT_LE(j.tasks, 1000);
    ASSERT_TRUE(j.cpus_milli == 500 || j.cpus_milli == 1000 || j.cpus_milli == 2000 ||
                j.cpus_milli == 4000);
    ASSERT_EQ(j.mem_milli, j.cpus_milli * 2048);
    ASSERT_GE(j.duration_us, 1000000);
    ASSERT_LE(j.duration_us, 6LL * 3600 * 1000000);
    ASSERT_TRUE(j.framework.starts_with(j.role + "-"));
    batch += j.role == "batch" ? 1 : 0;
  }
  // Poisson: 7200 batch and 1800 service jobs expected; 5 standard deviations of slack.
  EXPECT_NEAR(static_cast<double>(batch), 7200, 5 * 85);
  EXPECT_NEAR(static_cast<double>(jobs.size() - static_cast<size_t>(batch)), 1800, 5 * 43);
}

TEST(ReplayGeneratorTest, SameSeedSameTraceAndOtherRolesUntouched) {
  auto write = [](const GeneratorSpec& s) {
    std::ostringstream out;
    writeTrace(out, generateTrace(s));
    return out.str();
  };
  EXPECT_EQ(write(spec()), write(spec()));
  GeneratorSpec other = spec();
  other.seed = 6;
  EXPECT_NE(write(spec()), write(other));
  GeneratorSpec fewer = spec();
  fewer.rates.pop_back();
  auto all = generateTrace(spec());
  auto batch_only = generateTrace(fewer);
  std::erase_if(all, [](const TraceJob& j) { return j.role != "batch"; });
  ASSERT_EQ(all.size(), batch_only.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].arrival_us, batch_only[i].arrival_us);
    EXPECT_EQ(all[i].duration_us, batch_only[i].duration_us);
  }
}

TEST(ReplayGeneratorTest, DiurnalCycleMakesMiddayBusierThanMidnight) {
  GeneratorSpec s = spec();
  s.span_us = 24LL * 3600 * 1000000;
  s.rates = {{"batch", 1.0}};
  s.diurnal = 0.8;
  int64_t night = 0;
  int64_t noon = 0;
  for (const TraceJob& j : generateTrace(s)) {
    const int64_t hour = j.arrival_us / (3600LL * 1000000);
    night += hour < 2 || hour >= 22 ? 1 : 0;
    noon += hour >= 10 && hour < 14 ? 1 : 0;
  }
  EXPECT_GT(noon, 4 * night);
}

TEST(ReplayGeneratorTest, RefusesBadSpecsNamingTheFlag) {
  GeneratorSpec s = spec();
  s.rates.clear();
  EXPECT_NE(validate(s).message().find("--roles"), std::string::npos);
  s = spec();
  s.diurnal = 1.5;
  EXPECT_NE(validate(s).message().find("--diurnal"), std::string::npos);
  s = spec();
  s.cpus_milli = {0};
  EXPECT_NE(validate(s).message().find("--task_cpus"), std::string::npos);
  EXPECT_TRUE(validate(spec()).isOk());
}

}  // namespace
}  // namespace plateau::sim::replay
