#include "sim/sim_framework.h"

#include <gtest/gtest.h>

#include <vector>

#include "fakes/virtual_time.h"

namespace plateau::sim {
namespace {

using namespace std::chrono_literals;
namespace v1 = mesos::v1;
namespace scheduler = mesos::v1::scheduler;

FrameworkGroup spec() {
  FrameworkGroup g;
  g.count = 1;
  g.name = "fw";
  g.role = "batch";
  g.task_cpus = 1;
  g.task_mem = 100;
  g.duration_min_s = 2;
  g.duration_max_s = 2;
  g.arrival_rate = 10;
  g.max_tasks = 25;
  g.refuse_seconds = 3;
  return g;
}

class SimFrameworkTest : public ::testing::Test {
 protected:
  explicit SimFrameworkTest(FrameworkGroup g = spec())
      : framework_(time_, time_, g, 0, 1, ledger_,
                   {.send = [this](scheduler::Call call) { sent_.push_back(std::move(call)); }}) {}

  void subscribe() {
    scheduler::Event event;
    event.set_type(scheduler::Event::SUBSCRIBED);
    event.mutable_subscribed()->mutable_framework_id()->set_value("fw-id");
    framework_.handle(event);
  }

  static scheduler::Event offers(int n, double cpus, double mem) {
    scheduler::Event event;
    event.set_type(scheduler::Event::OFFERS);
    for (int i = 0; i < n; ++i) {
      v1::Offer* offer = event.mutable_offers()->add_offers();
      offer->mutable_id()->set_value("o" + std::to_string(i));
      offer->mutable_agent_id()->set_value("a" + std::to_string(i));
      for (auto [name, value] : {std::pair{"cpus", cpus}, std::pair{"mem", mem}}) {
        v1::Resource* r = offer->add_resources();
        r->set_name(name);
        r->set_type(v1::Value::SCALAR);
        r->mutable_scalar()->set_value(value);
        r->mutable_allocation_info()->set_role("batch");
      }
    }
    return event;
  }

  std::vector<scheduler::Call> ofType(scheduler::Call::Type type) const {
    std::vector<scheduler::Call> out;
    for (const auto& c : sent_) {
      if (c.type() == type) {
        out.push_back(c);
      }
    }
    return out;
  }

