// Sharing a cluster through real master, agents and frameworks: roles and multi-role
// frameworks, reservations (static, dynamic, operator), persistent volumes across an agent
// restart, quota, offer timeout, and `plateau explain` / GET /master/explain.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/resources.h"
#include "common/resources_proto.h"
#include "common/task_state.h"
#include "harness.h"

namespace plateau::testing {
namespace {

v1::FrameworkInfo frameworkInfo(const std::string& name, std::vector<std::string> roles,
                                const std::string& principal = "") {
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name(name);
  info.set_checkpoint(true);
  info.set_failover_timeout(3600);
  if (!principal.empty()) {
    info.set_principal(principal);
  }
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT);
  for (const auto& role : roles) {
    info.add_roles(role);
  }
  return info;
}

Resources offered(const v1::Offer& offer) {
  auto r = resourcesFromProto(offer.resources());
  EXPECT_TRUE(r.has_value()) << offer.DebugString();
  return r.value_or(Resources());
}

http::Response operatorCall(Cluster& cluster, const std::string& body) {
  auto r = http::fetchSync(
      cluster.master(),
      {.method = "POST",
       .path = "/api/v1",
       .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
       .body = body},
      10s);
  EXPECT_TRUE(r.has_value());
  return r.value_or(http::Response{});
}

json::Value getJson(Cluster& cluster, const std::string& path) {
  auto doc = json::parse(cluster.get(path));
  EXPECT_TRUE(doc.has_value()) << path;
  return doc.value_or(json::Value());
}

void decline(Scheduler& s, const v1::Offer& offer, double refuse_seconds) {
  scheduler::Call call;
  call.set_type(scheduler::Call::DECLINE);
  *call.mutable_decline()->add_offer_ids() = offer.id();
  call.mutable_decline()->mutable_filters()->set_refuse_seconds(refuse_seconds);
  EXPECT_EQ(s.call(call), 202);
}

// Offers until one satisfies `wanted` (others declined briefly); nullopt after `timeout`.
std::optional<v1::Offer> offerWith(Scheduler& s,
                                   const std::function<bool(const v1::Offer&)>& wanted,
                                   std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto event = s.next(scheduler::Event::OFFERS, 500ms);
    if (!event) {
      continue;
    }
    std::optional<v1::Offer> found;
    for (const auto& offer : event->offers().offers()) {
      if (!found && wanted(offer)) {
        found = offer;
      } else {
        decline(s, offer, 0.1);
      }
    }
    if (found) {
      return found;
    }
  }
  return std::nullopt;
}

v1::Offer::Operation reserveOp(const Resources& resources) {
  v1::Offer::Operation op;
  op.set_type(v1::Offer::Operation::RESERVE);
  resourcesToProto(resources, op.mutable_reserve()->mutable_resources(), "", ResourceFormat::kPost);
  return op;
}

Resource dynamicallyReserved(Resource r, const std::string& role, const std::string& principal) {
  Reservation reservation;
  reservation.type = Reservation::Type::kDynamic;
  reservation.role = role;
  reservation.principal = principal;
  r.pushReservation(reservation);
  return r;
}

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

