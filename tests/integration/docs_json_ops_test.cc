// The JSON conversations of Mesos's docs for roles, quota, reservations, volumes, maintenance,
// inverse offers, framework updates, task groups and the agent's operator API, sent as
// hand-written JSON over HTTP to a real cluster. Every response is checked for its status,
// its Content-Type and the JSON shape the docs show: member names, nesting, enum strings and
// numbers versus strings.

#include <deque>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
  json::Value json;
  bool parsed = false;
};

Reply send(const http::Endpoint& to, const std::string& method, const std::string& path,
           const std::string& body, const std::string& content_type = "application/json") {
  http::Headers headers = {{"accept", "application/json"}};
  if (!body.empty()) headers["content-type"] = content_type;
  auto r =
      http::fetchSync(to, {.method = method, .path = path, .headers = headers, .body = body}, 10s);
  Reply reply;
  if (!r) {
    ADD_FAILURE() << method << " " << path << ": " << r.error().message();
    return reply;
  }
  reply.status = r->status;
  reply.content_type = r->header("content-type");
  reply.body = r->body;
  if (!r->body.empty()) {
    auto parsed = json::parse(r->body);
    if (parsed) {
      reply.json = *parsed;
      reply.parsed = true;
    }
  }
  return reply;
}

Reply post(const http::Endpoint& to, const std::string& path, const std::string& body) {
  return send(to, "POST", path, body);
}

// A 200 answer whose body is a JSON document.
void expectJson200(const Reply& r, const std::string& what) {
  EXPECT_EQ(r.status, 200) << what << ": " << r.body;
  EXPECT_EQ(r.content_type, "application/json") << what;
  EXPECT_TRUE(r.parsed) << what << ": " << r.body;
}

bool isString(const json::Value& v, const std::string& expected) {
  return v.isString() && v.asString() == expected;
}

bool isNumber(const json::Value& v, double expected) {
  return v.isNumber() && v.asDouble() == expected;
}

// The scalar value of the named resource with the given allocation/reservation role, or -1.
double scalarOf(const json::Value& resources, const std::string& name) {
  double total = -1;
  for (const auto& r : resources.asArray()) {
    if (isString(r["name"], name) && r["scalar"]["value"].isNumber()) {
      total = (total < 0 ? 0 : total) + r["scalar"]["value"].asDouble();
    }
  }
  return total;
}

// A scheduler speaking JSON only: RecordIO parsed by hand, events kept until asked for.
class JsonScheduler {
 public:
  explicit JsonScheduler(http::Endpoint master) : master_(std::move(master)) {}

  bool subscribe(const std::string& body) {
    auto s = http::BlockingStream::open(
        master_,
        {.method = "POST",
         .path = "/api/v1/scheduler",
         .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
         .body = body},
        10s);
    if (!s) return false;
    EXPECT_EQ((*s)->head().status, 200);
    if ((*s)->head().status != 200) return false;
    EXPECT_EQ((*s)->head().header("content-type"), "application/json");
    stream_ = std::move(*s);
    stream_id_ = stream_->head().header("mesos-stream-id");
    auto subscribed = next("SUBSCRIBED");
    if (!subscribed) return false;
    framework_id_ = (*subscribed)["subscribed"]["framework_id"]["value"].asString();
    subscribed_ = *subscribed;
    return true;
  }

