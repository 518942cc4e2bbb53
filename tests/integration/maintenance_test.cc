// Maintenance: schedules, machine modes, inverse offers and the legacy endpoints, against
// real processes. Agents run on 127.0.0.1 with --hostname, so a machine is
// {"hostname": "<name>", "ip": "127.0.0.1"}.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/master/master.pb.h>

#include "api_call.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace operator_api = mesos::v1::master;

using Answer = ApiAnswer<operator_api::Response>;

Answer callMaster(const http::Endpoint& master, const operator_api::Call& call,
                  http::ContentType content) {
  return callApi<operator_api::Response>(master, call, content);
}

http::Response post(const http::Endpoint& master, const std::string& path,
                    const std::string& body) {
  auto r = http::fetchSync(master,
                           {.method = "POST",
                            .path = path,
                            .headers = {{"content-type", "application/json"}},
                            .body = body},
                           10s);
  EXPECT_TRUE(r) << path;
  return r ? *r : http::Response{};
}

v1::MachineID machine(const std::string& hostname, const std::string& ip = "127.0.0.1") {
  v1::MachineID id;
  id.set_hostname(hostname);
  if (!ip.empty()) id.set_ip(ip);
  return id;
}

operator_api::Call scheduleCall(const std::vector<v1::MachineID>& machines, int64_t start_ns,
                                int64_t duration_ns) {
  operator_api::Call call;
  call.set_type(operator_api::Call::UPDATE_MAINTENANCE_SCHEDULE);
  auto* window = call.mutable_update_maintenance_schedule()->mutable_schedule()->add_windows();
  for (const auto& m : machines) *window->add_machine_ids() = m;
  window->mutable_unavailability()->mutable_start()->set_nanoseconds(start_ns);
  window->mutable_unavailability()->mutable_duration()->set_nanoseconds(duration_ns);
  return call;
}

operator_api::Call machinesCall(operator_api::Call::Type type,
                                const std::vector<v1::MachineID>& machines) {
  operator_api::Call call;
  call.set_type(type);
  auto* list = type == operator_api::Call::START_MAINTENANCE
                   ? call.mutable_start_maintenance()->mutable_machines()
                   : call.mutable_stop_maintenance()->mutable_machines();
  for (const auto& m : machines) *list->Add() = m;
  return call;
}

operator_api::Call callOf(operator_api::Call::Type type) {
  return callOfType<operator_api::Call>(type);
}

class Maintenance : public ::testing::TestWithParam<http::ContentType> {};

INSTANTIATE_TEST_SUITE_P(Content, Maintenance,
                         ::testing::Values(http::ContentType::kJson, http::ContentType::kProtobuf),
                         [](const auto& info) {
                           return info.param == http::ContentType::kJson ? "Json" : "Protobuf";
                         });

