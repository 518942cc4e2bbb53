// Bad input gets a clear answer (status code and message) and the master keeps serving.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

http::Response post(const http::Endpoint& master, const std::string& body,
                    http::Headers headers = {{"content-type", "application/json"}}) {
  auto r = http::fetchSync(
      master,
      {.method = "POST", .path = "/api/v1/scheduler", .headers = std::move(headers), .body = body},
      5s);
  EXPECT_TRUE(r.has_value());
  return r ? *r : http::Response{};
}

class BadInput : public ::testing::Test {
 protected:
  void TearDown() override {
    // Whatever came before, the master still answers.
    auto health = http::fetchSync(cluster_->master(), {.method = "GET", .path = "/health"}, 5s);
    ASSERT_TRUE(health.has_value());
    EXPECT_EQ(health->status, 200);
    EXPECT_TRUE(cluster_->masterProcess().running());
  }
  static void SetUpTestSuite() { cluster_ = std::make_unique<Cluster>(); }
  static void TearDownTestSuite() { cluster_.reset(); }
  static Cluster& cluster() { return *cluster_; }
  static std::unique_ptr<Cluster> cluster_;
};

std::unique_ptr<Cluster> BadInput::cluster_;

TEST_F(BadInput, GetOnSchedulerEndpointIs405) {
  auto r = http::fetchSync(cluster().master(), {.method = "GET", .path = "/api/v1/scheduler"}, 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "POST");
}

TEST_F(BadInput, MissingContentTypeIs415) {
  auto r = post(cluster().master(), "{}", {});
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(r.body.find("Content-Type"), std::string::npos) << r.body;
}

TEST_F(BadInput, UnsupportedContentTypeIs415) {
  auto r = post(cluster().master(), "{}", {{"content-type", "text/plain"}});
  EXPECT_EQ(r.status, 415);
}

TEST_F(BadInput, MalformedJsonIs400) {
  auto r = post(cluster().master(), R"({"type": "SUBSCRIBE", )");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Failed to parse"), std::string::npos) << r.body;
}

TEST_F(BadInput, JsonArrayInsteadOfObjectIs400) {
  auto r = post(cluster().master(), R"([1, 2, 3])");
  EXPECT_EQ(r.status, 400);
}

TEST_F(BadInput, WrongFieldTypeIs400AndNamesTheField) {
  auto r =
      post(cluster().master(),
           R"({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": 7, "name": "x"}}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("user"), std::string::npos) << r.body;
}