  // The next event of this type; events of other types stay queued.
  std::optional<json::Value> next(const std::string& type,
                                  std::chrono::milliseconds timeout = 20s) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (isString((*it)["type"], type)) {
        json::Value event = *it;
        kept_.erase(it);
        return event;
      }
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        size_t length = std::stoul(buffer_.substr(0, newline));
        if (buffer_.size() >= newline + 1 + length) {
          auto event = json::parse(buffer_.substr(newline + 1, length));
          buffer_.erase(0, newline + 1 + length);
          EXPECT_TRUE(event.has_value());
          if (!event) continue;
          if (isString((*event)["type"], type)) return *event;
          if (!isString((*event)["type"], "HEARTBEAT")) kept_.push_back(*event);
          continue;
        }
      }
      auto data = stream_->read(200ms);
      if (data) buffer_ += *data;
    }
    return std::nullopt;
  }

  // Drops queued events of this type (offers made before a change).
  void forget(const std::string& type) {
    std::erase_if(kept_, [&](const json::Value& e) { return isString(e["type"], type); });
  }

  Reply post(const std::string& body) {
    auto r = http::fetchSync(master_,
                             {.method = "POST",
                              .path = "/api/v1/scheduler",
                              .headers = {{"content-type", "application/json"},
                                          {"accept", "application/json"},
                                          {"mesos-stream-id", stream_id_}},
                              .body = body},
                             5s);
    Reply reply;
    if (!r) return reply;
    reply.status = r->status;
    reply.content_type = r->header("content-type");
    reply.body = r->body;
    return reply;
  }

  // Declines every offer of an OFFERS event for a short while.
  void declineAll(const json::Value& offers) {
    std::string ids;
    for (const auto& offer : offers["offers"]["offers"].asArray()) {
      if (!ids.empty()) ids += ",";
      ids += fmt::format(R"({{"value": "{}"}})", offer["id"]["value"].asString());
    }
    EXPECT_EQ(post(fmt::format(R"({{"framework_id": {{"value": "{}"}}, "type": "DECLINE",
        "decline": {{"offer_ids": [{}], "filters": {{"refuse_seconds": 0.1}}}}}})",
                               framework_id_, ids))
                  .status,
              202);
  }

  // The next offer whose resources satisfy `pred`, declining the others.
  std::optional<json::Value> offerWhere(const std::function<bool(const json::Value&)>& pred) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto offers = next("OFFERS", 5s);
      if (!offers) continue;
      for (const auto& offer : (*offers)["offers"]["offers"].asArray()) {
        if (pred(offer)) return offer;
      }
      declineAll(*offers);
    }
    return std::nullopt;
  }

  const std::string& frameworkId() const { return framework_id_; }
  const json::Value& subscribed() const { return subscribed_; }

 private:
  http::Endpoint master_;
  std::unique_ptr<http::BlockingStream> stream_;
  std::string stream_id_;
  std::string framework_id_;
  json::Value subscribed_;
  std::string buffer_;
  std::deque<json::Value> kept_;
};

std::string agentIdOf(Cluster& cluster) {
  auto agents = post(cluster.master(), "/api/v1", R"({"type": "GET_AGENTS"})");
  return agents.json["get_agents"]["agents"][0]["agent_info"]["id"]["value"].asString();
}

// --- quota -----------------------------------------------------------------------------------

