// Mesos's deprecated quota calls against a real master and agent: SET_QUOTA and REMOVE_QUOTA
// of the operator API and the legacy /quota endpoint, with Mesos's status codes (400 for an
// invalid request or a role that already has quota, 409 for a guarantee the cluster cannot
// hold unless forced), kept across a master restart.

#include <algorithm>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "common/json.h"
#include "docs_json_ops.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

std::string setQuota(const std::string& role, const std::string& guarantee, bool force = false) {
  return R"({"type":"SET_QUOTA","set_quota":{"quota_request":{"role":")" + role + R"(","force":)" +
         (force ? "true" : "false") + R"(,"guarantee":)" + guarantee + "}}}";
}

std::string cpus(double value) {
  return R"([{"name":"cpus","type":"SCALAR","scalar":{"value":)" + std::to_string(value) + "}}]";
}

// The role's quota config as GET_QUOTA shows it (null when it has none).
json::Value quotaOf(Cluster& cluster, const std::string& role) {
  auto r = operatorCall(cluster, R"({"type":"GET_QUOTA"})");
  EXPECT_EQ(r.status, 200) << r.body;
  auto doc = json::parse(r.body);
  if (!doc) {
    return json::Value();
  }
  for (const auto& config : (*doc)["get_quota"]["status"]["configs"].asArray()) {
    if (config["role"].asString() == role) {
      return config;
    }
  }
  return json::Value();
}

template <typename Reply>
bool mentions(const Reply& r, const std::string& text) {
  return r.body.find(text) != std::string::npos;
}

TEST(LegacyQuota, SetQuotaGuaranteesAndLimitsOnceAndRemoveQuotaLiftsIt) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");

  auto set = operatorCall(cluster, setQuota("dev", cpus(1.5)));
  ASSERT_EQ(set.status, 200) << set.body;
  json::Value dev = quotaOf(cluster, "dev");
  ASSERT_FALSE(dev.isNull());
  // The guarantee is also the limit, as Mesos 1.9+ stores a legacy request.
  EXPECT_EQ(dev["guarantees"]["cpus"]["value"].asDouble(), 1.5);
  EXPECT_EQ(dev["limits"]["cpus"]["value"].asDouble(), 1.5);

  // A second SET_QUOTA of the same role is refused, the first kept.
  auto again = operatorCall(cluster, setQuota("dev", cpus(1)));
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_TRUE(mentions(again, "already has quota")) << again.body;
  EXPECT_EQ(quotaOf(cluster, "dev")["guarantees"]["cpus"]["value"].asDouble(), 1.5);

  // It survives a master restart (stored in the registry).
  cluster.restartMaster();
  EXPECT_EQ(quotaOf(cluster, "dev")["limits"]["cpus"]["value"].asDouble(), 1.5);

  auto removed = operatorCall(cluster, R"({"type":"REMOVE_QUOTA","remove_quota":{"role":"dev"}})");
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_TRUE(quotaOf(cluster, "dev").isNull());
  auto twice = operatorCall(cluster, R"({"type":"REMOVE_QUOTA","remove_quota":{"role":"dev"}})");
  EXPECT_EQ(twice.status, 400) << twice.body;
  EXPECT_TRUE(mentions(twice, "has no quota set")) << twice.body;
}

TEST(LegacyQuota, OfConcurrentSetQuotasOfOneRoleOneWins) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");
  for (int round = 0; round < 5; ++round) {
    const std::string role = "r" + std::to_string(round);
    auto first = std::async(std::launch::async,
                            [&] { return operatorCall(cluster, setQuota(role, cpus(0.2))); });
    auto second = std::async(std::launch::async,
                             [&] { return operatorCall(cluster, setQuota(role, cpus(0.1))); });
    const int a = first.get().status;
    const int b = second.get().status;
    EXPECT_EQ(std::min(a, b), 200) << role;
    EXPECT_EQ(std::max(a, b), 400) << role;
  }
}

TEST(LegacyQuota, OvercommitIsAConflictUnlessForced) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  auto big = operatorCall(cluster, setQuota("big", cpus(40)));
  EXPECT_EQ(big.status, 409) << big.body;
  EXPECT_TRUE(mentions(big, "force")) << big.body;
  EXPECT_TRUE(quotaOf(cluster, "big").isNull());
  // Counted with the quota already set: 1.5 + 1 cpus do not fit 2.
  ASSERT_EQ(operatorCall(cluster, setQuota("a", cpus(1.5))).status, 200);
  EXPECT_EQ(operatorCall(cluster, setQuota("b", cpus(1))).status, 409);

  auto forced = operatorCall(cluster, setQuota("big", cpus(40), true));
  EXPECT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(quotaOf(cluster, "big")["guarantees"]["cpus"]["value"].asDouble(), 40);

  // The legacy endpoint answers the same way.
  auto legacy =
      send(cluster.master(), "POST", "/quota", R"({"role":"c","guarantee":)" + cpus(8) + "}");
  EXPECT_EQ(legacy.status, 409) << legacy.body;
}

TEST(LegacyQuota, BadRequestsAreRefusedWithAReason) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024;ports:[31000-32000]");
  struct Case {
    std::string body;
    std::string reason;
  };
  const Case cases[] = {
      {R"({"type":"SET_QUOTA"})", "set_quota"},
      {R"({"type":"REMOVE_QUOTA"})", "remove_quota"},
      {setQuota("dev", "[]"), "empty 'guarantee'"},
      {setQuota("*", cpus(1)), "'*'"},
      {setQuota("dev", R"([{"name":"ports","type":"RANGES",
           "ranges":{"range":[{"begin":31000,"end":31001}]}}])"),
       "non-scalar"},
      {setQuota("dev", R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},
           "reservations":[{"type":"STATIC","role":"dev"}]}])"),
       "ReservationInfo"},
      {setQuota("dev", R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1}},
           {"name":"cpus","type":"SCALAR","scalar":{"value":2}}])"),
       "duplicate"},
      {setQuota("dev", R"([{"name":"cpus","type":"SCALAR","scalar":{"value":-1}}])"), "invalid"},
  };
  for (const auto& c : cases) {
    auto r = operatorCall(cluster, c.body);
    EXPECT_EQ(r.status, 400) << c.body << ": " << r.body;
    EXPECT_TRUE(mentions(r, c.reason)) << c.body << ": " << r.body;
  }
  EXPECT_TRUE(quotaOf(cluster, "dev").isNull());
  auto del = send(cluster.master(), "DELETE", "/quota/nobody", "");
  EXPECT_EQ(del.status, 400) << del.body;
  EXPECT_TRUE(mentions(del, "has no quota set")) << del.body;
}

TEST(LegacyQuota, RolesOutsideTheWhitelistAreUnknown) {
  Cluster cluster({"--roles=eng"});
  cluster.addAgent("cpus:2;mem:512");
  auto other = operatorCall(cluster, setQuota("ops", cpus(1)));
  EXPECT_EQ(other.status, 400) << other.body;
  EXPECT_TRUE(mentions(other, "Unknown role 'ops'")) << other.body;
  EXPECT_EQ(operatorCall(cluster, setQuota("eng", cpus(1))).status, 200);
  auto remove = operatorCall(cluster, R"({"type":"REMOVE_QUOTA","remove_quota":{"role":"ops"}})");
  EXPECT_EQ(remove.status, 400) << remove.body;
}

}  // namespace
}  // namespace plateau::testing
