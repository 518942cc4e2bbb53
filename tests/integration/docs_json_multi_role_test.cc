// The JSON conversations of Mesos's docs for a multi-role scheduler: reservations and volumes
// through ACCEPT, UPDATE_FRAMEWORK, SUPPRESS/REVIVE per role, suppressed roles and offer
// constraints at SUBSCRIBE, and tasks with limits, sent as hand-written JSON over HTTP to a real
// cluster.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

TEST(DocsJsonOps, SchedulerReservesCreatesDestroysAndUnreservesThroughAccept) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024;disk:512");
  JsonScheduler s(cluster.master());
  ASSERT_TRUE(s.subscribe(kMultiRoleSubscribe));
  const std::string fw = s.frameworkId();
  EXPECT_TRUE(s.subscribed()["subscribed"]["heartbeat_interval_seconds"].isNumber());
  EXPECT_TRUE(s.subscribed()["subscribed"]["master_info"]["id"].isString());
  EXPECT_TRUE(s.subscribed()["subscribed"]["master_info"]["port"].isNumber());

  auto offer = s.offerWhere(
      [](const json::Value& o) { return isString(o["allocation_info"]["role"], "test1"); });
  ASSERT_TRUE(offer);
  for (const auto& r : (*offer)["resources"].asArray()) {
    EXPECT_TRUE(isString(r["allocation_info"]["role"], "test1")) << json::stringify(r);
    EXPECT_TRUE(isString(r["type"], isString(r["name"], "ports") ? "RANGES" : "SCALAR"))
        << json::stringify(r);
  }
  std::string agent = (*offer)["agent_id"]["value"].asString();
  EXPECT_TRUE((*offer)["hostname"].isString());
  EXPECT_TRUE(isString((*offer)["framework_id"]["value"], fw));

  auto accept = [&](const std::string& offer_id, const std::string& operation) {
    return s.post(fmt::format(R"({{
      "framework_id": {{"value": "{}"}},
      "type": "ACCEPT",
      "accept": {{
        "offer_ids": [{{"value": "{}"}}],
        "operations": [{}],
        "filters": {{"refuse_seconds": 0.1}}
      }}
    }})",
                              fw, offer_id, operation));
  };
  const std::string reserved_cpus = R"(
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
     "role": "test1", "reservation": {"principal": "my-principal"},
     "allocation_info": {"role": "test1"}})";
  const std::string reserved_disk = R"(
    {"name": "disk", "type": "SCALAR", "scalar": {"value": 128},
     "role": "test1", "reservation": {"principal": "my-principal"},
     "allocation_info": {"role": "test1"}})";
  auto r = accept((*offer)["id"]["value"].asString(),
                  fmt::format(R"({{"type": "RESERVE", "reserve": {{"resources": [{}, {}]}}}})",
                              reserved_cpus, reserved_disk));
  EXPECT_EQ(r.status, 202) << r.body;

  auto hasReserved = [](const json::Value& o, const std::string& name) -> const json::Value* {
    for (const auto& res : o["resources"].asArray()) {
      if (isString(res["name"], name) && res.find("reservation") != nullptr) return &res;
    }
    return nullptr;
  };
  s.forget("OFFERS");
  auto with_reserved = s.offerWhere([&](const json::Value& o) {
    return isString(o["allocation_info"]["role"], "test1") && hasReserved(o, "cpus") &&
           hasReserved(o, "disk");
  });
  ASSERT_TRUE(with_reserved);
  // Without RESERVATION_REFINEMENT, offers use the pre-refinement form: role plus reservation.
  const json::Value& cpus = *hasReserved(*with_reserved, "cpus");
  EXPECT_TRUE(isString(cpus["role"], "test1")) << json::stringify(cpus);
  EXPECT_TRUE(isString(cpus["reservation"]["principal"], "my-principal")) << json::stringify(cpus);
  EXPECT_EQ(cpus.find("reservations"), nullptr) << json::stringify(cpus);
  EXPECT_TRUE(isString(cpus["allocation_info"]["role"], "test1")) << json::stringify(cpus);

  const std::string volume = R"(
    {"name": "disk", "type": "SCALAR", "scalar": {"value": 128},
     "role": "test1", "reservation": {"principal": "my-principal"},
     "allocation_info": {"role": "test1"},
     "disk": {"persistence": {"id": "docs-volume", "principal": "my-principal"},
              "volume": {"container_path": "data", "mode": "RW"}}})";
  r = accept((*with_reserved)["id"]["value"].asString(),
             fmt::format(R"({{"type": "CREATE", "create": {{"volumes": [{}]}}}})", volume));
  EXPECT_EQ(r.status, 202) << r.body;
  s.forget("OFFERS");
  auto with_volume = s.offerWhere([&](const json::Value& o) {
    const auto* disk = hasReserved(o, "disk");
    return disk != nullptr && isString((*disk)["disk"]["persistence"]["id"], "docs-volume");
  });
  ASSERT_TRUE(with_volume);
  const json::Value& disk = *hasReserved(*with_volume, "disk");
  EXPECT_TRUE(isString(disk["disk"]["volume"]["mode"], "RW")) << json::stringify(disk);
  EXPECT_TRUE(isString(disk["disk"]["volume"]["container_path"], "data")) << json::stringify(disk);

  r = accept((*with_volume)["id"]["value"].asString(),
             fmt::format(R"({{"type": "DESTROY", "destroy": {{"volumes": [{}]}}}})", volume));
  EXPECT_EQ(r.status, 202) << r.body;
  s.forget("OFFERS");
  auto destroyed = s.offerWhere([&](const json::Value& o) {
    const auto* d = hasReserved(o, "disk");
    return d != nullptr && d->find("disk") == nullptr;
  });
  ASSERT_TRUE(destroyed);

  r = accept((*destroyed)["id"]["value"].asString(),
             fmt::format(R"({{"type": "UNRESERVE", "unreserve": {{"resources": [{}, {}]}}}})",
                         reserved_cpus, reserved_disk));
  EXPECT_EQ(r.status, 202) << r.body;
  s.forget("OFFERS");
  EXPECT_TRUE(s.offerWhere([&](const json::Value& o) {
    return hasReserved(o, "cpus") == nullptr && hasReserved(o, "disk") == nullptr &&
           scalarOf(o["resources"], "cpus") == 2;
  }));
}