TEST(DocsJsonOps, QuotaCallsAndTheLegacyQuotaEndpoint) {
  Cluster cluster;
  cluster.addAgent("cpus:16;mem:8192;disk:8192");
  auto master = cluster.master();

  auto updated = post(master, "/api/v1", R"({
    "type": "UPDATE_QUOTA",
    "update_quota": {
      "force": false,
      "quota_configs": [{
        "role": "dev",
        "limits": {"cpus": {"value": 10}, "mem": {"value": 2048}, "disk": {"value": 4096}},
        "guarantees": {"cpus": {"value": 1}, "mem": {"value": 512}, "disk": {"value": 1024}}
      }]
    }
  })");
  EXPECT_EQ(updated.status, 200) << updated.body;

  auto got = post(master, "/api/v1", R"({"type": "GET_QUOTA"})");
  expectJson200(got, "GET_QUOTA");
  EXPECT_TRUE(isString(got.json["type"], "GET_QUOTA")) << got.body;
  const auto& status = got.json["get_quota"]["status"];
  ASSERT_TRUE(status.isObject()) << got.body;
  const auto& config = status["configs"][0];
  EXPECT_TRUE(isString(config["role"], "dev")) << got.body;
  EXPECT_TRUE(isNumber(config["limits"]["cpus"]["value"], 10)) << got.body;
  EXPECT_TRUE(isNumber(config["limits"]["mem"]["value"], 2048)) << got.body;
  EXPECT_TRUE(isNumber(config["guarantees"]["disk"]["value"], 1024)) << got.body;
  // The deprecated "infos" still list the guarantee as resources.
  const auto& info = status["infos"][0];
  EXPECT_TRUE(isString(info["role"], "dev")) << got.body;
  for (const auto& r : info["guarantee"].asArray()) {
    EXPECT_TRUE(r["name"].isString());
    EXPECT_TRUE(isString(r["type"], "SCALAR")) << got.body;
    EXPECT_TRUE(r["scalar"]["value"].isNumber()) << got.body;
  }
  EXPECT_EQ(scalarOf(info["guarantee"], "cpus"), 1) << got.body;

  // The legacy endpoint, with the docs' body.
  auto set = post(master, "/quota", R"({
    "role": "role1",
    "guarantee": [
      {"name": "cpus", "type": "SCALAR", "scalar": {"value": 12}},
      {"name": "mem", "type": "SCALAR", "scalar": {"value": 6144}}
    ]
  })");
  EXPECT_EQ(set.status, 200) << set.body;
  auto legacy = send(master, "GET", "/quota", "");
  expectJson200(legacy, "GET /quota");
  const json::Value* role1 = nullptr;
  for (const auto& i : legacy.json["infos"].asArray()) {
    if (isString(i["role"], "role1")) role1 = &i;
  }
  ASSERT_NE(role1, nullptr) << legacy.body;
  ASSERT_EQ((*role1)["guarantee"].size(), 2u) << legacy.body;
  EXPECT_TRUE(isString((*role1)["guarantee"][0]["type"], "SCALAR")) << legacy.body;
  EXPECT_TRUE(isString((*role1)["guarantee"][0]["role"], "*")) << legacy.body;
  EXPECT_EQ(scalarOf((*role1)["guarantee"], "cpus"), 12) << legacy.body;
  EXPECT_EQ(scalarOf((*role1)["guarantee"], "mem"), 6144) << legacy.body;
  // Also under /master/quota.
  auto prefixed = send(master, "GET", "/master/quota", "");
  expectJson200(prefixed, "GET /master/quota");

  EXPECT_EQ(send(master, "DELETE", "/quota/role1", "").status, 200);
  auto after = send(master, "GET", "/quota", "");
  for (const auto& i : after.json["infos"].asArray()) {
    EXPECT_FALSE(isString(i["role"], "role1")) << after.body;
  }
}

// --- reservations and volumes through the operator API --------------------------------------

