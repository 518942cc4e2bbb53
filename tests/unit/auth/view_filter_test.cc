#include "auth/view_filter.h"

#include <gtest/gtest.h>

namespace plateau::auth {
namespace {

namespace v1 = mesos::v1;

// viewer may view alice's frameworks, tasks, executors and containers, and the role eng (and
// those nested under it); nothing else.
ViewFilter viewerFilter() {
  auto acls = Authorizer::parse(R"({"permissive": false,
    "view_frameworks": [{"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}}],
    "view_tasks": [{"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}}],
    "view_executors": [{"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}}],
    "view_containers": [{"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}}],
    "view_roles": [{"principals": {"values": ["viewer"]}, "roles": {"values": ["eng", "eng/%"]}}]
  })",
                                "test", nullptr);
  EXPECT_TRUE(acls) << acls.error().message();
  return ViewFilter(std::make_shared<const Authorizer>(std::move(*acls)), "viewer");
}

v1::FrameworkInfo frameworkOf(const std::string& user) {
  v1::FrameworkInfo info;
  info.set_user(user);
  return info;
}

v1::Resource cpus(const std::string& role, bool refined = false) {
  v1::Resource r;
  r.set_name("cpus");
  r.set_type(v1::Value::SCALAR);
  r.mutable_scalar()->set_value(1);
  if (!role.empty()) {
    r.add_reservations()->set_role(refined ? "eng" : role);
    if (refined) {
      r.add_reservations()->set_role(role);
    }
  }
  return r;
}

TEST(ViewFilter, ADefaultMadeFilterShowsEverything) {
  ViewFilter all;
  EXPECT_TRUE(all.showsAll());
  EXPECT_TRUE(all.framework(frameworkOf("bob")));
  EXPECT_TRUE(all.container(v1::ExecutorInfo(), frameworkOf("bob")));
  EXPECT_TRUE(all.resource(cpus("finance")));
}

TEST(ViewFilter, AnAgentsTaskIsViewedByItsCommandsUserElseItsFrameworks) {
  ViewFilter view = viewerFilter();
  EXPECT_FALSE(view.showsAll());
  v1::TaskInfo task;
  EXPECT_TRUE(view.taskInfo(task, frameworkOf("alice")));
  EXPECT_FALSE(view.taskInfo(task, frameworkOf("bob")));
  task.mutable_command()->set_user("bob");
  EXPECT_FALSE(view.taskInfo(task, frameworkOf("alice")));
  task.mutable_command()->set_user("alice");
  // Within a framework the principal may not view, no task is shown.
  EXPECT_FALSE(view.taskInfo(task, frameworkOf("bob")));
}

TEST(ViewFilter, AContainerIsViewedByItsExecutorsUser) {
  ViewFilter view = viewerFilter();
  v1::ExecutorInfo executor;
  EXPECT_TRUE(view.container(executor, frameworkOf("alice")));
  EXPECT_FALSE(view.container(executor, frameworkOf("bob")));
  executor.mutable_command()->set_user("alice");
  EXPECT_TRUE(view.container(executor, frameworkOf("bob")));
  EXPECT_EQ(executorUser(executor, frameworkOf("bob")), "alice");
}

TEST(ViewFilter, AReservedResourceIsViewedByItsInnermostRole) {
  ViewFilter view = viewerFilter();
  EXPECT_TRUE(view.resource(cpus("")));  // unreserved: always shown
  EXPECT_TRUE(view.resource(cpus("eng")));
  EXPECT_FALSE(view.resource(cpus("finance")));
  EXPECT_TRUE(view.resource(cpus("eng/web", true)));
  v1::Resource legacy = cpus("");
  legacy.set_role("finance");  // the pre-reservations form
  EXPECT_FALSE(view.resource(legacy));

  google::protobuf::RepeatedPtrField<v1::Resource> resources;
  *resources.Add() = cpus("eng");
  *resources.Add() = cpus("finance");
  *resources.Add() = cpus("");
  filterResources(view, &resources);
  ASSERT_EQ(resources.size(), 2);
  EXPECT_EQ(resources[0].reservations(0).role(), "eng");
  EXPECT_EQ(resources[1].reservations_size(), 0);
}

}  // namespace
}  // namespace plateau::auth