TEST(DocsJsonOps, UpdateFrameworkAndSuppressReviveWithRoles) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  JsonScheduler s(cluster.master());
  ASSERT_TRUE(s.subscribe(kMultiRoleSubscribe));
  const std::string fw = s.frameworkId();
  auto first = s.next("OFFERS");
  ASSERT_TRUE(first);

  auto suppressed = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "SUPPRESS",
    "suppress": {{"roles": ["test1"]}}
  }})",
                                       fw));
  EXPECT_EQ(suppressed.status, 202) << suppressed.body;
  // Offers then go to test2 only; declined ones come back to test2.
  s.declineAll(*first);
  s.forget("OFFERS");
  auto onlyRole = [&](const std::string& role, int rounds) {
    for (int i = 0; i < rounds; ++i) {
      auto offers = s.next("OFFERS");
      if (!offers) return false;
      for (const auto& o : (*offers)["offers"]["offers"].asArray()) {
        if (!isString(o["allocation_info"]["role"], role)) return false;
      }
      s.declineAll(*offers);
    }
    return true;
  };
  EXPECT_TRUE(onlyRole("test2", 3));

  auto revived = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "REVIVE",
    "revive": {{"roles": ["test1"]}}
  }})",
                                    fw));
  EXPECT_EQ(revived.status, 202) << revived.body;
  auto test1 = s.offerWhere(
      [](const json::Value& o) { return isString(o["allocation_info"]["role"], "test1"); });
  ASSERT_TRUE(test1);
  auto held =
      json::parse(fmt::format(R"({{"offers": {{"offers": [{}]}}}})", json::stringify(*test1)));
  ASSERT_TRUE(held);
  s.declineAll(*held);
  auto legacy = [&] {
    return send(cluster.master(), "GET", "/master/frameworks", "").json["frameworks"][0];
  };

  auto updated = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "UPDATE_FRAMEWORK",
    "update_framework": {{
      "framework_info": {{
        "user": "foo",
        "name": "Example HTTP Framework",
        "roles": ["test1", "test3"],
        "capabilities": [{{"type": "MULTI_ROLE"}}],
        "principal": "my-principal",
        "id": {{"value": "{}"}}
      }},
      "suppressed_roles": ["test3"]
    }}
  }})",
                                    fw, fw));
  EXPECT_EQ(updated.status, 200) << updated.body;
  EXPECT_TRUE(eventually([&] {
    auto f = legacy();
    return f["roles"].size() == 2 && isString(f["roles"][1], "test3");
  })) << json::stringify(legacy());
  // test3 came in suppressed and test2 left: offers go to test1 only.
  s.forget("OFFERS");
  EXPECT_TRUE(onlyRole("test1", 3));
  auto got = post(cluster.master(), "/api/v1", R"({"type": "GET_FRAMEWORKS"})");
  expectJson200(got, "GET_FRAMEWORKS");
  const auto& info = got.json["get_frameworks"]["frameworks"][0]["framework_info"];
  EXPECT_TRUE(isString(info["roles"][1], "test3")) << got.body;
  EXPECT_TRUE(isString(info["capabilities"][0]["type"], "MULTI_ROLE")) << got.body;
}

