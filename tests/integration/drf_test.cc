// The DRF table of docs/drf.md (the seed's example, corrected) with two real frameworks on
// one real agent of the cluster's size.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/resources.h"
#include "common/resources_proto.h"
#include "harness.h"

namespace plateau::testing {
namespace {

struct Tenant {
  std::string name;
  std::string task_resources;
  std::unique_ptr<Scheduler> scheduler;
  int running = 0;
  int launched = 0;
};

// Takes at most one task per offer; declines what it cannot use with a short filter.
void step(Tenant& t) {
  if (auto offers = t.scheduler->next(scheduler::Event::OFFERS, 30ms)) {
    auto wanted = Resources::parse(t.task_resources);
    for (const auto& offer : offers->offers().offers()) {
      auto have = resourcesFromProto(offer.resources());
      scheduler::Call call;
      if (have && have->contains(*wanted)) {
        call.set_type(scheduler::Call::ACCEPT);
        *call.mutable_accept()->add_offer_ids() = offer.id();
        call.mutable_accept()->mutable_filters()->set_refuse_seconds(0.2);
        auto* op = call.mutable_accept()->add_operations();
        op->set_type(v1::Offer::Operation::LAUNCH);
        auto* task = op->mutable_launch()->add_task_infos();
        task->set_name(t.name);
        task->mutable_task_id()->set_value(fmt::format("{}-{}", t.name, t.launched++));
        *task->mutable_agent_id() = offer.agent_id();
        *task->mutable_resources() = resources(t.task_resources);
        task->mutable_command()->set_value("sleep 1000");
      } else {
        call.set_type(scheduler::Call::DECLINE);
        *call.mutable_decline()->add_offer_ids() = offer.id();
        call.mutable_decline()->mutable_filters()->set_refuse_seconds(0.2);
      }
      EXPECT_EQ(t.scheduler->call(call), 202);
    }
  }
  while (auto update = t.scheduler->nextUpdate(std::chrono::milliseconds(1))) {
    if (update->state() == v1::TASK_RUNNING) {
      t.running++;
    } else {
      ADD_FAILURE() << t.name << ": unexpected " << update->DebugString();
    }
  }
}

TEST(DrfEndToEnd, SeedExampleConvergesToTheCorrectedTable) {
  Cluster cluster;
  cluster.addAgent("cpus:10;mem:10240;disk:1024");
  Tenant f1{"framework1", "cpus:1;mem:4096"};
  Tenant f2{"framework2", "cpus:3;mem:1024"};
  for (Tenant* t : {&f1, &f2}) {
    t->scheduler = std::make_unique<Scheduler>(cluster.master(), http::ContentType::kJson);
    v1::FrameworkInfo info;
    info.set_user("u");
    info.set_name(t->name);
    ASSERT_TRUE(t->scheduler->subscribe(info));
  }
  auto converged = [&] { return f1.running == 2 && f2.running == 2; };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!converged() && std::chrono::steady_clock::now() < deadline) {
    step(f1);
    step(f2);
  }
  ASSERT_TRUE(converged()) << "framework1 " << f1.running << ", framework2 " << f2.running;
  // Memory is full: for the next two seconds of offers and declines, nobody gets more.
  auto watch_until = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < watch_until) {
    step(f1);
    step(f2);
  }
  EXPECT_EQ(f1.running, 2);  // 2 CPU, 8 GB: dominant share 0.8 (memory)
  EXPECT_EQ(f2.running, 2);  // 6 CPU, 2 GB: dominant share 0.6 (CPU)
  EXPECT_EQ(f1.launched, 2);
  EXPECT_EQ(f2.launched, 2);
}

}  // namespace
}  // namespace plateau::testing