TEST(RolesEndToEnd, DynamicReservationAndVolumeKeepDataAcrossAnAgentRestart) {
  Cluster cluster;
  size_t agent = cluster.addAgent("cpus:2;mem:512;disk:256");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("store", {"eng"}, "alice")));
  auto offer = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  const v1::Offer o = offer->offers().offers(0);

  Resources reserved{dynamicallyReserved(Resource::makeScalar("cpus", 0.5), "eng", "alice"),
                     dynamicallyReserved(Resource::makeScalar("mem", 64), "eng", "alice"),
                     dynamicallyReserved(Resource::makeScalar("disk", 32), "eng", "alice")};
  Resource volume = dynamicallyReserved(Resource::makeScalar("disk", 32), "eng", "alice");
  volume.disk.persistence_id = "vol1";
  volume.disk.has_volume = true;
  volume.disk.container_path = "data";
  Resources task_resources{dynamicallyReserved(Resource::makeScalar("cpus", 0.5), "eng", "alice"),
                           dynamicallyReserved(Resource::makeScalar("mem", 64), "eng", "alice"),
                           volume};

  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = o.id();
  *accept.mutable_accept()->add_operations() = reserveOp(reserved);
  auto* create = accept.mutable_accept()->add_operations();
  create->set_type(v1::Offer::Operation::CREATE);
  resourceToProto(volume, create->mutable_create()->add_volumes(), "", ResourceFormat::kPost);
  auto* launch = accept.mutable_accept()->add_operations();
  launch->set_type(v1::Offer::Operation::LAUNCH);
  auto* task = launch->mutable_launch()->add_task_infos();
  task->set_name("writer");
  task->mutable_task_id()->set_value("writer");
  *task->mutable_agent_id() = o.agent_id();
  resourcesToProto(task_resources, task->mutable_resources(), "eng", ResourceFormat::kPost);
  task->mutable_command()->set_value("echo kept-across-restarts > data/file");
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  std::optional<v1::TaskStatus> update;
  do {
    update = s.nextUpdate(30s);
  } while (update && !isTerminal(update->state()));
  ASSERT_TRUE(update.has_value());
  ASSERT_EQ(update->state(), v1::TASK_FINISHED) << update->message();

  const std::string volume_dir =
      fmt::format("{}/agent{}/volumes/roles/eng/vol1", cluster.dir(), agent);
  EXPECT_TRUE(std::filesystem::exists(volume_dir + "/file"));
  auto state = getJson(cluster, "/master/state");
  // The reserved disk became the volume: 32 reserved for "eng", shown as disk.
  EXPECT_EQ(state["slaves"][0]["reserved_resources"]["eng"]["disk"].asDouble(), 32);
  EXPECT_EQ(state["slaves"][0]["reserved_resources"]["eng"]["cpus"].asDouble(), 0.5);
  // The agent's own /state agrees.
  auto agent_state =
      http::fetchSync(cluster.agentEndpoint(agent), {.method = "GET", .path = "/state"}, 5s);
  ASSERT_TRUE(agent_state.has_value());
  auto agent_doc = json::parse(agent_state->body);
  ASSERT_TRUE(agent_doc.has_value());
  EXPECT_EQ((*agent_doc)["reserved_resources"]["eng"]["cpus"].asDouble(), 0.5);
  EXPECT_EQ((*agent_doc)["unreserved_resources"]["cpus"].asDouble(), 1.5);

  cluster.restartAgent(agent, SIGKILL);
  // Offers made before the restart were rescinded when the agent went away.
  std::set<std::string> rescinded;
  while (auto r = s.next(scheduler::Event::RESCIND, 500ms)) {
    rescinded.insert(r->rescind().offer_id().value());
  }
  // After the restart the agent reports the checkpointed reservation and volume, and they are
  // offered again to "eng".
  auto again = offerWith(
      s,
      [&](const v1::Offer& offer) {
        return !rescinded.contains(offer.id().value()) &&
               !offered(offer).persistentVolumes().empty();
      },
      30s);
  ASSERT_TRUE(again.has_value());
  Resources offered_again = offered(*again);
  EXPECT_TRUE(offered_again.contains(volume)) << offered_again.toString();

  scheduler::Call read;
  read.set_type(scheduler::Call::ACCEPT);
  *read.mutable_accept()->add_offer_ids() = again->id();
  auto* relaunch = read.mutable_accept()->add_operations();
  relaunch->set_type(v1::Offer::Operation::LAUNCH);
  auto* reader = relaunch->mutable_launch()->add_task_infos();
  reader->set_name("reader");
  reader->mutable_task_id()->set_value("reader");
  *reader->mutable_agent_id() = again->agent_id();
  resourcesToProto(task_resources, reader->mutable_resources(), "eng", ResourceFormat::kPost);
  reader->mutable_command()->set_value("grep -q kept-across-restarts data/file");
  ASSERT_EQ(s.call(read), 202) << s.lastResponse().body;
  do {
    update = s.nextUpdate(30s);
  } while (update && !isTerminal(update->state()));
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->state(), v1::TASK_FINISHED) << update->message();

  // DESTROY then UNRESERVE give the disk back; the volume directory goes away.
  auto last = offerWith(
      s, [](const v1::Offer& offer) { return !offered(offer).persistentVolumes().empty(); }, 30s);
  ASSERT_TRUE(last.has_value());
  scheduler::Call destroy;
  destroy.set_type(scheduler::Call::ACCEPT);
  *destroy.mutable_accept()->add_offer_ids() = last->id();
  auto* d = destroy.mutable_accept()->add_operations();
  d->set_type(v1::Offer::Operation::DESTROY);
  resourceToProto(volume, d->mutable_destroy()->add_volumes(), "", ResourceFormat::kPost);
  auto* u = destroy.mutable_accept()->add_operations();
  u->set_type(v1::Offer::Operation::UNRESERVE);
  resourcesToProto(reserved, u->mutable_unreserve()->mutable_resources(), "",
                   ResourceFormat::kPost);
  ASSERT_EQ(s.call(destroy), 202);
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(volume_dir); }));
  EXPECT_TRUE(eventually([&] {
    auto st = getJson(cluster, "/master/state");
    return st["slaves"][0]["reserved_resources"].size() == 0;
  }));
}