// The docs' SUBSCRIBE: two roles, test2 suppressed from the start, an offer constraint on
// test1 that this agent satisfies; then a task with limits, as in the docs' ACCEPT.
TEST(DocsJsonOps, SubscribeWithSuppressedRolesAndOfferConstraintsThenLimits) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024", {"--attributes=foo:bar"});
  // An agent the constraint excludes: none of its resources may reach test1.
  cluster.addAgent("cpus:2;mem:1024", {"--attributes=rack:r1"});
  JsonScheduler s(cluster.master());
  ASSERT_TRUE(s.subscribe(R"({
    "type": "SUBSCRIBE",
    "subscribe": {
      "framework_info": {
        "user": "foo",
        "name": "Example HTTP Framework",
        "roles": ["test1", "test2"],
        "capabilities": [{"type": "MULTI_ROLE"}]
      },
      "suppressed_roles": ["test2"],
      "offer_constraints": {
        "role_constraints": {
          "test1": {
            "groups": [{
              "attribute_constraints": [{
                "selector": {"attribute_name": "foo"},
                "predicate": {"exists": {}}
              }]
            }]
          }
        }
      }
    }
  })"));
  EXPECT_TRUE(isNumber(s.subscribed()["subscribed"]["heartbeat_interval_seconds"], 15));
  const std::string fw = s.frameworkId();
  // Only test1 is offered, round after round.
  std::optional<json::Value> offer;
  for (int round = 0; round < 3; ++round) {
    auto offers = s.next("OFFERS");
    ASSERT_TRUE(offers);
    for (const auto& o : (*offers)["offers"]["offers"].asArray()) {
      EXPECT_TRUE(isString(o["allocation_info"]["role"], "test1")) << json::stringify(o);
      EXPECT_TRUE(isString(o["attributes"][0]["name"], "foo")) << json::stringify(o);
      EXPECT_TRUE(isString(o["attributes"][0]["type"], "TEXT")) << json::stringify(o);
      EXPECT_TRUE(isString(o["attributes"][0]["text"]["value"], "bar")) << json::stringify(o);
    }
    if (round < 2) {
      s.declineAll(*offers);
    } else {
      offer = (*offers)["offers"]["offers"][0];
    }
  }
  ASSERT_TRUE(offer);

  auto launched = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "ACCEPT",
    "accept": {{
      "offer_ids": [{{"value": "{}"}}],
      "operations": [{{
        "type": "LAUNCH",
        "launch": {{"task_infos": [{{
          "name": "My Task",
          "task_id": {{"value": "12220-3440-12532-my-task"}},
          "agent_id": {{"value": "{}"}},
          "command": {{"shell": true, "value": "sleep 1000"}},
          "resources": [
            {{"allocation_info": {{"role": "test1"}}, "name": "cpus", "role": "*",
              "type": "SCALAR", "scalar": {{"value": 1.0}}}},
            {{"allocation_info": {{"role": "test1"}}, "name": "mem", "role": "*",
              "type": "SCALAR", "scalar": {{"value": 128.0}}}}
          ],
          "limits": {{"cpus": {{"value": "Infinity"}}, "mem": {{"value": 512.0}}}}
        }}]}}
      }}],
      "filters": {{"refuse_seconds": 5.0}}
    }}
  }})",
                                     fw, (*offer)["id"]["value"].asString(),
                                     (*offer)["agent_id"]["value"].asString()));
  ASSERT_EQ(launched.status, 202) << launched.body;
  auto update = s.next("UPDATE");
  ASSERT_TRUE(update);
  EXPECT_TRUE(
      isString((*update)["update"]["status"]["task_id"]["value"], "12220-3440-12532-my-task"));
  std::string state = (*update)["update"]["status"]["state"].asString();
  EXPECT_TRUE(state == "TASK_STARTING" || state == "TASK_RUNNING") << json::stringify(*update);
  EXPECT_TRUE((*update)["update"]["status"]["uuid"].isString());
  EXPECT_TRUE(isString((*update)["update"]["status"]["source"], "SOURCE_EXECUTOR"))
      << json::stringify(*update);

  // GET_FRAMEWORKS carries the constraints as subscribed; explain names them.
  auto got = post(cluster.master(), "/api/v1", R"({"type": "GET_FRAMEWORKS"})");
  expectJson200(got, "GET_FRAMEWORKS");
  const auto& constraint =
      got.json["get_frameworks"]["frameworks"][0]["offer_constraints"]["role_constraints"]["test1"]
              ["groups"][0]["attribute_constraints"][0];
  EXPECT_TRUE(isString(constraint["selector"]["attribute_name"], "foo")) << got.body;
  EXPECT_TRUE(constraint["predicate"]["exists"].isObject()) << got.body;
  // So does /master/state, as Mesos 1.11 shows it.
  auto master_state = send(cluster.master(), "GET", "/master/state", "");
  EXPECT_TRUE(isString(
      master_state.json["frameworks"][0]["offer_constraints"]["role_constraints"]["test1"]["groups"]
                       [0]["attribute_constraints"][0]["selector"]["attribute_name"],
      "foo"))
      << master_state.body.substr(0, 2000);
}

