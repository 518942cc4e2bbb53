// Sharing a cluster through real master, agents and frameworks: roles and multi-role frameworks,
// static reservations and sub-roles, allocation roles on tasks, offer timeouts and rescinds, and
// weighted DRF between roles.

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/resources.h"
#include "common/resources_proto.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

TEST(RolesEndToEnd, StaticReservationIsOfferedOnlyToItsRoleAndSubRoles) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512;cpus(eng):1;mem(eng):256");
  Scheduler ops(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(ops.subscribe(frameworkInfo("ops", {"ops"})));
  auto offer = ops.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  Resources seen = offered(offer->offers().offers(0));
  EXPECT_EQ(seen.reserved().size(), 0u) << seen.toString();
  EXPECT_EQ(seen.scalar("cpus"), 2);
  EXPECT_EQ(offer->offers().offers(0).allocation_info().role(), "ops");
  ops.close();

  Scheduler eng(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(eng.subscribe(frameworkInfo("eng", {"eng"})));
  auto with_reserved = offerWith(
      eng, [](const v1::Offer& o) { return offered(o).reservedTo("eng").scalar("cpus") == 1; });
  ASSERT_TRUE(with_reserved.has_value());
  // Offered resources say they are allocated to "eng", and the reservation is static.
  for (const auto& r : with_reserved->resources()) {
    EXPECT_EQ(r.allocation_info().role(), "eng");
    if (r.reservations_size() > 0) {
      EXPECT_EQ(r.reservations(0).type(), v1::Resource::ReservationInfo::STATIC);
    }
  }
  eng.close();

  Scheduler ml(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(ml.subscribe(frameworkInfo("ml", {"eng/ml"})));
  auto sub = offerWith(
      ml, [](const v1::Offer& o) { return offered(o).reservedTo("eng").scalar("cpus") == 1; });
  EXPECT_TRUE(sub.has_value()) << "resources reserved for 'eng' never reached its sub-role";

  // /master/state shows the reservation by role, as Mesos does.
  auto state = getJson(cluster, "/master/state");
  EXPECT_EQ(state["slaves"][0]["reserved_resources"]["eng"]["cpus"].asDouble(), 1);
  EXPECT_EQ(state["slaves"][0]["unreserved_resources"]["cpus"].asDouble(), 2);
}

TEST(RolesEndToEnd, MultiRoleFrameworkGetsOffersForEachRoleAndCanChangeRoles) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256");
  cluster.addAgent("cpus:1;mem:256");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("multi", {"a", "b"})));
  std::set<std::string> roles;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (roles.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto event = s.next(scheduler::Event::OFFERS, 500ms);
    if (!event) continue;
    for (const auto& offer : event->offers().offers()) {
      roles.insert(offer.allocation_info().role());
      for (const auto& r : offer.resources()) {
        EXPECT_EQ(r.allocation_info().role(), offer.allocation_info().role());
      }
      // Hold the first offer of each role so the other agent goes to the other role.
    }
  }
  EXPECT_EQ(roles, (std::set<std::string>{"a", "b"}));

  // GET_FRAMEWORKS shows both roles; /master/roles lists the framework under each.
  auto r = operatorCall(cluster, R"({"type":"GET_FRAMEWORKS"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto frameworks = json::parse(r.body);
  ASSERT_TRUE(frameworks.has_value());
  const auto& info = (*frameworks)["get_frameworks"]["frameworks"][0]["framework_info"];
  EXPECT_EQ(info["roles"].size(), 2u);
  auto roles_json = getJson(cluster, "/master/roles");
  EXPECT_EQ(roles_json["roles"].size(), 2u);

  // UPDATE_FRAMEWORK to role "c" only: old offers are rescinded, new ones are for "c".
  scheduler::Call update;
  update.set_type(scheduler::Call::UPDATE_FRAMEWORK);
  *update.mutable_update_framework()->mutable_framework_info() = frameworkInfo("multi", {"c"});
  update.mutable_update_framework()->mutable_framework_info()->mutable_id()->set_value(
      s.frameworkId());
  EXPECT_EQ(s.call(update), 200) << s.lastResponse().body;
  EXPECT_TRUE(s.next(scheduler::Event::RESCIND).has_value());
  auto c = offerWith(s, [](const v1::Offer& o) { return o.allocation_info().role() == "c"; });
  EXPECT_TRUE(c.has_value());
  auto state = getJson(cluster, "/master/state");
  EXPECT_EQ(state["frameworks"][0]["roles"][0].asString(), "c");

  // Changing the principal is refused, as Mesos does.
  auto bad = update;
  bad.mutable_update_framework()->mutable_framework_info()->set_principal("someone-else");
  EXPECT_EQ(s.call(bad), 400);
  // Suppressed roles must be among the roles.
  auto bad_suppressed = update;
  bad_suppressed.mutable_update_framework()->add_suppressed_roles("zzz");
  EXPECT_EQ(s.call(bad_suppressed), 400);
}

