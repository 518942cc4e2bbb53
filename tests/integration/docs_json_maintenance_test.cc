// The JSON conversations of Mesos's docs for maintenance and inverse offers: the operator calls,
// the legacy /maintenance and /machine endpoints, and a scheduler answering inverse offers, sent
// as hand-written JSON over HTTP to a real cluster.

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

TEST(DocsJsonOps, MaintenanceCallsLegacyEndpointsAndInverseOffers) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024", {"--hostname=docs-host"});
  auto master = cluster.master();

  JsonScheduler s(master);
  ASSERT_TRUE(s.subscribe(kMultiRoleSubscribe));
  const std::string fw = s.frameworkId();
  auto offer = s.offerWhere([](const json::Value&) { return true; });
  ASSERT_TRUE(offer);
  std::string agent = (*offer)["agent_id"]["value"].asString();
  std::string role = (*offer)["allocation_info"]["role"].asString();
  // A task keeps the framework on the machine, so that it gets the inverse offer.
  auto launched = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "ACCEPT",
    "accept": {{
      "offer_ids": [{{"value": "{}"}}],
      "operations": [{{"type": "LAUNCH", "launch": {{"task_infos": [{{
        "name": "sleeper", "task_id": {{"value": "sleeper"}}, "agent_id": {{"value": "{}"}},
        "resources": [{{"name": "cpus", "type": "SCALAR", "scalar": {{"value": 0.1}},
                        "allocation_info": {{"role": "{}"}}}},
                      {{"name": "mem", "type": "SCALAR", "scalar": {{"value": 32}},
                        "allocation_info": {{"role": "{}"}}}}],
        "command": {{"value": "sleep 60"}}
      }}]}}}}]
    }}
  }})",
                                     fw, (*offer)["id"]["value"].asString(), agent, role, role));
  ASSERT_EQ(launched.status, 202) << launched.body;

  const int64_t start = 1'000'000'000'000'000'000;  // far ahead: the machine stays DRAINING
  auto scheduled = post(master, "/api/v1",
                        fmt::format(R"({{
    "type": "UPDATE_MAINTENANCE_SCHEDULE",
    "update_maintenance_schedule": {{
      "schedule": {{
        "windows": [{{
          "machine_ids": [{{"hostname": "docs-host", "ip": "127.0.0.1"}}],
          "unavailability": {{"start": {{"nanoseconds": {}}}}}
        }}]
      }}
    }}
  }})",
                                    start));
  EXPECT_EQ(scheduled.status, 200) << scheduled.body;

  auto schedule = post(master, "/api/v1", R"({"type": "GET_MAINTENANCE_SCHEDULE"})");
  expectJson200(schedule, "GET_MAINTENANCE_SCHEDULE");
  EXPECT_TRUE(isString(schedule.json["type"], "GET_MAINTENANCE_SCHEDULE"));
  const auto& window = schedule.json["get_maintenance_schedule"]["schedule"]["windows"][0];
  EXPECT_TRUE(isString(window["machine_ids"][0]["hostname"], "docs-host")) << schedule.body;
  EXPECT_TRUE(isString(window["machine_ids"][0]["ip"], "127.0.0.1")) << schedule.body;
  EXPECT_TRUE(window["unavailability"]["start"]["nanoseconds"].isNumber()) << schedule.body;
  EXPECT_EQ(window["unavailability"]["start"]["nanoseconds"].toInt64(), start) << schedule.body;

  auto legacy_schedule = send(master, "GET", "/maintenance/schedule", "");
  expectJson200(legacy_schedule, "GET /maintenance/schedule");
  EXPECT_TRUE(
      isString(legacy_schedule.json["windows"][0]["machine_ids"][0]["hostname"], "docs-host"))
      << legacy_schedule.body;

  auto inverse = s.next("INVERSE_OFFERS");
  ASSERT_TRUE(inverse);
  const auto& io = (*inverse)["inverse_offers"]["inverse_offers"][0];
  EXPECT_TRUE(io["id"]["value"].isString()) << json::stringify(*inverse);
  EXPECT_TRUE(isString(io["agent_id"]["value"], agent)) << json::stringify(*inverse);
  EXPECT_TRUE(isString(io["framework_id"]["value"], fw)) << json::stringify(*inverse);
  EXPECT_TRUE(io["url"]["address"]["port"].isNumber()) << json::stringify(*inverse);
  EXPECT_EQ(io["unavailability"]["start"]["nanoseconds"].toInt64(), start)
      << json::stringify(*inverse);

  // Offers for the draining machine carry its unavailability; one held from before the
  // schedule is rescinded and made again.
  auto draining_offer =
      s.offerWhere([](const json::Value& o) { return o.find("unavailability") != nullptr; });
  ASSERT_TRUE(draining_offer);
  EXPECT_EQ((*draining_offer)["unavailability"]["start"]["nanoseconds"].toInt64(), start)
      << json::stringify(*draining_offer);

  auto declined = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "DECLINE_INVERSE_OFFERS",
    "decline_inverse_offers": {{
      "inverse_offer_ids": [{{"value": "{}"}}],
      "filters": {{"refuse_seconds": 0.1}}
    }}
  }})",
                                     fw, io["id"]["value"].asString()));
  EXPECT_EQ(declined.status, 202) << declined.body;

  auto statusOf = [&] {
    auto st = post(master, "/api/v1", R"({"type": "GET_MAINTENANCE_STATUS"})");
    EXPECT_EQ(st.status, 200);
    EXPECT_EQ(st.content_type, "application/json");
    return st;
  };
  EXPECT_TRUE(eventually([&] {
    auto st = statusOf();
    const auto& draining = st.json["get_maintenance_status"]["status"]["draining_machines"][0];
    return isString(draining["id"]["hostname"], "docs-host") &&
           isString(draining["statuses"][0]["status"], "DECLINE");
  })) << statusOf().body;

  auto again = s.next("INVERSE_OFFERS");
  ASSERT_TRUE(again);
  const auto& io2 = (*again)["inverse_offers"]["inverse_offers"][0];
  auto accepted = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "ACCEPT_INVERSE_OFFERS",
    "accept_inverse_offers": {{
      "inverse_offer_ids": [{{"value": "{}"}}],
      "filters": {{"refuse_seconds": 5.0}}
    }}
  }})",
                                     fw, io2["id"]["value"].asString()));
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_TRUE(eventually([&] {
    auto st = send(master, "GET", "/maintenance/status", "");
    const auto& status = st.json["draining_machines"][0]["statuses"][0];
    return st.status == 200 && st.content_type == "application/json" &&
           isString(status["status"], "ACCEPT") && isString(status["framework_id"]["value"], fw) &&
           status["timestamp"]["nanoseconds"].isNumber();
  })) << send(master, "GET", "/maintenance/status", "").body;

  // Down through the operator call, up through the legacy endpoint.
  auto down = post(master, "/api/v1", R"({
    "type": "START_MAINTENANCE",
    "start_maintenance": {"machines": [{"hostname": "docs-host", "ip": "127.0.0.1"}]}
  })");
  EXPECT_EQ(down.status, 200) << down.body;
  auto st = statusOf();
  const auto& down_machines = st.json["get_maintenance_status"]["status"]["down_machines"];
  ASSERT_EQ(down_machines.size(), 1u) << st.body;
  EXPECT_TRUE(isString(down_machines[0]["hostname"], "docs-host")) << st.body;
  EXPECT_EQ(st.json["get_maintenance_status"]["status"]["draining_machines"].size(), 0u) << st.body;

  auto up = post(master, "/machine/up", R"([{"hostname": "docs-host", "ip": "127.0.0.1"}])");
  EXPECT_EQ(up.status, 200) << up.body;
  auto legacy_status = send(master, "GET", "/maintenance/status", "");
  expectJson200(legacy_status, "GET /maintenance/status");
  EXPECT_EQ(legacy_status.json["down_machines"].size(), 0u) << legacy_status.body;

  // The legacy schedule endpoint with the maintenance docs' body, then machine/down and
  // STOP_MAINTENANCE.
  auto legacy_set = post(master, "/maintenance/schedule",
                         fmt::format(R"({{
    "windows": [{{
      "machine_ids": [{{"hostname": "docs-host", "ip": "127.0.0.1"}}],
      "unavailability": {{"start": {{"nanoseconds": {}}},
                          "duration": {{"nanoseconds": 3600000000000}}}}
    }}]
  }})",
                                     start));
  EXPECT_EQ(legacy_set.status, 200) << legacy_set.body;
  auto legacy_got = send(master, "GET", "/master/maintenance/schedule", "");
  expectJson200(legacy_got, "GET /master/maintenance/schedule");
  EXPECT_EQ(legacy_got.json["windows"][0]["unavailability"]["duration"]["nanoseconds"].toInt64(),
            3600000000000)
      << legacy_got.body;
  auto legacy_down =
      post(master, "/machine/down", R"([{"hostname": "docs-host", "ip": "127.0.0.1"}])");
  EXPECT_EQ(legacy_down.status, 200) << legacy_down.body;
  auto stopped = post(master, "/api/v1", R"({
    "type": "STOP_MAINTENANCE",
    "stop_maintenance": {"machines": [{"hostname": "docs-host", "ip": "127.0.0.1"}]}
  })");
  EXPECT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_EQ(statusOf().json["get_maintenance_status"]["status"]["down_machines"].size(), 0u);
}