TEST(RolesEndToEnd, OperatorReservesAndUnreservesUnallocatedResources) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  auto state = getJson(cluster, "/master/state");
  const std::string agent_id = state["slaves"][0]["id"].asString();
  // A framework of another role holds an offer: the master rescinds it to reserve.
  Scheduler other(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(other.subscribe(frameworkInfo("other", {"ops"})));
  ASSERT_TRUE(other.next(scheduler::Event::OFFERS).has_value());

  const std::string reserve = fmt::format(R"({{"type":"RESERVE_RESOURCES","reserve_resources":{{
      "agent_id":{{"value":"{}"}},
      "resources":[{{"name":"cpus","type":"SCALAR","scalar":{{"value":1}},
                     "reservations":[{{"type":"DYNAMIC","role":"eng","principal":"op"}}]}}]}}}})",
                                          agent_id);
  auto r = operatorCall(cluster, reserve);
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_TRUE(other.next(scheduler::Event::RESCIND).has_value());
  state = getJson(cluster, "/master/state");
  EXPECT_EQ(state["slaves"][0]["reserved_resources"]["eng"]["cpus"].asDouble(), 1);
  EXPECT_EQ(
      state["slaves"][0]["reserved_resources_full"]["eng"][0]["reservations"][0]["type"].asString(),
      "DYNAMIC");
  // "ops" never sees the reserved cpu.
  for (int i = 0; i < 5; ++i) {
    auto offer = other.next(scheduler::Event::OFFERS, 1s);
    if (offer) {
      EXPECT_EQ(offered(offer->offers().offers(0)).reserved().size(), 0u);
      decline(other, offer->offers().offers(0), 0.1);
    }
  }
  // More than is there: 409.
  auto too_much = reserve;
  too_much.replace(too_much.find("\"value\":1}"), 10, "\"value\":9}");
  EXPECT_EQ(operatorCall(cluster, too_much).status, 409);

  // The operator can also make a persistent volume on reserved disk, and destroy it.
  const std::string disk = R"({"name":"disk","type":"SCALAR","scalar":{"value":10},
      "reservations":[{"type":"DYNAMIC","role":"eng","principal":"op"}])";
  const std::string volume =
      disk.substr(0, disk.size()) +
      R"(,"disk":{"persistence":{"id":"opvol"},"volume":{"container_path":"data","mode":"RW"}}})";
  EXPECT_EQ(operatorCall(cluster, fmt::format(R"({{"type":"RESERVE_RESOURCES","reserve_resources":{{
      "agent_id":{{"value":"{}"}},"resources":[{}}}]}}}})",
                                              agent_id, disk))
                .status,
            202);
  auto created = operatorCall(cluster, fmt::format(R"({{"type":"CREATE_VOLUMES","create_volumes":{{
      "agent_id":{{"value":"{}"}},"volumes":[{}]}}}})",
                                                   agent_id, volume));
  EXPECT_EQ(created.status, 202) << created.body;
  const std::string volume_dir = cluster.dir() + "/agent0/volumes/roles/eng/opvol";
  EXPECT_TRUE(eventually([&] { return std::filesystem::exists(volume_dir); }));
  // The same id twice: 409.
  EXPECT_EQ(operatorCall(cluster, fmt::format(R"({{"type":"CREATE_VOLUMES","create_volumes":{{
      "agent_id":{{"value":"{}"}},"volumes":[{}]}}}})",
                                              agent_id, volume))
                .status,
            409);
  auto destroyed =
      operatorCall(cluster, fmt::format(R"({{"type":"DESTROY_VOLUMES","destroy_volumes":{{
      "agent_id":{{"value":"{}"}},"volumes":[{}]}}}})",
                                        agent_id, volume));
  EXPECT_EQ(destroyed.status, 202) << destroyed.body;
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(volume_dir); }));
  EXPECT_EQ(
      operatorCall(cluster, fmt::format(R"({{"type":"UNRESERVE_RESOURCES","unreserve_resources":{{
      "agent_id":{{"value":"{}"}},"resources":[{}}}]}}}})",
                                        agent_id, disk))
          .status,
      202);

  const std::string unreserve =
      fmt::format(R"({{"type":"UNRESERVE_RESOURCES","unreserve_resources":{{
      "agent_id":{{"value":"{}"}},
      "resources":[{{"name":"cpus","type":"SCALAR","scalar":{{"value":1}},
                     "reservations":[{{"type":"DYNAMIC","role":"eng","principal":"op"}}]}}]}}}})",
                  agent_id);
  r = operatorCall(cluster, unreserve);
  EXPECT_EQ(r.status, 202) << r.body;
  state = getJson(cluster, "/master/state");
  EXPECT_EQ(state["slaves"][0]["reserved_resources"].size(), 0u);
  EXPECT_EQ(state["slaves"][0]["unreserved_resources"]["cpus"].asDouble(), 2);
}