TEST(DocsJsonOps, OperatorReservesCreatesDestroysAndUnreserves) {
  Cluster cluster;
  // The docs' volume sits on disk reserved for role1 without a principal: a static reservation.
  cluster.addAgent("cpus:4;mem:2048;disk:1024;disk(role1):64");
  auto master = cluster.master();
  std::string agent = agentIdOf(cluster);
  ASSERT_FALSE(agent.empty());

  auto agents = post(master, "/api/v1", R"({"type": "GET_AGENTS"})");
  expectJson200(agents, "GET_AGENTS");
  const auto& listed = agents.json["get_agents"]["agents"][0];
  EXPECT_TRUE(listed["active"].isBool()) << agents.body;
  EXPECT_TRUE(listed["pid"].isString()) << agents.body;
  EXPECT_TRUE(listed["version"].isString()) << agents.body;
  EXPECT_TRUE(listed["registered_time"]["nanoseconds"].isNumber()) << agents.body;
  EXPECT_TRUE(listed["agent_info"]["hostname"].isString()) << agents.body;
  EXPECT_TRUE(listed["agent_info"]["port"].isNumber()) << agents.body;

  // The docs' body: unreserved `source`, and `resources` with a stack of reservations.
  const std::string resources = R"([
      {"type": "SCALAR", "name": "cpus", "scalar": {"value": 1.0},
       "reservations": [{"type": "DYNAMIC", "role": "role", "principal": "my-principal"}]},
      {"type": "SCALAR", "name": "mem", "scalar": {"value": 512.0},
       "reservations": [{"type": "DYNAMIC", "role": "role", "principal": "my-principal"}]}
    ])";
  auto reserved = post(master, "/api/v1",
                       fmt::format(R"({{
    "type": "RESERVE_RESOURCES",
    "reserve_resources": {{
      "agent_id": {{"value": "{}"}},
      "source": [
        {{"type": "SCALAR", "name": "cpus", "scalar": {{"value": 1.0}}}},
        {{"type": "SCALAR", "name": "mem", "scalar": {{"value": 512.0}}}}
      ],
      "resources": {}
    }}
  }})",
                                   agent, resources));
  EXPECT_EQ(reserved.status, 202) << reserved.body;

  auto reservedOf = [&](const std::string& name, const std::string& role) {
    auto agents = post(master, "/api/v1", R"({"type": "GET_AGENTS"})");
    for (const auto& r : agents.json["get_agents"]["agents"][0]["total_resources"].asArray()) {
      if (isString(r["name"], name) && isString(r["reservations"][0]["role"], role)) return r;
    }
    return json::Value();
  };
  ASSERT_TRUE(eventually([&] { return !reservedOf("mem", "role").isNull(); }));
  auto cpus = reservedOf("cpus", "role");
  EXPECT_TRUE(isString(cpus["reservations"][0]["type"], "DYNAMIC")) << json::stringify(cpus);
  EXPECT_TRUE(isString(cpus["reservations"][0]["principal"], "my-principal"))
      << json::stringify(cpus);
  EXPECT_TRUE(isNumber(cpus["scalar"]["value"], 1)) << json::stringify(cpus);
  auto disk = reservedOf("disk", "role1");
  EXPECT_TRUE(isString(disk["reservations"][0]["type"], "STATIC")) << json::stringify(disk);

  const std::string volume = R"([{
        "type": "SCALAR",
        "disk": {
          "persistence": {"id": "id1", "principal": "my-principal"},
          "volume": {"container_path": "path1", "mode": "RW"}
        },
        "name": "disk",
        "role": "role1",
        "scalar": {"value": 64.0}
      }])";
  auto created = post(master, "/api/v1",
                      fmt::format(R"({{
    "type": "CREATE_VOLUMES",
    "create_volumes": {{"agent_id": {{"value": "{}"}}, "volumes": {}}}
  }})",
                                  agent, volume));
  EXPECT_EQ(created.status, 202) << created.body;
  ASSERT_TRUE(eventually([&] { return reservedOf("disk", "role1").find("disk") != nullptr; }));
  disk = reservedOf("disk", "role1");
  EXPECT_TRUE(isString(disk["disk"]["persistence"]["id"], "id1")) << json::stringify(disk);
  EXPECT_TRUE(isString(disk["disk"]["persistence"]["principal"], "my-principal"))
      << json::stringify(disk);
  EXPECT_TRUE(isString(disk["disk"]["volume"]["mode"], "RW")) << json::stringify(disk);
  EXPECT_TRUE(isString(disk["disk"]["volume"]["container_path"], "path1")) << json::stringify(disk);

  auto destroyed = post(master, "/api/v1",
                        fmt::format(R"({{
    "type": "DESTROY_VOLUMES",
    "destroy_volumes": {{"agent_id": {{"value": "{}"}}, "volumes": {}}}
  }})",
                                    agent, volume));
  EXPECT_EQ(destroyed.status, 202) << destroyed.body;
  ASSERT_TRUE(eventually([&] {
    auto d = reservedOf("disk", "role1");
    return !d.isNull() && d.find("disk") == nullptr;
  }));

  auto unreserved = post(master, "/api/v1",
                         fmt::format(R"({{
    "type": "UNRESERVE_RESOURCES",
    "unreserve_resources": {{"agent_id": {{"value": "{}"}}, "resources": {}}}
  }})",
                                     agent, resources));
  EXPECT_EQ(unreserved.status, 202) << unreserved.body;
  EXPECT_TRUE(eventually(
      [&] { return reservedOf("cpus", "role").isNull() && reservedOf("mem", "role").isNull(); }));
}