// The docs' schedule: machines named by hostname alone and by ip alone, a window that started
// in the past.
TEST(DocsJsonOps, ScheduleWithHostnameOnlyAndIpOnlyMachines) {
  Cluster cluster;
  auto master = cluster.master();
  auto scheduled = post(master, "/api/v1", R"({
    "type": "UPDATE_MAINTENANCE_SCHEDULE",
    "update_maintenance_schedule": {
      "schedule": {
        "windows": [{
          "machine_ids": [{"hostname": "myhost"}, {"ip": "0.0.0.2"}],
          "unavailability": {"start": {"nanoseconds": 1470820233192017920}}
        }]
      }
    }
  })");
  EXPECT_EQ(scheduled.status, 200) << scheduled.body;
  auto schedule = post(master, "/api/v1", R"({"type": "GET_MAINTENANCE_SCHEDULE"})");
  expectJson200(schedule, "GET_MAINTENANCE_SCHEDULE");
  const auto& window = schedule.json["get_maintenance_schedule"]["schedule"]["windows"][0];
  EXPECT_TRUE(isString(window["machine_ids"][0]["hostname"], "myhost")) << schedule.body;
  EXPECT_EQ(window["machine_ids"][0].find("ip"), nullptr) << schedule.body;
  EXPECT_TRUE(isString(window["machine_ids"][1]["ip"], "0.0.0.2")) << schedule.body;
  EXPECT_EQ(window["machine_ids"][1].find("hostname"), nullptr) << schedule.body;
  EXPECT_EQ(window["unavailability"]["start"]["nanoseconds"].toInt64(), 1470820233192017920)
      << schedule.body;
  EXPECT_EQ(window["unavailability"].find("duration"), nullptr) << schedule.body;

  auto status = post(master, "/api/v1", R"({"type": "GET_MAINTENANCE_STATUS"})");
  expectJson200(status, "GET_MAINTENANCE_STATUS");
  const auto& draining = status.json["get_maintenance_status"]["status"]["draining_machines"];
  ASSERT_EQ(draining.size(), 2u) << status.body;
  std::set<std::string> ids;
  for (const auto& m : draining.asArray()) ids.insert(json::stringify(m["id"]));
  EXPECT_TRUE(ids.contains(R"({"hostname":"myhost"})")) << status.body;
  EXPECT_TRUE(ids.contains(R"({"ip":"0.0.0.2"})")) << status.body;
  EXPECT_EQ(status.json["get_maintenance_status"]["status"].find("down_machines"), nullptr)
      << status.body;
}

}  // namespace
}  // namespace plateau::testing