TEST(RolesEndToEnd, QuotaIsValidatedPersistedAndLimitsTheRole) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");
  // Guarantee above limit: refused.
  auto bad = operatorCall(cluster, R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[
      {"role":"lim","guarantees":{"cpus":{"value":2}},"limits":{"cpus":{"value":1}}}]}})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  // A zero limit is a limit: accepted, kept, and shown as 0.
  auto zero = operatorCall(cluster, R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[
      {"role":"none","limits":{"cpus":{"value":0}}}]}})");
  EXPECT_EQ(zero.status, 200) << zero.body;
  auto quota = operatorCall(cluster, R"({"type":"GET_QUOTA"})");
  ASSERT_EQ(quota.status, 200) << quota.body;
  EXPECT_NE(quota.body.find(R"("none")"), std::string::npos) << quota.body;
  auto lifted = operatorCall(cluster, R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[
      {"role":"none"}]}})");
  EXPECT_EQ(lifted.status, 200) << lifted.body;
  // Guarantee above the cluster: refused without force.
  auto big = operatorCall(cluster, R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[
      {"role":"lim","guarantees":{"cpus":{"value":40}}}]}})");
  EXPECT_EQ(big.status, 400) << big.body;
  auto ok = operatorCall(cluster, R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[
      {"role":"lim","guarantees":{"cpus":{"value":0.5}},"limits":{"cpus":{"value":1},"mem":{"value":512}}}]}})");
  ASSERT_EQ(ok.status, 200) << ok.body;

  // A framework of the limited role that takes everything it is offered never holds more than
  // the limit.
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("greedy", {"lim"})));
  auto role_cpus = [&] {
    const json::Value doc = getJson(cluster, "/master/roles");
    for (const auto& role : doc["roles"].asArray()) {
      if (role["name"].asString() == "lim") {
        return role["resources"]["cpus"].asDouble();
      }
    }
    return 0.0;
  };
  int launched = 0;
  auto until = std::chrono::steady_clock::now() + 4s;
  while (std::chrono::steady_clock::now() < until) {
    auto event = s.next(scheduler::Event::OFFERS, 200ms);
    if (!event) continue;
    // Offered plus used, as /master/roles counts it, never exceeds the limit.
    EXPECT_LE(role_cpus(), 1.0);
    for (const auto& offer : event->offers().offers()) {
      Resources got = offered(offer);
      EXPECT_LE(got.scalar("cpus"), 1.0) << got.toString();
      if (got.scalar("cpus") >= 0.25 && got.scalar("mem") >= 32) {
        scheduler::Call accept;
        accept.set_type(scheduler::Call::ACCEPT);
        *accept.mutable_accept()->add_offer_ids() = offer.id();
        accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0.1);
        auto* op = accept.mutable_accept()->add_operations();
        op->set_type(v1::Offer::Operation::LAUNCH);
        auto* task = op->mutable_launch()->add_task_infos();
        task->set_name("t");
        task->mutable_task_id()->set_value(fmt::format("t{}", launched++));
        *task->mutable_agent_id() = offer.agent_id();
        *task->mutable_resources() = resources("cpus:0.25;mem:32");
        task->mutable_command()->set_value("sleep 1000");
        EXPECT_EQ(s.call(accept), 202);
      } else {
        decline(s, offer, 0.1);
      }
    }
  }
  EXPECT_LE(role_cpus(), 1.0);
  EXPECT_GE(launched, 1);
  EXPECT_LE(launched, 4);

  // GET_QUOTA, the legacy endpoint and /master/roles show it; it survives a master restart.
  auto check = [&] {
    auto r = operatorCall(cluster, R"({"type":"GET_QUOTA"})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto doc = json::parse(r.body);
    ASSERT_TRUE(doc.has_value());
    const auto& status = (*doc)["get_quota"]["status"];
    ASSERT_EQ(status["configs"].size(), 1u) << r.body;
    EXPECT_EQ(status["configs"][0]["role"].asString(), "lim");
    EXPECT_EQ(status["configs"][0]["limits"]["cpus"]["value"].asDouble(), 1);
    EXPECT_EQ(status["infos"][0]["role"].asString(), "lim");
    auto legacy = getJson(cluster, "/master/quota");
    EXPECT_EQ(legacy["configs"][0]["guarantees"]["cpus"]["value"].asDouble(), 0.5);
  };
  check();
  auto roles = getJson(cluster, "/master/roles");
  bool found = false;
  for (const auto& role : roles["roles"].asArray()) {
    if (role["name"].asString() == "lim") {
      found = true;
      EXPECT_EQ(role["quota"]["limit"]["cpus"].asDouble(), 1);
    }
  }
  EXPECT_TRUE(found);
  cluster.restartMaster();
  check();

  // Removing: an empty config.
  auto removed = operatorCall(cluster, R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[
      {"role":"lim"}]}})");
  EXPECT_EQ(removed.status, 200);
  EXPECT_EQ(getJson(cluster, "/master/quota")["configs"].size(), 0u);
}