TEST(RolesEndToEnd, TaskResourcesMustCarryTheOffersAllocationRole) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("multi", {"a", "b"})));
  auto offer = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  const v1::Offer& o = offer->offers().offers(0);
  // No allocation_info at all: refused for a MULTI_ROLE framework.
  s.launch(o, "t1", "true", "cpus:0.1;mem:32");
  auto update = s.nextUpdate();
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->state(), v1::TASK_ERROR);
  EXPECT_NE(update->message().find("allocation_info"), std::string::npos) << update->message();
}

TEST(RolesEndToEnd, OfferTimeoutRescindsHeldOffers) {
  Cluster cluster({"--offer_timeout=1secs"});
  cluster.addAgent("cpus:1;mem:256");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("holder", {"a"})));
  auto offer = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  auto rescind = s.next(scheduler::Event::RESCIND, 10s);
  ASSERT_TRUE(rescind.has_value());
  EXPECT_EQ(rescind->rescind().offer_id().value(), offer->offers().offers(0).id().value());
}

TEST(RolesEndToEnd, OffersAreRescindedWhenTheirAgentGoesAway) {
  Cluster cluster({"--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=1"});
  cluster.addAgent("cpus:1;mem:256");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("holder", {"a"})));
  auto offer = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  cluster.agent(0).kill(SIGKILL);
  auto rescind = s.next(scheduler::Event::RESCIND, 20s);
  ASSERT_TRUE(rescind.has_value());
  EXPECT_EQ(rescind->rescind().offer_id().value(), offer->offers().offers(0).id().value());
}