// The legacy endpoints take form-encoded bodies: slaveId plus a JSON array.
TEST(DocsJsonOps, LegacyReserveAndVolumeEndpointsTakeFormBodies) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:2048;disk:1024");
  auto master = cluster.master();
  std::string agent = agentIdOf(cluster);
  const std::string form = "application/x-www-form-urlencoded";
  const std::string resources = http::urlEncode(R"([
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
     "role": "ads", "reservation": {"principal": "ops"}},
    {"name": "disk", "type": "SCALAR", "scalar": {"value": 32},
     "role": "ads", "reservation": {"principal": "ops"}}
  ])");
  auto reserved =
      send(master, "POST", "/master/reserve", "slaveId=" + agent + "&resources=" + resources, form);
  EXPECT_EQ(reserved.status, 202) << reserved.body;
  const std::string volumes = http::urlEncode(R"([
    {"name": "disk", "type": "SCALAR", "scalar": {"value": 32},
     "role": "ads", "reservation": {"principal": "ops"},
     "disk": {"persistence": {"id": "id1", "principal": "ops"},
              "volume": {"mode": "RW", "container_path": "path1"}}}
  ])");
  auto slaves = [&] { return send(master, "GET", "/master/slaves", "").json["slaves"][0]; };
  ASSERT_TRUE(eventually([&] { return slaves()["reserved_resources"].find("ads") != nullptr; }));
  auto created = send(master, "POST", "/master/create-volumes",
                      "slaveId=" + agent + "&volumes=" + volumes, form);
  EXPECT_EQ(created.status, 202) << created.body;
  ASSERT_TRUE(eventually([&] {
    json::Value slave = slaves();
    for (const auto& r : slave["reserved_resources_full"]["ads"].asArray()) {
      if (isString(r["disk"]["persistence"]["id"], "id1")) return true;
    }
    return false;
  })) << json::stringify(slaves());
  auto destroyed = send(master, "POST", "/master/destroy-volumes",
                        "slaveId=" + agent + "&volumes=" + volumes, form);
  EXPECT_EQ(destroyed.status, 202) << destroyed.body;
  ASSERT_TRUE(eventually([&] {
    json::Value slave = slaves();
    for (const auto& r : slave["reserved_resources_full"]["ads"].asArray()) {
      if (r.find("disk") != nullptr && r["disk"].find("persistence") != nullptr) return false;
    }
    return true;
  }));
  auto unreserved = send(master, "POST", "/master/unreserve",
                         "slaveId=" + agent + "&resources=" + resources, form);
  EXPECT_EQ(unreserved.status, 202) << unreserved.body;
  EXPECT_TRUE(eventually([&] { return slaves()["reserved_resources"].find("ads") == nullptr; }));

  // Bad requests are refused with a message naming what is wrong.
  auto no_agent = send(master, "POST", "/reserve", "resources=" + resources, form);
  EXPECT_EQ(no_agent.status, 400);
  EXPECT_NE(no_agent.body.find("slaveId"), std::string::npos) << no_agent.body;
  auto bad_json = send(master, "POST", "/reserve", "slaveId=" + agent + "&resources=%5Bnope", form);
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.body.find("resources"), std::string::npos) << bad_json.body;
  auto no_volumes = send(master, "POST", "/create-volumes", "slaveId=" + agent, form);
  EXPECT_EQ(no_volumes.status, 400);
  EXPECT_NE(no_volumes.body.find("volumes"), std::string::npos) << no_volumes.body;
  auto get = send(master, "GET", "/master/reserve", "");
  EXPECT_EQ(get.status, 405);
}

// --- a multi-role scheduler: operations on offers, UPDATE_FRAMEWORK, SUPPRESS/REVIVE --------

const char* kMultiRoleSubscribe = R"({
  "type": "SUBSCRIBE",
  "subscribe": {
    "framework_info": {
      "user": "foo",
      "name": "Example HTTP Framework",
      "roles": ["test1", "test2"],
      "capabilities": [{"type": "MULTI_ROLE"}],
      "principal": "my-principal"
    }
  }
})";

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

// --- maintenance ----------------------------------------------------------------------------

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

// --- a task group, then the agent's operator API ---------------------------------------------