TEST(RolesEndToEnd, LegacyQuotaEndpointSetsAndRemoves) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");
  auto post = http::fetchSync(cluster.master(),
                              {.method = "POST",
                               .path = "/master/quota",
                               .headers = {{"content-type", "application/json"}},
                               .body = R"({"role":"dev","guarantee":[
                                   {"name":"cpus","type":"SCALAR","scalar":{"value":1}}]})"},
                              10s);
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 200) << post->body;
  auto doc = getJson(cluster, "/master/quota");
  EXPECT_EQ(doc["configs"][0]["limits"]["cpus"]["value"].asDouble(), 1);
  auto del =
      http::fetchSync(cluster.master(), {.method = "DELETE", .path = "/master/quota/dev"}, 10s);
  ASSERT_TRUE(del.has_value());
  EXPECT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(getJson(cluster, "/master/quota")["configs"].size(), 0u);
}

std::string explainCode(Cluster& cluster, const std::string& query) {
  auto doc = getJson(cluster, "/master/explain?" + query);
  return doc["explanations"][0]["code"].asString();
}

TEST(RolesEndToEnd, ExplainNamesWhyAFrameworkGetsNoOffers) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("x", {"x"})));
  auto offer = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  const std::string fw = "framework_id=" + s.frameworkId();
  EXPECT_EQ(explainCode(cluster, fw), "RECEIVING");

  // Filtered: declined for a long time.
  decline(s, offer->offers().offers(0), 3600);
  EXPECT_TRUE(eventually([&] { return explainCode(cluster, fw) == "FILTERED"; }));

  // Suppressed.
  scheduler::Call suppress;
  suppress.set_type(scheduler::Call::SUPPRESS);
  EXPECT_EQ(s.call(suppress), 202);
  EXPECT_TRUE(eventually([&] { return explainCode(cluster, fw) == "SUPPRESSED"; }));
  scheduler::Call revive;
  revive.set_type(scheduler::Call::REVIVE);
  EXPECT_EQ(s.call(revive), 202);
  ASSERT_TRUE(s.next(scheduler::Event::OFFERS).has_value());

  // A role nobody uses.
  EXPECT_EQ(explainCode(cluster, "role=nobody"), "NO_FRAMEWORKS");
  // Unknown framework: 404.
  auto r = http::fetchSync(cluster.master(),
                           {.method = "GET", .path = "/master/explain?framework_id=nope"}, 10s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
}