TEST_F(BadInput, MissingRequiredFieldIs400AndNamesIt) {
  auto r = post(cluster().master(),
                R"({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"name": "x"}}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("user"), std::string::npos) << r.body;
}

TEST_F(BadInput, SubscribeWithoutSubscribeMessageIs400) {
  auto r = post(cluster().master(), R"({"type": "SUBSCRIBE"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("subscribe"), std::string::npos) << r.body;
}

TEST_F(BadInput, UnknownCallTypeIs400) {
  auto r = post(cluster().master(), R"({"type": "TELEPORT"})");
  EXPECT_EQ(r.status, 400);
}

TEST_F(BadInput, UnacceptableAcceptIs406) {
  auto r =
      post(cluster().master(),
           R"({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "x"}}})",
           {{"content-type", "application/json"}, {"accept", "text/html"}});
  EXPECT_EQ(r.status, 406);
}

TEST_F(BadInput, GarbageProtobufIs400) {
  auto r = post(cluster().master(), std::string("\xff\xff\xff\xff\x0f", 5),
                {{"content-type", "application/x-protobuf"}});
  EXPECT_EQ(r.status, 400);
}

// As Mesos: "Framework cannot be found" is a bad request (a known framework that is not
// subscribed is 403: CallOfADisconnectedFrameworkIs403).
TEST_F(BadInput, CallForUnknownFrameworkIs400) {
  auto r = post(cluster().master(), R"({"type": "REVIVE", "framework_id": {"value": "nobody"}})",
                {{"content-type", "application/json"}, {"mesos-stream-id", "x"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("nobody"), std::string::npos) << r.body;
}

TEST_F(BadInput, MissingOrWrongStreamIdIs400) {
  Scheduler s(cluster().master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("stream-id");
  ASSERT_TRUE(s.subscribe(info));
  std::string body =
      fmt::format(R"({{"type": "REVIVE", "framework_id": {{"value": "{}"}}}})", s.frameworkId());
  auto missing = post(cluster().master(), body);
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("Mesos-Stream-Id"), std::string::npos) << missing.body;
  auto wrong = post(cluster().master(), body,
                    {{"content-type", "application/json"}, {"mesos-stream-id", "not-it"}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("didn't match"), std::string::npos) << wrong.body;
}

// A framework that lost its subscription and waits out its failover timeout is known, but its
// calls are forbidden until it subscribes again, as in Mesos.
TEST_F(BadInput, CallOfADisconnectedFrameworkIs403) {
  Scheduler s(cluster().master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("gone-away");
  info.set_failover_timeout(600);
  ASSERT_TRUE(s.subscribe(info));
  const std::string stream_id = s.streamId();
  std::string body =
      fmt::format(R"({{"type": "REVIVE", "framework_id": {{"value": "{}"}}}})", s.frameworkId());
  s.close();
  http::Response refused;
  EXPECT_TRUE(eventually([&] {
    refused = post(cluster().master(), body,
                   {{"content-type", "application/json"}, {"mesos-stream-id", stream_id}});
    return refused.status == 403;
  })) << refused.status
      << " " << refused.body;
  EXPECT_NE(refused.body.find("not subscribed"), std::string::npos) << refused.body;
}

TEST_F(BadInput, AcknowledgeWithInvalidUuidIs400) {
  Scheduler s(cluster().master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("bad-ack");
  ASSERT_TRUE(s.subscribe(info));
  scheduler::Call ack;
  ack.set_type(scheduler::Call::ACKNOWLEDGE);
  ack.mutable_acknowledge()->mutable_agent_id()->set_value("a");
  ack.mutable_acknowledge()->mutable_task_id()->set_value("t");
  ack.mutable_acknowledge()->set_uuid("short");
  EXPECT_EQ(s.call(ack), 400);
  EXPECT_NE(s.lastResponse().body.find("UUID"), std::string::npos);
}

TEST_F(BadInput, CallWithoutItsFieldIs400NamingIt) {
  Scheduler s(cluster().master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("inverse-offers");
  ASSERT_TRUE(s.subscribe(info));
  scheduler::Call call;
  call.set_type(scheduler::Call::RECONCILE_OPERATIONS);
  EXPECT_EQ(s.call(call), 400);
  EXPECT_NE(s.lastResponse().body.find("reconcile_operations"), std::string::npos)
      << s.lastResponse().body;
}

TEST_F(BadInput, InvalidRoleGetsErrorEvent) {
  Scheduler s(cluster().master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("bad-role");
  info.set_role("../etc");
  EXPECT_FALSE(s.subscribe(info));
  auto error = s.next(scheduler::Event::ERROR, 5s);
  ASSERT_TRUE(error);
  EXPECT_NE(error->error().message().find("Role"), std::string::npos);
}

TEST_F(BadInput, UnknownEndpointIs404) {
  auto r = http::fetchSync(cluster().master(), {.method = "GET", .path = "/no/such/thing"}, 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

// Task-level validation answers with status updates, never by dropping the task.
TEST(BadTasks, EachInvalidTaskGetsAnUpdateWithAReason) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("bad-tasks");
  ASSERT_TRUE(s.subscribe(info));

  // An offer that does not exist: TASK_LOST with REASON_INVALID_OFFERS.
  scheduler::Call bogus;
  bogus.set_type(scheduler::Call::ACCEPT);
  bogus.mutable_accept()->add_offer_ids()->set_value("no-such-offer");
  auto* op = bogus.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  auto* t = op->mutable_launch()->add_task_infos();
  t->set_name("x");
  t->mutable_task_id()->set_value("on-bogus-offer");
  t->mutable_agent_id()->set_value("a");
  t->mutable_command()->set_value("true");
  ASSERT_EQ(s.call(bogus), 202);
  auto lost = s.nextUpdate();
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->state(), v1::TASK_LOST);
  EXPECT_EQ(lost->reason(), v1::TaskStatus::REASON_INVALID_OFFERS);
  EXPECT_FALSE(lost->message().empty());

  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  const auto& offer = offers->offers().offers(0);
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* launch = accept.mutable_accept()->add_operations();
  launch->set_type(v1::Offer::Operation::LAUNCH);
  auto add = [&](const std::string& id, const std::string& res, bool command) {
    auto* task = launch->mutable_launch()->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    *task->mutable_agent_id() = offer.agent_id();
    *task->mutable_resources() = resources(res);
    if (command) task->mutable_command()->set_value("sleep 1000");
    return task;
  };
  add("no-command", "cpus:0.1;mem:8", false);
  add("too-big", "cpus:64;mem:8", true);
  add("dup", "cpus:0.1;mem:8", true);
  add("dup", "cpus:0.1;mem:8", true);
  add("bad/id", "cpus:0.1;mem:8", true);
  auto* negative = add("negative", "cpus:0.1", true);
  auto* r = negative->add_resources();
  r->set_name("mem");
  r->set_type(v1::Value::SCALAR);
  r->mutable_scalar()->set_value(-5);
  add("no-resources", "", true)->clear_resources();
  // A non-LAUNCH operation with an id is answered with OPERATION_ERROR.
  auto* reserve = accept.mutable_accept()->add_operations();
  reserve->set_type(v1::Offer::Operation::RESERVE);
  reserve->mutable_id()->set_value("reserve-1");
  ASSERT_EQ(s.call(accept), 202);

  std::map<std::string, v1::TaskStatus> errors;
  bool dup_running = false;
  while (errors.size() < 6) {
    auto u = s.nextUpdate();
    ASSERT_TRUE(u) << "missing updates after " << errors.size();
    if (u->task_id().value() == "dup" && u->state() == v1::TASK_RUNNING) {
      dup_running = true;
      continue;
    }
    errors[u->task_id().value()] = *u;
  }
  for (const char* id : {"no-command", "too-big", "dup", "bad/id", "negative", "no-resources"}) {
    ASSERT_TRUE(errors.contains(id)) << id;
    EXPECT_EQ(errors[id].state(), v1::TASK_ERROR) << id;
    EXPECT_EQ(errors[id].reason(), v1::TaskStatus::REASON_TASK_INVALID) << id;
    EXPECT_FALSE(errors[id].message().empty()) << id;
  }
  EXPECT_NE(errors["dup"].message().find("duplicate"), std::string::npos);
  auto op_status = s.next(scheduler::Event::UPDATE_OPERATION_STATUS);
  ASSERT_TRUE(op_status);
  EXPECT_EQ(op_status->update_operation_status().status().state(), v1::OPERATION_ERROR);
  EXPECT_EQ(op_status->update_operation_status().status().operation_id().value(), "reserve-1");
  // The first task with the id still runs.
  if (!dup_running) {
    auto u = s.nextUpdate();
    ASSERT_TRUE(u);
    EXPECT_EQ(u->task_id().value(), "dup");
    EXPECT_EQ(u->state(), v1::TASK_RUNNING);
  }
}

}  // namespace
}  // namespace plateau::testing
