// Quota and explanations through real master, agents and frameworks: quota validated, persisted
// and enforced, the legacy /quota endpoint, `plateau explain` and GET /master/explain, and the
// CLI's quota commands.

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/resources.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

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