  testing::VirtualTime time_;
  TaskLedger ledger_;
  std::vector<scheduler::Call> sent_;
  SimFramework framework_;
};

TEST_F(SimFrameworkTest, SubscribesWithItsRole) {
  v1::FrameworkInfo info = framework_.info();
  EXPECT_EQ(info.name(), "fw-0");
  ASSERT_EQ(info.roles_size(), 1);
  EXPECT_EQ(info.roles(0), "batch");
  EXPECT_FALSE(info.has_id());
  subscribe();
  EXPECT_EQ(framework_.info().id().value(), "fw-id");
}

TEST_F(SimFrameworkTest, TasksArriveAtTheRateUpToTheLimit) {
  subscribe();
  time_.advance(1s);
  EXPECT_EQ(framework_.submitted(), 10);
  time_.advance(10s);
  EXPECT_EQ(framework_.submitted(), 25);  // max_tasks
  EXPECT_EQ(ledger_.counts().submitted, 25);
}

TEST_F(SimFrameworkTest, PacksWaitingTasksIntoOffersAndRefusesTheRest) {
  subscribe();
  time_.advance(1s);                      // 10 waiting
  framework_.handle(offers(2, 4, 1000));  // 4 tasks fit on each
  auto accepts = ofType(scheduler::Call::ACCEPT);
  ASSERT_EQ(accepts.size(), 2u);
  const auto& launch = accepts[0].accept().operations(0).launch();
  ASSERT_EQ(launch.task_infos_size(), 4);
  EXPECT_EQ(accepts[0].framework_id().value(), "fw-id");
  EXPECT_EQ(accepts[0].accept().filters().refuse_seconds(), 3);
  const v1::TaskInfo& task = launch.task_infos(0);
  EXPECT_EQ(task.task_id().value(), "fw-0-0");
  EXPECT_EQ(task.agent_id().value(), "a0");
  EXPECT_EQ(task.resources(0).allocation_info().role(), "batch");
  EXPECT_EQ(task.labels().labels(0).value(), "2000");
  EXPECT_EQ(task.command().value(), "sleep 2.000");
  EXPECT_EQ(framework_.waiting(), 2);
  EXPECT_EQ(ledger_.counts().launched, 8);
  EXPECT_TRUE(ofType(scheduler::Call::DECLINE).empty());
  EXPECT_TRUE(ofType(scheduler::Call::SUPPRESS).empty());
}

TEST_F(SimFrameworkTest, DeclinesWhatDoesNotFitAndSuppressesWhenIdle) {
  subscribe();
  time_.advance(100ms);                     // 1 waiting
  framework_.handle(offers(3, 0.5, 1000));  // nothing fits: cpus
  auto declines = ofType(scheduler::Call::DECLINE);
  ASSERT_EQ(declines.size(), 1u);  // one call for the three offers
  EXPECT_EQ(declines[0].decline().offer_ids_size(), 3);
  EXPECT_EQ(declines[0].decline().filters().refuse_seconds(), 3);
  framework_.handle(offers(1, 2, 1000));
  EXPECT_EQ(framework_.waiting(), 0);
  ASSERT_EQ(ofType(scheduler::Call::SUPPRESS).size(), 1u);
  // The next arrival revives.
  time_.advance(100ms);
  EXPECT_EQ(ofType(scheduler::Call::REVIVE).size(), 1u);
  EXPECT_EQ(framework_.stats().suppress, 1);
  EXPECT_EQ(framework_.stats().revive, 1);
}

TEST_F(SimFrameworkTest, ASuppressionOutlivesAResubscription) {
  scheduler::Call first = framework_.subscription();
  EXPECT_EQ(first.type(), scheduler::Call::SUBSCRIBE);
  EXPECT_FALSE(first.has_framework_id());
  EXPECT_EQ(first.subscribe().framework_info().roles(0), "batch");
  EXPECT_EQ(first.subscribe().suppressed_roles_size(), 0);
  subscribe();
  time_.advance(100ms);  // 1 waiting
  framework_.handle(offers(1, 2, 1000));
  ASSERT_EQ(ofType(scheduler::Call::SUPPRESS).size(), 1u);
  // Subscribing again (a new leader) keeps it suppressed there.
  scheduler::Call again = framework_.subscription();
  EXPECT_EQ(again.framework_id().value(), "fw-id");
  EXPECT_EQ(again.subscribe().framework_info().id().value(), "fw-id");
  ASSERT_EQ(again.subscribe().suppressed_roles_size(), 1);
  EXPECT_EQ(again.subscribe().suppressed_roles(0), "batch");
  subscribe();
  EXPECT_EQ(framework_.subscription().subscribe().suppressed_roles_size(), 1);
  // Once it revives (a task arrives), it subscribes unsuppressed.
  time_.advance(100ms);
  ASSERT_EQ(ofType(scheduler::Call::REVIVE).size(), 1u);
  EXPECT_EQ(framework_.subscription().subscribe().suppressed_roles_size(), 0);
}

TEST_F(SimFrameworkTest, AcknowledgesUpdatesAndRecordsThem) {
  subscribe();
  time_.advance(100ms);
  framework_.handle(offers(1, 4, 1000));
  for (v1::TaskState state : {v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}) {
    scheduler::Event update;
    update.set_type(scheduler::Event::UPDATE);
    auto* status = update.mutable_update()->mutable_status();
    status->mutable_task_id()->set_value("fw-0-0");
    status->mutable_agent_id()->set_value("a0");
    status->set_state(state);
    status->set_uuid("0123456789abcdef");
    framework_.handle(update);
  }
  auto acks = ofType(scheduler::Call::ACKNOWLEDGE);
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[0].acknowledge().agent_id().value(), "a0");
  EXPECT_EQ(acks[0].acknowledge().uuid(), "0123456789abcdef");
  EXPECT_EQ(ledger_.counts().running, 1);
  EXPECT_EQ(ledger_.counts().finished, 1);
  EXPECT_EQ(ledger_.live(), 0u);
}

TEST_F(SimFrameworkTest, NoArrivalsAfterStop) {
  subscribe();
  time_.advance(500ms);
  framework_.stopArrivals();
  time_.advance(5s);
  EXPECT_EQ(framework_.submitted(), 5);
  EXPECT_EQ(time_.pending(), 0u);
}

class DecliningFrameworkTest : public SimFrameworkTest {
 protected:
  DecliningFrameworkTest()
      : SimFrameworkTest([] {
          FrameworkGroup g = spec();
          g.decline_fraction = 1;
          return g;
        }()) {}
};

TEST_F(DecliningFrameworkTest, DeclinesEveryOfferWhenAskedTo) {
  subscribe();
  time_.advance(1s);
  framework_.handle(offers(4, 8, 8000));
  EXPECT_TRUE(ofType(scheduler::Call::ACCEPT).empty());
  EXPECT_EQ(framework_.stats().offers_declined, 4);
  EXPECT_EQ(framework_.waiting(), 10);
}

}  // namespace
}  // namespace plateau::sim