TEST_P(Maintenance, ScheduleInverseOffersDownAndUp) {
  const auto content = GetParam();
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:256", {"--hostname=maint-a"});
  cluster.addAgent("cpus:2;mem:256", {"--hostname=maint-b"});
  const auto master = cluster.master();

  Scheduler s(master, content);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("drained");
  ASSERT_TRUE(s.subscribe(info));
  // A task on maint-a, so the framework has something on the machine to drain.
  std::string agent_a;
  std::optional<scheduler::Event> offers;
  ASSERT_TRUE(eventually([&] {
    offers = s.next(scheduler::Event::OFFERS, 2s);
    if (!offers) return false;
    for (const auto& offer : offers->offers().offers()) {
      if (offer.hostname() == "maint-a" && agent_a.empty()) {
        agent_a = offer.agent_id().value();
        s.launch(offer, "on-a", "sleep 1000", "cpus:0.5;mem:32");
      }
    }
    s.declineAll(*offers, 0.1);
    return !agent_a.empty();
  }));
  auto running = s.nextUpdate();
  ASSERT_TRUE(running && running->state() == v1::TASK_RUNNING);

  auto empty = callMaster(master, callOf(operator_api::Call::GET_MAINTENANCE_SCHEDULE), content);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.response.type(), operator_api::Response::GET_MAINTENANCE_SCHEDULE);
  EXPECT_EQ(empty.response.get_maintenance_schedule().schedule().windows_size(), 0);

  // Invalid schedules and transitions are 400s with a reason.
  EXPECT_EQ(callMaster(master, scheduleCall({}, 0, 1), content).status, 400);
  EXPECT_EQ(callMaster(master, scheduleCall({machine("", "")}, 0, 1), content).status, 400);
  EXPECT_EQ(callMaster(master, scheduleCall({machine("x", "not-an-ip")}, 0, 1), content).status,
            400);
  EXPECT_EQ(callMaster(master, scheduleCall({machine("x"), machine("x")}, 0, 1), content).status,
            400);
  EXPECT_EQ(callMaster(master, scheduleCall({machine("x")}, 0, -1), content).status, 400);
  auto unscheduled = callMaster(
      master, machinesCall(operator_api::Call::START_MAINTENANCE, {machine("maint-a")}), content);
  EXPECT_EQ(unscheduled.status, 400);
  EXPECT_NE(unscheduled.body.find("not part of a maintenance schedule"), std::string::npos);

  const int64_t start = 1'000'000'000'000'000'000;  // far ahead: still DRAINING
  const int64_t hour = 3'600'000'000'000;
  // A first window, then a changed one: the first inverse offer is rescinded.
  auto first = callMaster(master, scheduleCall({machine("maint-a")}, start, 2 * hour), content);
  ASSERT_EQ(first.status, 200) << first.body;
  auto first_inverse = s.next(scheduler::Event::INVERSE_OFFERS);
  ASSERT_TRUE(first_inverse);
  EXPECT_EQ(
      first_inverse->inverse_offers().inverse_offers(0).unavailability().duration().nanoseconds(),
      2 * hour);
  auto scheduled = callMaster(master, scheduleCall({machine("maint-a")}, start, hour), content);
  ASSERT_EQ(scheduled.status, 200) << scheduled.body;
  auto rescinded = s.next(scheduler::Event::RESCIND_INVERSE_OFFER);
  ASSERT_TRUE(rescinded);
  EXPECT_EQ(rescinded->rescind_inverse_offer().inverse_offer_id().value(),
            first_inverse->inverse_offers().inverse_offers(0).id().value());
  auto schedule = callMaster(master, callOf(operator_api::Call::GET_MAINTENANCE_SCHEDULE), content);
  ASSERT_EQ(schedule.response.get_maintenance_schedule().schedule().windows_size(), 1);
  EXPECT_EQ(
      schedule.response.get_maintenance_schedule().schedule().windows(0).machine_ids(0).hostname(),
      "maint-a");

  // The framework with a task there gets one inverse offer for maint-a's agent.
  auto inverse = s.next(scheduler::Event::INVERSE_OFFERS);
  ASSERT_TRUE(inverse);
  ASSERT_EQ(inverse->inverse_offers().inverse_offers_size(), 1);
  const auto& io = inverse->inverse_offers().inverse_offers(0);
  EXPECT_EQ(io.agent_id().value(), agent_a);
  EXPECT_EQ(io.framework_id().value(), s.frameworkId());
  EXPECT_EQ(io.unavailability().start().nanoseconds(), start);
  EXPECT_EQ(io.unavailability().duration().nanoseconds(), hour);

  // Regular offers for the draining agent carry the unavailability.
  ASSERT_TRUE(eventually([&] {
    auto more = s.next(scheduler::Event::OFFERS, 2s);
    if (!more) return false;
    bool seen = false;
    for (const auto& offer : more->offers().offers()) {
      if (offer.agent_id().value() == agent_a) {
        seen = offer.has_unavailability() && offer.unavailability().start().nanoseconds() == start;
      } else {
        EXPECT_FALSE(offer.has_unavailability());
      }
    }
    s.declineAll(*more, 0.1);
    return seen;
  }));

  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT_INVERSE_OFFERS);
  *accept.mutable_accept_inverse_offers()->add_inverse_offer_ids() = io.id();
  ASSERT_EQ(s.call(accept), 202);
  operator_api::Response status;
  ASSERT_TRUE(eventually([&] {
    status =
        callMaster(master, callOf(operator_api::Call::GET_MAINTENANCE_STATUS), content).response;
    const auto& st = status.get_maintenance_status().status();
    return st.draining_machines_size() == 1 && st.draining_machines(0).statuses_size() == 1;
  }));
  const auto& draining = status.get_maintenance_status().status().draining_machines(0);
  EXPECT_EQ(draining.id().hostname(), "maint-a");
  EXPECT_EQ(draining.statuses(0).status(), v1::allocator::InverseOfferStatus::ACCEPT);
  EXPECT_EQ(draining.statuses(0).framework_id().value(), s.frameworkId());

  // UP before DOWN is refused; DOWN removes the agent and its task is lost.
  EXPECT_EQ(
      callMaster(master, machinesCall(operator_api::Call::STOP_MAINTENANCE, {machine("maint-a")}),
                 content)
          .status,
      400);
  auto down = callMaster(
      master, machinesCall(operator_api::Call::START_MAINTENANCE, {machine("maint-a")}), content);
  ASSERT_EQ(down.status, 200) << down.body;
  auto lost = s.nextUpdate();
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->task_id().value(), "on-a");
  EXPECT_EQ(lost->state(), v1::TASK_LOST);
  EXPECT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }));
  auto st = callMaster(master, callOf(operator_api::Call::GET_MAINTENANCE_STATUS), content);
  ASSERT_EQ(st.response.get_maintenance_status().status().down_machines_size(), 1);
  EXPECT_EQ(st.response.get_maintenance_status().status().down_machines(0).hostname(), "maint-a");
  // The agent keeps trying and is refused while its machine is DOWN.
  EXPECT_TRUE(eventually([&] {
    return cluster.masterProcess().log().find("agent_refused hostname=maint-a") !=
           std::string::npos;
  }));
  // A DOWN machine cannot leave the schedule.
  EXPECT_EQ(callMaster(master, scheduleCall({machine("maint-b")}, start, hour), content).status,
            400);

  // UP: the machine leaves the schedule and its agent registers again.
  auto up = callMaster(
      master, machinesCall(operator_api::Call::STOP_MAINTENANCE, {machine("maint-a")}), content);
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_TRUE(eventually([&] { return cluster.registeredAgents() == 2; }, 30s));
  auto after = callMaster(master, callOf(operator_api::Call::GET_MAINTENANCE_SCHEDULE), content);
  EXPECT_EQ(after.response.get_maintenance_schedule().schedule().windows_size(), 0);
  auto clear = callMaster(master, callOf(operator_api::Call::GET_MAINTENANCE_STATUS), content);
  EXPECT_EQ(clear.response.get_maintenance_status().status().down_machines_size(), 0);
  EXPECT_EQ(clear.response.get_maintenance_status().status().draining_machines_size(), 0);
}