TEST(RolesEndToEnd, ExplainQuotaLimitAndNoFit) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  // Quota limit reached: a role limited to 1 cpu that holds 1 cpu.
  ASSERT_EQ(operatorCall(cluster, R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[
      {"role":"capped","limits":{"cpus":{"value":1},"mem":{"value":64}}}]}})")
                .status,
            200);
  Scheduler capped(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(capped.subscribe(frameworkInfo("capped", {"capped"})));
  auto offer = capped.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  capped.launch(offer->offers().offers(0), "busy", "sleep 1000", "cpus:1;mem:64");
  EXPECT_TRUE(eventually(
      [&] { return explainCode(cluster, "framework_id=" + capped.frameworkId()) == "QUOTA_LIMIT"; },
      10s));

  // No fit: a framework whose minimum offer is larger than anything free.
  Scheduler big(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info = frameworkInfo("big", {"big"});
  auto& filters = (*info.mutable_offer_filters())["big"];
  (*filters.mutable_min_allocatable_resources()->add_quantities()->mutable_quantities())["cpus"]
      .set_value(16);
  ASSERT_TRUE(big.subscribe(info));
  EXPECT_TRUE(eventually(
      [&] { return explainCode(cluster, "framework_id=" + big.frameworkId()) == "NO_FIT"; }, 10s));
  // `plateau explain` prints the same code.
  std::string out_path = cluster.dir() + "/explain.out";
  std::string command =
      fmt::format("{}/plateau explain {} --master=127.0.0.1:{} > {}", PLATEAU_BIN_DIR,
                  big.frameworkId(), cluster.master().port, out_path);
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(out_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("NO_FIT"), std::string::npos) << text;
}

TEST(RolesEndToEnd, DestroyIsRefusedWhileATaskUsesTheVolume) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512;disk:256");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("store", {"eng"}, "alice")));
  auto offer = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  const v1::Offer o = offer->offers().offers(0);
  Resource volume = dynamicallyReserved(Resource::makeScalar("disk", 16), "eng", "alice");
  volume.disk.persistence_id = "busy";
  volume.disk.has_volume = true;
  volume.disk.container_path = "vol";
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = o.id();
  *accept.mutable_accept()->add_operations() =
      reserveOp(Resources{dynamicallyReserved(Resource::makeScalar("disk", 16), "eng", "alice")});
  auto* create = accept.mutable_accept()->add_operations();
  create->set_type(v1::Offer::Operation::CREATE);
  resourceToProto(volume, create->mutable_create()->add_volumes(), "", ResourceFormat::kPost);
  auto* launch = accept.mutable_accept()->add_operations();
  launch->set_type(v1::Offer::Operation::LAUNCH);
  auto* task = launch->mutable_launch()->add_task_infos();
  task->set_name("user");
  task->mutable_task_id()->set_value("user");
  *task->mutable_agent_id() = o.agent_id();
  Resources uses = Resources::parse("cpus:0.1;mem:32").value();
  uses += volume;
  resourcesToProto(uses, task->mutable_resources(), "eng", ResourceFormat::kPost);
  task->mutable_command()->set_value("test -d vol && sleep 1000");
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  auto running = s.nextUpdate(30s);
  ASSERT_TRUE(running.has_value());
  ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();

  auto next = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(next.has_value());
  scheduler::Call destroy;
  destroy.set_type(scheduler::Call::ACCEPT);
  *destroy.mutable_accept()->add_offer_ids() = next->offers().offers(0).id();
  auto* d = destroy.mutable_accept()->add_operations();
  d->set_type(v1::Offer::Operation::DESTROY);
  d->mutable_id()->set_value("destroy-busy");
  resourceToProto(volume, d->mutable_destroy()->add_volumes(), "", ResourceFormat::kPost);
  ASSERT_EQ(s.call(destroy), 202);
  auto status = s.next(scheduler::Event::UPDATE_OPERATION_STATUS);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->update_operation_status().status().state(), v1::OPERATION_ERROR);
  EXPECT_NE(status->update_operation_status().status().message().find("in use"), std::string::npos)
      << status->update_operation_status().status().message();
  EXPECT_TRUE(
      std::filesystem::exists(fmt::format("{}/agent0/volumes/roles/eng/busy", cluster.dir())));
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

