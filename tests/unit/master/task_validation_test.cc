// The master's checks on what a task asks of its lifecycle: kill policy, health check,
// check, environment (Mesos's rules; no I/O).

#include <gtest/gtest.h>

#include "master/validation.h"

namespace plateau::master {
namespace {

namespace v1 = mesos::v1;

v1::TaskInfo task() {
  v1::TaskInfo t;
  t.set_name("t");
  t.mutable_task_id()->set_value("t");
  t.mutable_agent_id()->set_value("a");
  t.mutable_command()->set_value("true");
  return t;
}

TEST(TaskLifecycleValidationTest, AcceptsAPlainTask) {
  EXPECT_TRUE(validateTaskLifecycle(task()).isOk());
}

TEST(TaskLifecycleValidationTest, NegativeKillGraceIsRefused) {
  auto t = task();
  t.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(-1);
  auto s = validateTaskLifecycle(t);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("grace_period"), std::string::npos);
}

TEST(TaskLifecycleValidationTest, HealthCheckNeedsItsTypesField) {
  auto t = task();
  auto* hc = t.mutable_health_check();
  EXPECT_FALSE(validateTaskLifecycle(t).isOk());  // no type
  hc->set_type(v1::HealthCheck::COMMAND);
  EXPECT_FALSE(validateTaskLifecycle(t).isOk());  // no command
  hc->mutable_command()->set_value("true");
  EXPECT_TRUE(validateTaskLifecycle(t).isOk());
  hc->set_type(v1::HealthCheck::TCP);
  EXPECT_FALSE(validateTaskLifecycle(t).isOk());  // no tcp
  hc->mutable_tcp()->set_port(70000);
  EXPECT_FALSE(validateTaskLifecycle(t).isOk());  // port out of range
  hc->mutable_tcp()->set_port(8080);
  EXPECT_TRUE(validateTaskLifecycle(t).isOk());
  hc->set_interval_seconds(-1);
  EXPECT_FALSE(validateTaskLifecycle(t).isOk());
  hc->set_interval_seconds(1);
  hc->set_type(v1::HealthCheck::HTTP);
  hc->mutable_http()->set_port(8080);
  hc->mutable_http()->set_scheme("https");
  auto s = validateTaskLifecycle(t);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("https"), std::string::npos);
}

TEST(TaskLifecycleValidationTest, CheckIsValidatedEvenWithAGoodHealthCheck) {
  auto t = task();
  t.mutable_health_check()->set_type(v1::HealthCheck::TCP);
  t.mutable_health_check()->mutable_tcp()->set_port(80);
  t.mutable_check()->set_type(v1::CheckInfo::HTTP);
  EXPECT_FALSE(validateTaskLifecycle(t).isOk());
  t.mutable_check()->mutable_http()->set_port(80);
  EXPECT_TRUE(validateTaskLifecycle(t).isOk());
}

TEST(TaskLifecycleValidationTest, EnvironmentVariablesFollowTheirType) {
  v1::Environment env;
  auto* v = env.add_variables();
  v->set_name("A");
  EXPECT_FALSE(validateEnvironment(env).isOk());  // VALUE without a value
  v->set_value("1");
  EXPECT_TRUE(validateEnvironment(env).isOk());
  auto* secret = env.add_variables();
  secret->set_name("S");
  secret->set_type(v1::Environment::Variable::SECRET);
  EXPECT_FALSE(validateEnvironment(env).isOk());  // no secret
  secret->mutable_secret()->set_type(v1::Secret::REFERENCE);
  secret->mutable_secret()->mutable_reference()->set_name("db");
  auto s = validateEnvironment(env);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("'S'"), std::string::npos);
  secret->mutable_secret()->set_type(v1::Secret::VALUE);
  secret->mutable_secret()->mutable_value()->set_data("x");
  EXPECT_TRUE(validateEnvironment(env).isOk());
}

}  // namespace
}  // namespace plateau::master