TEST(DocsJsonOps, LaunchGroupThenTheAgentsOperatorCalls) {
  Cluster cluster;
  size_t a = cluster.addAgent("cpus:2;mem:1024;disk:512");
  auto agent_ep = cluster.agentEndpoint(a);
  JsonScheduler s(cluster.master());
  ASSERT_TRUE(s.subscribe(kMultiRoleSubscribe));
  const std::string fw = s.frameworkId();
  auto offer = s.offerWhere([](const json::Value&) { return true; });
  ASSERT_TRUE(offer);
  std::string agent = (*offer)["agent_id"]["value"].asString();
  std::string role = (*offer)["allocation_info"]["role"].asString();
  auto res = [&](double cpus, double mem) {
    return fmt::format(R"([{{"name": "cpus", "type": "SCALAR", "scalar": {{"value": {}}},
                             "allocation_info": {{"role": "{}"}}}},
                           {{"name": "mem", "type": "SCALAR", "scalar": {{"value": {}}},
                             "allocation_info": {{"role": "{}"}}}}])",
                       cpus, role, mem, role);
  };
  auto launched = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "ACCEPT",
    "accept": {{
      "offer_ids": [{{"value": "{}"}}],
      "operations": [{{
        "type": "LAUNCH_GROUP",
        "launch_group": {{
          "executor": {{
            "type": "DEFAULT",
            "executor_id": {{"value": "docs-executor"}},
            "framework_id": {{"value": "{}"}},
            "resources": {}
          }},
          "task_group": {{"tasks": [{{
            "name": "docs-task",
            "task_id": {{"value": "docs-task"}},
            "agent_id": {{"value": "{}"}},
            "resources": {},
            "command": {{"value": "echo hello-docs > out.txt; sleep 60"}}
          }}]}}
        }}
      }}]
    }}
  }})",
                                     fw, (*offer)["id"]["value"].asString(), fw, res(0.1, 32),
                                     agent, res(0.5, 64)));
  ASSERT_EQ(launched.status, 202) << launched.body;
  std::optional<json::Value> running;
  while (auto update = s.next("UPDATE")) {
    const auto& status = (*update)["update"]["status"];
    ASSERT_TRUE(isString(status["state"], "TASK_STARTING") ||
                isString(status["state"], "TASK_RUNNING"))
        << json::stringify(*update);
    if (status.find("uuid") != nullptr) {
      EXPECT_EQ(s.post(fmt::format(R"({{"framework_id": {{"value": "{}"}}, "type": "ACKNOWLEDGE",
          "acknowledge": {{"agent_id": {{"value": "{}"}}, "task_id": {{"value": "docs-task"}},
                           "uuid": "{}"}}}})",
                                   fw, agent, status["uuid"].asString()))
                    .status,
                202);
    }
    if (isString(status["state"], "TASK_RUNNING")) {
      running = *update;
      break;
    }
  }
  ASSERT_TRUE(running);

  auto call = [&](const std::string& body) { return post(agent_ep, "/api/v1", body); };

  auto health = call(R"({"type": "GET_HEALTH"})");
  expectJson200(health, "GET_HEALTH");
  EXPECT_TRUE(isString(health.json["type"], "GET_HEALTH"));
  EXPECT_TRUE(health.json["get_health"]["healthy"].isBool() &&
              health.json["get_health"]["healthy"].asBool());

  auto flags = call(R"({"type": "GET_FLAGS"})");
  expectJson200(flags, "GET_FLAGS");
  ASSERT_GT(flags.json["get_flags"]["flags"].size(), 0u) << flags.body;
  EXPECT_TRUE(flags.json["get_flags"]["flags"][0]["name"].isString());
  EXPECT_TRUE(flags.json["get_flags"]["flags"][0]["value"].isString());

  auto version = call(R"({"type": "GET_VERSION"})");
  expectJson200(version, "GET_VERSION");
  const auto& vi = version.json["get_version"]["version_info"];
  EXPECT_TRUE(vi["version"].isString()) << version.body;
  if (vi.find("build_time") != nullptr) {
    EXPECT_TRUE(vi["build_time"].isNumber()) << version.body;
  }

  auto metrics = call(R"({"type": "GET_METRICS",
                          "get_metrics": {"timeout": {"nanoseconds": 5000000000}}})");
  expectJson200(metrics, "GET_METRICS");
  ASSERT_GT(metrics.json["get_metrics"]["metrics"].size(), 0u) << metrics.body;
  bool uptime = false;
  for (const auto& m : metrics.json["get_metrics"]["metrics"].asArray()) {
    EXPECT_TRUE(m["name"].isString());
    EXPECT_TRUE(m["value"].isNumber()) << json::stringify(m);
    uptime = uptime || isString(m["name"], "slave/uptime_secs");
  }
  EXPECT_TRUE(uptime) << metrics.body;

  auto set_level = call(R"({"type": "SET_LOGGING_LEVEL",
      "set_logging_level": {"duration": {"nanoseconds": 60000000000}, "level": 1}})");
  EXPECT_EQ(set_level.status, 200) << set_level.body;
  auto level = call(R"({"type": "GET_LOGGING_LEVEL"})");
  expectJson200(level, "GET_LOGGING_LEVEL");
  EXPECT_TRUE(isNumber(level.json["get_logging_level"]["level"], 1)) << level.body;

  auto frameworks = call(R"({"type": "GET_FRAMEWORKS"})");
  expectJson200(frameworks, "GET_FRAMEWORKS");
  EXPECT_TRUE(isString(
      frameworks.json["get_frameworks"]["frameworks"][0]["framework_info"]["id"]["value"], fw))
      << frameworks.body;

  auto executors = call(R"({"type": "GET_EXECUTORS"})");
  expectJson200(executors, "GET_EXECUTORS");
  const auto& executor = executors.json["get_executors"]["executors"][0]["executor_info"];
  EXPECT_TRUE(isString(executor["executor_id"]["value"], "docs-executor")) << executors.body;
  EXPECT_TRUE(isString(executor["type"], "DEFAULT")) << executors.body;

  auto tasks = call(R"({"type": "GET_TASKS"})");
  expectJson200(tasks, "GET_TASKS");
  const auto& task = tasks.json["get_tasks"]["launched_tasks"][0];
  EXPECT_TRUE(isString(task["task_id"]["value"], "docs-task")) << tasks.body;
  EXPECT_TRUE(isString(task["state"], "TASK_RUNNING")) << tasks.body;
  EXPECT_TRUE(isString(task["framework_id"]["value"], fw)) << tasks.body;
  EXPECT_TRUE(isString(task["executor_id"]["value"], "docs-executor")) << tasks.body;
  EXPECT_TRUE(task["resources"][0]["scalar"]["value"].isNumber()) << tasks.body;

  auto state = call(R"({"type": "GET_STATE"})");
  expectJson200(state, "GET_STATE");
  const auto& gs = state.json["get_state"];
  EXPECT_TRUE(gs["get_tasks"].isObject()) << state.body;
  EXPECT_TRUE(gs["get_executors"].isObject()) << state.body;
  EXPECT_TRUE(gs["get_frameworks"].isObject()) << state.body;
  EXPECT_TRUE(isString(gs["get_tasks"]["launched_tasks"][0]["task_id"]["value"], "docs-task"))
      << state.body;

  auto containers = call(R"({"type": "GET_CONTAINERS"})");
  expectJson200(containers, "GET_CONTAINERS");
  ASSERT_GT(containers.json["get_containers"]["containers"].size(), 0u) << containers.body;
  const auto& container = containers.json["get_containers"]["containers"][0];
  EXPECT_TRUE(container["container_id"]["value"].isString()) << containers.body;
  EXPECT_TRUE(isString(container["executor_id"]["value"], "docs-executor")) << containers.body;
  EXPECT_TRUE(isString(container["framework_id"]["value"], fw)) << containers.body;
  EXPECT_TRUE(container["container_status"]["container_id"]["value"].isString()) << containers.body;
  EXPECT_TRUE(container["container_status"]["executor_pid"].isNumber()) << containers.body;
  // The usage sample: the default executor's container holds the executor (0.1 cpus, 32 MB)
  // and its group's task (0.5 cpus, 64 MB).
  const auto& usage = container["resource_statistics"];
  EXPECT_GT(usage["timestamp"].asDouble(), 1.5e9) << containers.body;
  EXPECT_EQ(usage["cpus_limit"].asDouble(), 0.6) << containers.body;
  EXPECT_EQ(usage["mem_limit_bytes"].asDouble(), 96.0 * 1024 * 1024) << containers.body;
  EXPECT_GT(usage["mem_rss_bytes"].asDouble(), 0) << containers.body;

  // The sandbox, through LIST_FILES and READ_FILE.
  auto agent_state = send(agent_ep, "GET", "/state", "");
  std::string directory;
  for (const auto& f : agent_state.json["frameworks"].asArray()) {
    for (const auto& e : f["executors"].asArray()) directory = e["directory"].asString();
  }
  ASSERT_FALSE(directory.empty()) << agent_state.body;
  auto listed =
      call(fmt::format(R"({{"type": "LIST_FILES", "list_files": {{"path": "{}"}}}})", directory));
  expectJson200(listed, "LIST_FILES");
  ASSERT_GT(listed.json["list_files"]["file_infos"].size(), 0u) << listed.body;
  const auto& fi = listed.json["list_files"]["file_infos"][0];
  EXPECT_TRUE(fi["path"].isString()) << listed.body;
  EXPECT_TRUE(fi["nlink"].isNumber()) << listed.body;
  EXPECT_TRUE(fi["size"].isNumber()) << listed.body;
  EXPECT_TRUE(fi["mode"].isNumber()) << listed.body;
  EXPECT_TRUE(fi["mtime"]["nanoseconds"].isNumber()) << listed.body;
  EXPECT_TRUE(fi["uid"].isString()) << listed.body;
  EXPECT_TRUE(fi["gid"].isString()) << listed.body;

  // The task writes into its own sandbox, nested in the executor's.
  std::string out;
  ASSERT_TRUE(eventually([&] {
    auto ls = call(fmt::format(
        R"({{"type": "LIST_FILES", "list_files": {{"path": "{}/tasks/docs-task"}}}})", directory));
    for (const auto& f : ls.json["list_files"]["file_infos"].asArray()) {
      if (f["path"].asString().ends_with("/out.txt") && f["size"].asDouble() > 0) {
        out = f["path"].asString();
      }
    }
    return !out.empty();
  }));
  auto read = call(fmt::format(
      R"({{"type": "READ_FILE", "read_file": {{"length": 5, "offset": 1, "path": "{}"}}}})", out));
  expectJson200(read, "READ_FILE");
  EXPECT_TRUE(isNumber(read.json["read_file"]["size"], 11)) << read.body;          // "hello-docs\n"
  EXPECT_TRUE(isString(read.json["read_file"]["data"], "ZWxsby0=")) << read.body;  // "ello-"

  // /monitor/statistics: an array with string ids and a statistics object.
  auto stats = send(agent_ep, "GET", "/monitor/statistics", "");
  expectJson200(stats, "/monitor/statistics");
  ASSERT_TRUE(stats.json.isArray()) << stats.body;
  ASSERT_GT(stats.json.size(), 0u) << stats.body;
  const auto& entry = stats.json[0];
  EXPECT_TRUE(isString(entry["executor_id"], "docs-executor")) << stats.body;
  EXPECT_TRUE(isString(entry["framework_id"], fw)) << stats.body;
  EXPECT_TRUE(entry["executor_name"].isString()) << stats.body;
  EXPECT_TRUE(entry["source"].isString()) << stats.body;
  EXPECT_TRUE(entry["statistics"]["timestamp"].isNumber()) << stats.body;
  EXPECT_TRUE(entry["statistics"]["cpus_limit"].isNumber()) << stats.body;
  EXPECT_TRUE(entry["statistics"]["mem_limit_bytes"].isNumber()) << stats.body;
  auto prefixed = send(agent_ep, "GET", "/monitor/statistics.json", "");
  EXPECT_EQ(prefixed.status, 200);
}

}  // namespace
}  // namespace plateau::testing