TEST(RolesEndToEnd, ReservationMadeWhileTheAgentIsAwayReachesItAndSurvivesAMasterRestart) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  const std::string agent_id = getJson(cluster, "/master/state")["slaves"][0]["id"].asString();
  // The agent knows its id (and comes back under it) once it has checkpointed it.
  ASSERT_TRUE(
      eventually([&] { return std::filesystem::exists(cluster.dir() + "/agent0/meta/agent_id"); }));
  cluster.agent(0).kill(SIGKILL);
  cluster.agent(0).wait();
  ASSERT_TRUE(eventually(
      [&] { return !getJson(cluster, "/master/state")["slaves"][0]["active"].asBool(); }));
  auto r = operatorCall(cluster, fmt::format(R"({{"type":"RESERVE_RESOURCES","reserve_resources":{{
      "agent_id":{{"value":"{}"}},
      "resources":[{{"name":"cpus","type":"SCALAR","scalar":{{"value":1}},
                     "reservations":[{{"type":"DYNAMIC","role":"eng","principal":"op"}}]}}]}}}})",
                                             agent_id));
  ASSERT_EQ(r.status, 202) << r.body;
  // The agent comes back with its old total and is sent the master's.
  cluster.restartAgent(0);
  const std::string checkpoint = cluster.dir() + "/agent0/meta/resources/resources.info";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(checkpoint); }));
  // A restarted master learns the reservation from the agent's checkpointed total.
  cluster.restartMaster();
  EXPECT_TRUE(eventually([&] {
    auto state = getJson(cluster, "/master/state");
    return state["slaves"].size() == 1 &&
           state["slaves"][0]["reserved_resources"]["eng"]["cpus"].asDouble() == 1;
  }));
  // A framework subscribing with its role suppressed gets no offer; explain says why.
  Scheduler eng(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(eng.subscribe(frameworkInfo("eng", {"eng"}), {"eng"}));
  EXPECT_FALSE(eng.next(scheduler::Event::OFFERS, 1s).has_value());
  EXPECT_EQ(explainCode(cluster, "framework_id=" + eng.frameworkId()), "SUPPRESSED");
  scheduler::Call revive;
  revive.set_type(scheduler::Call::REVIVE);
  revive.mutable_revive()->add_roles("eng");
  EXPECT_EQ(eng.call(revive), 202);
  auto offer = eng.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offered(offer->offers().offers(0)).reservedTo("eng").scalar("cpus"), 1);
}

TEST(RolesEndToEnd, ExplainFairShareWhenFrameworksWithLowerSharesComeFirst) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512;disk:100");
  Scheduler b(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(b.subscribe(frameworkInfo("b", {"b"})));
  auto offer = b.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offer.has_value());
  b.launch(offer->offers().offers(0), "big", "sleep 1000", "cpus:1.5;mem:256;disk:90");
  auto running = b.nextUpdate();
  ASSERT_TRUE(running.has_value());
  ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();
  // c (share 0) is offered what is left and holds it: nothing is free, and c's dominant share
  // (mem, 0.5) stays below b's (disk, 0.9), so b waits behind c.
  Scheduler c(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(c.subscribe(frameworkInfo("c", {"c"})));
  ASSERT_TRUE(c.next(scheduler::Event::OFFERS).has_value());
  EXPECT_TRUE(eventually(
      [&] { return explainCode(cluster, "framework_id=" + b.frameworkId()) == "FAIR_SHARE"; }, 10s))
      << cluster.get("/master/explain?framework_id=" + b.frameworkId());
}