TEST(RolesEndToEnd, SubRoleRefinesAStaticReservationAndSuppressesPerRole) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256;cpus(eng):1;mem(eng):128");
  Scheduler ml(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(ml.subscribe(frameworkInfo("ml", {"eng/ml"}, "bob")));
  auto offer = offerWith(
      ml, [](const v1::Offer& o) { return offered(o).reservedTo("eng").scalar("cpus") == 1; });
  ASSERT_TRUE(offer.has_value());
  // Refine cpus(eng):1 into a dynamic reservation for eng/ml.
  Resource refined = Resource::makeScalar("cpus", 1, "eng");
  refined = dynamicallyReserved(refined, "eng/ml", "bob");
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer->id();
  *accept.mutable_accept()->add_operations() = reserveOp(Resources{refined});
  accept.mutable_accept()->mutable_operations(0)->mutable_id()->set_value("refine");
  // A refinement to a role that is not a sub-role is refused.
  Resource wrong = dynamicallyReserved(Resource::makeScalar("mem", 64, "eng"), "ops", "bob");
  auto* bad = accept.mutable_accept()->add_operations();
  *bad = reserveOp(Resources{wrong});
  bad->mutable_id()->set_value("wrong");
  ASSERT_EQ(ml.call(accept), 202);
  std::map<std::string, v1::OperationState> states;
  for (int i = 0; i < 2; ++i) {
    auto update = ml.next(scheduler::Event::UPDATE_OPERATION_STATUS);
    ASSERT_TRUE(update.has_value());
    const auto& status = update->update_operation_status().status();
    states[status.operation_id().value()] = status.state();
  }
  EXPECT_EQ(states["refine"], v1::OPERATION_FINISHED);
  EXPECT_EQ(states["wrong"], v1::OPERATION_ERROR);
  auto state = getJson(cluster, "/master/state");
  const auto& full = state["slaves"][0]["reserved_resources_full"]["eng/ml"];
  ASSERT_EQ(full.size(), 1u) << cluster.get("/master/state");
  EXPECT_EQ(full[0]["reservations"].size(), 2u);
  EXPECT_EQ(full[0]["reservations"][1]["role"].asString(), "eng/ml");

  // SUPPRESS of one role: no offers for it, and explain says so.
  Scheduler quiet(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info = frameworkInfo("quiet", {"q"});
  ASSERT_TRUE(quiet.subscribe(info));
  scheduler::Call suppress;
  suppress.set_type(scheduler::Call::SUPPRESS);
  suppress.mutable_suppress()->add_roles("q");
  EXPECT_EQ(quiet.call(suppress), 202);
  EXPECT_TRUE(eventually([&] {
    return getJson(cluster,
                   "/master/explain?framework_id=" + quiet.frameworkId())["explanations"][0]["code"]
               .asString() == "SUPPRESSED";
  }));
  // Suppressing a role the framework does not have is refused.
  scheduler::Call unknown;
  unknown.set_type(scheduler::Call::SUPPRESS);
  unknown.mutable_suppress()->add_roles("nope");
  EXPECT_EQ(quiet.call(unknown), 400);
}

// Weighted DRF through the operator API: roles of weights 2 and 1, two greedy frameworks taking
// one cpu per task, converge to 4 and 2 cpus of the agent's 6.
TEST(RolesEndToEnd, WeightsTwoToOneSplitTheClusterTwoToOne) {
  Cluster cluster;
  cluster.addAgent("cpus:6;mem:6144;disk:1024");
  auto set = operatorCall(cluster, R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[
      {"role":"heavy","weight":2},{"role":"light","weight":1}]}})");
  ASSERT_EQ(set.status, 200) << set.body;
  struct Tenant {
    std::string role;
    std::unique_ptr<Scheduler> scheduler;
    int running = 0;
    int launched = 0;
  };
  Tenant tenants[2] = {{"heavy", nullptr}, {"light", nullptr}};
  for (auto& t : tenants) {
    t.scheduler = std::make_unique<Scheduler>(cluster.master(), http::ContentType::kJson);
    ASSERT_TRUE(t.scheduler->subscribe(frameworkInfo(t.role, {t.role})));
  }
  auto step = [&](Tenant& t) {
    if (auto event = t.scheduler->next(scheduler::Event::OFFERS, 30ms)) {
      for (const auto& offer : event->offers().offers()) {
        Resources got = offered(offer);
        scheduler::Call call;
        if (got.scalar("cpus") >= 1 && got.scalar("mem") >= 512) {
          call.set_type(scheduler::Call::ACCEPT);
          *call.mutable_accept()->add_offer_ids() = offer.id();
          // No filter on what is left: the next round gives it by weighted share, not by turns.
          call.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
          auto* op = call.mutable_accept()->add_operations();
          op->set_type(v1::Offer::Operation::LAUNCH);
          auto* task = op->mutable_launch()->add_task_infos();
          task->set_name(t.role);
          task->mutable_task_id()->set_value(fmt::format("{}-{}", t.role, t.launched++));
          *task->mutable_agent_id() = offer.agent_id();
          resourcesToProto(Resources::parse("cpus:1;mem:512").value(), task->mutable_resources(),
                           offer.allocation_info().role(), ResourceFormat::kPost);
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
      }
    }
  };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (tenants[0].running + tenants[1].running < 6 &&
         std::chrono::steady_clock::now() < deadline) {
    step(tenants[0]);
    step(tenants[1]);
  }
  EXPECT_EQ(tenants[0].running, 4);
  EXPECT_EQ(tenants[1].running, 2);
}

}  // namespace
}  // namespace plateau::testing
