// A leader that has not finished recovering its registry holds agent and scheduler calls and
// answers them once it has (Master::holdUntilRecovered), instead of refusing them into the
// clients' backoffs; operator calls are still refused with 503.

#include <gtest/gtest.h>

#include "unit/master/virtual_master.h"

namespace plateau::testing {
namespace {

// A registry whose recovery ends only when the test says so.
class HeldRegistry final : public master::registry::Registry {
 public:
  struct Pending {
    std::function<void(Result<master::registry::State>)> done;
  };
  explicit HeldRegistry(std::shared_ptr<Pending> pending) : pending_(std::move(pending)) {}
  void recover(std::function<void(Result<master::registry::State>)> done) override {
    pending_->done = std::move(done);
  }
  void apply(std::vector<master::registry::Change>, std::function<void(Status)> done) override {
    done(Status());
  }
  std::string name() const override { return "held"; }

 private:
  std::shared_ptr<Pending> pending_;
};

internal::AgentCall registerCall(const std::string& hostname) {
  internal::AgentCall call;
  call.set_type(internal::AgentCall::REGISTER);
  *call.mutable_register_() = VirtualMaster::agentRegistration(hostname, 4, 1024);
  return call;
}

TEST(RecoveryHoldTest, AgentAndSchedulerCallsWaitForRecoveryAndAreThenAnswered) {
  VirtualMaster vm;
  auto pending = std::make_shared<HeldRegistry::Pending>();
  vm.leadership().elect(std::make_unique<HeldRegistry>(pending));
  vm.time.settle();
  ASSERT_TRUE(pending->done);  // recovering

  auto agent = vm.request("POST", "/agent/api/v1", registerCall("a1").SerializeAsString());
  scheduler::Call subscribe;
  subscribe.set_type(scheduler::Call::SUBSCRIBE);
  subscribe.mutable_subscribe()->mutable_framework_info()->set_name("f");
  subscribe.mutable_subscribe()->mutable_framework_info()->set_user("u");
  auto framework = vm.request("POST", "/api/v1/scheduler", subscribe.SerializeAsString());
  auto operator_call = vm.request("POST", "/api/v1", R"({"type": "GET_HEALTH"})");
  // Held, not refused; an operator call is refused at once.
  EXPECT_FALSE(agent->response().has_value());
  EXPECT_FALSE(framework->response().has_value());
  ASSERT_TRUE(operator_call->response().has_value());
  EXPECT_EQ(operator_call->response()->status, 503);

  pending->done(master::registry::State{});
  vm.time.settle();
  ASSERT_TRUE(agent->stream());
  recordio::Decoder decoder;
  auto events = recordio::decodeEvents<internal::AgentEvent>(decoder, agent->stream()->written());
  ASSERT_TRUE(events.has_value());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->front().type(), internal::AgentEvent::REGISTERED);
  ASSERT_TRUE(framework->stream());
  EXPECT_EQ(framework->response()->status, 200);
}

TEST(RecoveryHoldTest, HeldCallsAreAnsweredInArrivalOrderOverSeveralLoopTurns) {
  VirtualMaster vm;
  auto pending = std::make_shared<HeldRegistry::Pending>();
  vm.leadership().elect(std::make_unique<HeldRegistry>(pending));
  vm.time.settle();
  // More than one slice (256 a turn) of registrations.
  std::vector<std::shared_ptr<FakeExchange>> agents;
  for (int i = 0; i < 600; ++i) {
    agents.push_back(vm.request("POST", "/agent/api/v1",
                                registerCall("a" + std::to_string(i)).SerializeAsString()));
  }
  for (const auto& agent : agents) {
    ASSERT_FALSE(agent->response().has_value());
  }
  pending->done(master::registry::State{});
  vm.time.settle();
  std::vector<std::string> ids;
  for (const auto& agent : agents) {
    ASSERT_TRUE(agent->stream());
    recordio::Decoder decoder;
    auto events = recordio::decodeEvents<internal::AgentEvent>(decoder, agent->stream()->written());
    ASSERT_TRUE(events.has_value() && !events->empty());
    ids.push_back(events->front().registered().agent_id().value());
  }
  // Agent ids are handed out in order (…-S0, …-S1, …): the held calls kept theirs.
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_TRUE(ids[i].ends_with("-S" + std::to_string(i))) << ids[i];
  }
}

}  // namespace
}  // namespace plateau::testing
