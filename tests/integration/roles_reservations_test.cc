// Reservations and persistent volumes through real master, agents and frameworks: dynamic
// reservations and volumes that keep their data across an agent restart, operator reservations,
// a destroy refused while a task uses the volume, and a reservation made while the agent is away.

#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/resources.h"
#include "common/resources_proto.h"
#include "common/task_state.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

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

}  // namespace
}  // namespace plateau::testing