// Offer constraints that Mesos refuses are refused with a message; UPDATE_FRAMEWORK replaces
// them, and offers follow at once.
TEST(DocsJsonOps, OfferConstraintsAreValidatedAndUpdated) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256", {"--attributes=rack:r1", "--hostname=rack1-node"});
  cluster.addAgent("cpus:1;mem:256", {"--attributes=rack:r2", "--hostname=rack2-node"});
  auto subscribe = [&](const std::string& constraints) {
    return fmt::format(R"({{"type": "SUBSCRIBE", "subscribe": {{
        "framework_info": {{"user": "foo", "name": "picky", "roles": ["eng"],
                            "capabilities": [{{"type": "MULTI_ROLE"}}]}},
        "offer_constraints": {}}}}})",
                       constraints);
  };
  auto refused = [&](const std::string& constraints) {
    auto r = http::fetchSync(
        cluster.master(),
        {.method = "POST",
         .path = "/api/v1/scheduler",
         .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
         .body = subscribe(constraints)},
        5s);
    if (!r) return std::string("no answer");
    return r->body;
  };
  // Each refusal is an ERROR event naming the problem, as Mesos answers a bad SUBSCRIBE.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"role_constraints": {"ops": {"groups": [{"attribute_constraints": [
          {"selector": {"attribute_name": "rack"}, "predicate": {"exists": {}}}]}]}}})",
       "not subscribed"},
      {R"({"role_constraints": {"eng": {"groups": []}}})", "no groups"},
      {R"({"role_constraints": {"eng": {"groups": [{}]}}})", "empty group"},
      {R"({"role_constraints": {"eng": {"groups": [{"attribute_constraints": [
          {"selector": {"attribute_name": "rack"},
           "predicate": {"text_matches": {"regex": "r[1"}}}]}]}}})",
       "does not compile"},
      // Over Mesos's default --offer_constraints_re2_max_program_size of 100.
      {R"({"role_constraints": {"eng": {"groups": [{"attribute_constraints": [
          {"selector": {"pseudoattribute_type": "HOSTNAME"},
           "predicate": {"text_not_matches": {"regex": "[a-z]{1,60}x"}}}]}]}}})",
       "program size"},
      {R"({"role_constraints": {"eng": {"groups": [{"attribute_constraints": [
          {"selector": {"pseudoattribute_type": "UNKNOWN"},
           "predicate": {"exists": {}}}]}]}}})",
       "pseudoattribute"},
  };
  for (const auto& [constraints, message] : bad) {
    const std::string body = refused(constraints);
    EXPECT_NE(body.find("ERROR"), std::string::npos) << body;
    EXPECT_NE(body.find(message), std::string::npos) << message << ": " << body;
  }

  // Hostname by regex: only rack2-node.
  JsonScheduler s(cluster.master());
  ASSERT_TRUE(s.subscribe(subscribe(R"({"role_constraints": {"eng": {"groups": [
      {"attribute_constraints": [{"selector": {"pseudoattribute_type": "HOSTNAME"},
                                  "predicate": {"text_matches": {"regex": "rack2-.*"}}}]}]}}})")));
  const std::string fw = s.frameworkId();
  std::string held_offer;
  for (int round = 0; round < 2; ++round) {
    auto offers = s.next("OFFERS");
    ASSERT_TRUE(offers);
    for (const auto& o : (*offers)["offers"]["offers"].asArray()) {
      EXPECT_TRUE(isString(o["hostname"], "rack2-node")) << json::stringify(o);
    }
    if (round == 0) {
      s.declineAll(*offers);
    } else {
      held_offer = (*offers)["offers"]["offers"][0]["id"]["value"].asString();
    }
  }
  // It holds rack2-node's offer; rack1-node is free and fits, but excluded.
  std::string explained;
  EXPECT_TRUE(eventually([&] {
    explained = send(cluster.master(), "GET", "/master/explain?framework_id=" + fw, "").body;
    return explained.find("OFFER_CONSTRAINTS") != std::string::npos;
  })) << explained;

  // UPDATE_FRAMEWORK with an invalid constraint: 400, nothing changes.
  auto update = [&](const std::string& constraints) {
    return s.post(fmt::format(R"({{"framework_id": {{"value": "{}"}}, "type": "UPDATE_FRAMEWORK",
        "update_framework": {{"framework_info": {{"id": {{"value": "{}"}}, "user": "foo",
          "name": "picky", "roles": ["eng"], "capabilities": [{{"type": "MULTI_ROLE"}}]}},
          "offer_constraints": {}}}}})",
                              fw, fw, constraints));
  };
  auto bad_update = update(R"({"role_constraints": {"eng": {"groups": []}}})");
  EXPECT_EQ(bad_update.status, 400) << bad_update.body;
  EXPECT_NE(bad_update.body.find("no groups"), std::string::npos) << bad_update.body;
  // Now rack r1 only: rack1-node is offered.
  auto good_update = update(R"({"role_constraints": {"eng": {"groups": [{"attribute_constraints": [
      {"selector": {"attribute_name": "rack"},
       "predicate": {"text_equals": {"value": "r1"}}}]}]}}})");
  EXPECT_EQ(good_update.status, 200) << good_update.body;
  // The held offer's agent is excluded now: it is rescinded.
  auto rescind = s.next("RESCIND");
  ASSERT_TRUE(rescind);
  EXPECT_TRUE(isString((*rescind)["rescind"]["offer_id"]["value"], held_offer))
      << json::stringify(*rescind);
  // Offers sent before the update may still be in the stream; once rack1-node is offered,
  // rack2-node never is again.
  s.forget("OFFERS");
  int rack1_rounds = 0;
  for (int round = 0; round < 6 && rack1_rounds < 2; ++round) {
    auto offers = s.next("OFFERS");
    ASSERT_TRUE(offers);
    for (const auto& o : (*offers)["offers"]["offers"].asArray()) {
      if (rack1_rounds > 0) {
        EXPECT_TRUE(isString(o["hostname"], "rack1-node")) << json::stringify(o);
      }
    }
    for (const auto& o : (*offers)["offers"]["offers"].asArray()) {
      if (isString(o["hostname"], "rack1-node")) {
        ++rack1_rounds;
        break;
      }
    }
    s.declineAll(*offers);
  }
  EXPECT_EQ(rack1_rounds, 2);
}

}  // namespace
}  // namespace plateau::testing