TEST(RolesEndToEnd, ExplainHeadroomAndInactive) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  // Every cpu is guaranteed to role "g": none is offered to others (headroom).
  ASSERT_EQ(operatorCall(cluster, R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[
      {"role":"g","guarantees":{"cpus":{"value":2}}}]}})")
                .status,
            200);
  Scheduler x(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(x.subscribe(frameworkInfo("x", {"x"})));
  const std::string query = "framework_id=" + x.frameworkId();
  EXPECT_TRUE(eventually([&] { return explainCode(cluster, query) == "HEADROOM"; }, 10s))
      << cluster.get("/master/explain?" + query);
  // Disconnected (within its failover timeout): inactive.
  x.close();
  EXPECT_TRUE(eventually([&] { return explainCode(cluster, query) == "INACTIVE"; }, 10s))
      << cluster.get("/master/explain?" + query);
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

TEST(RolesEndToEnd, CliSetsAndShowsQuota) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");
  const std::string master = fmt::format("--master=127.0.0.1:{}", cluster.master().port);
  const std::string bin = std::string(PLATEAU_BIN_DIR) + "/plateau";
  auto run = [&](const std::string& args) {
    std::string out_path = cluster.dir() + "/cli.out";
    int rc = std::system(fmt::format("{} {} {} > {} 2>&1", bin, args, master, out_path).c_str());
    std::ifstream in(out_path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(rc, text);
  };
  auto set = run("quota set dev --guarantee='cpus:1;mem:128' --limit='cpus:2;mem:512'");
  EXPECT_EQ(set.first, 0) << set.second;
  auto table = run("quota get");
  EXPECT_EQ(table.first, 0) << table.second;
  EXPECT_NE(table.second.find("dev"), std::string::npos) << table.second;
  EXPECT_NE(table.second.find("cpus:2;mem:512"), std::string::npos) << table.second;
  auto as_json = run("quota get --json");
  auto doc = json::parse(as_json.second);
  ASSERT_TRUE(doc.has_value()) << as_json.second;
  EXPECT_EQ((*doc)["configs"][0]["guarantees"]["mem"]["value"].asDouble(), 128);
  // A guarantee above the limit is refused by the master, and the CLI says so.
  auto bad = run("quota set dev --guarantee='cpus:3' --limit='cpus:2'");
  EXPECT_NE(bad.first, 0);
  EXPECT_NE(bad.second.find("400"), std::string::npos) << bad.second;
  // A bad flag value names the flag.
  auto bad_flag = run("quota set dev --guarantee='cpus:x'");
  EXPECT_NE(bad_flag.first, 0);
  EXPECT_NE(bad_flag.second.find("--guarantee"), std::string::npos) << bad_flag.second;
  // A zero limit is sent as 0, not dropped (which would remove the quota).
  auto zero = run("quota set dev --limit='cpus:0;mem:256'");
  EXPECT_EQ(zero.first, 0) << zero.second;
  auto zero_doc = getJson(cluster, "/master/quota");
  ASSERT_EQ(zero_doc["configs"].size(), 1u);
  EXPECT_TRUE(zero_doc["configs"][0]["limits"]["cpus"]["value"].isNumber());
  EXPECT_EQ(zero_doc["configs"][0]["limits"]["cpus"]["value"].asDouble(), 0);
  EXPECT_EQ(zero_doc["configs"][0]["limits"]["mem"]["value"].asDouble(), 256);
  auto removed = run("quota set dev");
  EXPECT_EQ(removed.first, 0) << removed.second;
  EXPECT_EQ(getJson(cluster, "/master/quota")["configs"].size(), 0u);
}

}  // namespace
}  // namespace plateau::testing