TEST(MaintenanceTest, LegacyEndpointsDeclinesAndFailover) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:256", {"--hostname=legacy-a"});
  const auto master = cluster.master();
  Scheduler s(master, http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("decliner");
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "t", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running && running->state() == v1::TASK_RUNNING);

  auto empty = json::parse(cluster.get("/master/maintenance/schedule"));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->isObject());

  auto bad = post(master, "/master/maintenance/schedule", "{\"windows\": 3}");
  EXPECT_EQ(bad.status, 400);
  auto posted = post(master, "/master/maintenance/schedule", R"({"windows":[{
      "machine_ids":[{"hostname":"legacy-a","ip":"127.0.0.1"}],
      "unavailability":{"start":{"nanoseconds":1000000000000000000}}}]})");
  ASSERT_EQ(posted.status, 200) << posted.body;
  auto schedule = json::parse(cluster.get("/master/maintenance/schedule"));
  ASSERT_TRUE(schedule);
  EXPECT_EQ((*schedule)["windows"][0]["machine_ids"][0]["hostname"].asString(), "legacy-a");
  EXPECT_EQ((*schedule)["windows"][0]["unavailability"]["start"]["nanoseconds"].asDouble(), 1e18);

  auto inverse = s.next(scheduler::Event::INVERSE_OFFERS);
  ASSERT_TRUE(inverse);
  scheduler::Call decline;
  decline.set_type(scheduler::Call::DECLINE_INVERSE_OFFERS);
  *decline.mutable_decline_inverse_offers()->add_inverse_offer_ids() =
      inverse->inverse_offers().inverse_offers(0).id();
  ASSERT_EQ(s.call(decline), 202);
  ASSERT_TRUE(eventually([&] {
    auto status = json::parse(cluster.get("/master/maintenance/status"));
    return status &&
           (*status)["draining_machines"][0]["statuses"][0]["status"].asString() == "DECLINE";
  })) << cluster.get("/master/maintenance/status");
  auto status = json::parse(cluster.get("/master/maintenance/status"));
  EXPECT_EQ((*status)["draining_machines"][0]["id"]["hostname"].asString(), "legacy-a");
  EXPECT_EQ((*status)["draining_machines"][0]["statuses"][0]["framework_id"]["value"].asString(),
            s.frameworkId());

  EXPECT_EQ(
      post(master, "/master/machine/up", R"([{"hostname":"legacy-a","ip":"127.0.0.1"}])").status,
      400);
  EXPECT_EQ(post(master, "/master/machine/down", "not json").status, 400);
  EXPECT_EQ(post(master, "/master/machine/down", "[]").status, 400);
  auto down = post(master, "/master/machine/down", R"([{"hostname":"legacy-a","ip":"127.0.0.1"}])");
  ASSERT_EQ(down.status, 200) << down.body;
  EXPECT_TRUE(eventually([&] { return cluster.registeredAgents() == 0; }));

  // The schedule and the DOWN mode survive a master restart.
  cluster.restartMaster();
  auto recovered = json::parse(cluster.get("/master/maintenance/status"));
  ASSERT_TRUE(recovered);
  EXPECT_EQ((*recovered)["down_machines"][0]["hostname"].asString(), "legacy-a")
      << cluster.get("/master/maintenance/status");
  auto still = json::parse(cluster.get("/master/maintenance/schedule"));
  ASSERT_TRUE(still);
  EXPECT_EQ((*still)["windows"][0]["machine_ids"][0]["hostname"].asString(), "legacy-a");
  auto up = post(master, "/master/machine/up", R"([{"hostname":"legacy-a","ip":"127.0.0.1"}])");
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }, 30s));
  auto wrong = http::fetchSync(master, {.method = "DELETE", .path = "/master/machine/up"}, 10s);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
}

}  // namespace
}  // namespace plateau::testing
