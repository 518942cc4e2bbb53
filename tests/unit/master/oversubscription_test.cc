// The master's side of oversubscription in virtual time: an agent's UPDATE_OVERSUBSCRIBED
// reaches REVOCABLE_RESOURCES frameworks only, and a new estimate rescinds the offers holding
// revocable resources.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "fakes/revocable.h"
#include "unit/master/virtual_master.h"

namespace plateau::testing {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  explicit Fixture(VirtualMaster& m) : master(m) {
    m.elect();
    agent = m.registerAgent(VirtualMaster::agentRegistration("host-a", 1, 256));
    for (const auto& e : agent.events()) {
      if (e.type() == internal::AgentEvent::REGISTERED) {
        agent.id = e.registered().agent_id().value();
      }
    }
  }

  SchedulerLink subscribe(bool revocable) {
    SchedulerLink link = master.subscribe(revocableFramework("tester", revocable));
    for (const auto& e : link.events()) {
      if (e.type() == scheduler::Event::SUBSCRIBED) {
        link.id = e.subscribed().framework_id().value();
      } else if (e.type() == scheduler::Event::OFFERS) {
        auto& kept = early[link.id];
        kept.insert(kept.end(), e.offers().offers().begin(), e.offers().offers().end());
      }
    }
    return link;
  }

  // UPDATE_OVERSUBSCRIBED with `cpus` revocable cpus (or, `revocable` false, plain ones).
  int report(double cpus, bool revocable = true) {
    internal::AgentCall call;
    call.set_type(internal::AgentCall::UPDATE_OVERSUBSCRIBED);
    call.mutable_agent_id()->set_value(agent.id);
    auto* r = call.mutable_update_oversubscribed()->add_oversubscribed_resources();
    r->set_name("cpus");
    r->set_type(v1::Value::SCALAR);
    r->mutable_scalar()->set_value(cpus);
    if (revocable) {
      r->mutable_revocable();
    }
    return master.agentCall(call);
  }

  // Advances past an allocation; the offers and rescinded offer ids `link` got meanwhile.
  std::pair<std::vector<v1::Offer>, std::vector<std::string>> next(SchedulerLink& link) {
    master.time.advance(1s);
    std::vector<v1::Offer> offers = std::exchange(early[link.id], {});
    std::vector<std::string> rescinded;
    for (const auto& e : link.events()) {
      if (e.type() == scheduler::Event::OFFERS) {
        offers.insert(offers.end(), e.offers().offers().begin(), e.offers().offers().end());
      } else if (e.type() == scheduler::Event::RESCIND) {
        rescinded.push_back(e.rescind().offer_id().value());
      }
    }
    return {offers, rescinded};
  }

  VirtualMaster& master;
  AgentLink agent;
  std::map<std::string, std::vector<v1::Offer>> early;  // offers that came with SUBSCRIBED
};

TEST(MasterOversubscription, RevocableCpusAreOfferedAndANewEstimateRescindsTheirOffers) {
  VirtualMaster m;
  Fixture f(m);
  SchedulerLink fw = f.subscribe(true);
  auto [first, none] = f.next(fw);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(revocableCpus(first[0]), 0);

  ASSERT_EQ(f.report(4), 202);
  auto [offers, rescinded] = f.next(fw);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(revocableCpus(offers[0]), 4);
  EXPECT_TRUE(rescinded.empty());

  // The estimate shrinks: the offer holding revocable cpus is rescinded (the other stays), and
  // what is left of the estimate is offered again.
  ASSERT_EQ(f.report(2), 202);
  auto [again, gone] = f.next(fw);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], offers[0].id().value());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(revocableCpus(again[0]), 2);

  // The same estimate again changes nothing.
  ASSERT_EQ(f.report(2), 202);
  auto [same, kept] = f.next(fw);
  EXPECT_TRUE(same.empty());
  EXPECT_TRUE(kept.empty());
}

TEST(MasterOversubscription, AFrameworkWithoutTheCapabilityGetsNoRevocableCpus) {
  VirtualMaster m;
  Fixture f(m);
  SchedulerLink plain = f.subscribe(false);
  ASSERT_EQ(f.report(4), 202);
  for (int i = 0; i < 3; ++i) {
    auto [offers, rescinded] = f.next(plain);
    for (const auto& offer : offers) {
      EXPECT_EQ(revocableCpus(offer), 0) << offer.DebugString();
    }
  }
  // A capable framework arriving now gets them.
  SchedulerLink capable = f.subscribe(true);
  auto [offers, rescinded] = f.next(capable);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(revocableCpus(offers[0]), 4);
}

TEST(MasterOversubscription, AnEstimateWithAPlainResourceIsRefused) {
  VirtualMaster m;
  Fixture f(m);
  EXPECT_EQ(f.report(4, false), 400);
}

}  // namespace
}  // namespace plateau::testing
