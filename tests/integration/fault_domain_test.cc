// Fault domains on real daemons (--domain on the master and the agents, --require_agent_domain):
// offers carry the agent's domain, agents in another region than the master's are offered only
// to REGION_AWARE frameworks, and a master that requires a domain refuses an agent without one.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

std::string domain(const std::string& region, const std::string& zone) {
  return fmt::format(R"(--domain={{"fault_domain": {{"region": {{"name": "{}"}}, )"
                     R"("zone": {{"name": "{}"}}}}}})",
                     region, zone);
}

// The regions of the agents an OFFERS event names.
std::set<std::string> regions(const scheduler::Event& offers) {
  std::set<std::string> out;
  for (const auto& offer : offers.offers().offers()) {
    out.insert(offer.domain().fault_domain().region().name());
  }
  return out;
}

TEST(FaultDomains, RemoteAgentsAreOfferedOnlyToRegionAwareFrameworks) {
  Cluster cluster({domain("east", "east-a")});
  cluster.addAgent("cpus:1;mem:256", {domain("east", "east-b")});
  cluster.addAgent("cpus:1;mem:256", {domain("west", "west-a")});
  auto state = json::parse(cluster.get("/master/state"));
  ASSERT_TRUE(state);
  EXPECT_EQ((*state)["leader_info"]["domain"]["fault_domain"]["region"]["name"].asString(), "east");
  std::set<std::string> listed;
  for (const auto& agent : (*state)["slaves"].asArray()) {
    listed.insert(agent["domain"]["fault_domain"]["zone"]["name"].asString());
  }
  EXPECT_EQ(listed, (std::set<std::string>{"east-b", "west-a"}));

  // Not REGION_AWARE: two allocation rounds offer the local agent, never the remote one.
  Scheduler local(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(local.subscribe(frameworkInfo("local", {"*"})));
  for (int round = 0; round < 2; round++) {
    auto offers = local.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers);
    EXPECT_EQ(regions(*offers), std::set<std::string>{"east"});
    EXPECT_EQ(offers->offers().offers(0).domain().fault_domain().zone().name(), "east-b");
    local.declineAll(*offers, 0);
  }
  local.close();

  // REGION_AWARE: the remote agent is offered too, with its domain.
  Scheduler aware(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info = frameworkInfo("aware", {"*"});
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::REGION_AWARE);
  ASSERT_TRUE(aware.subscribe(info));
  std::set<std::string> seen;
  ASSERT_TRUE(eventually([&] {
    if (auto offers = aware.next(scheduler::Event::OFFERS, 1s)) {
      seen.merge(regions(*offers));
      aware.declineAll(*offers, 0);
    }
    return seen.contains("west");
  }));
}

TEST(FaultDomains, AMasterThatRequiresADomainRefusesAnAgentWithoutOne) {
  Cluster cluster({domain("east", "east-a"), "--require_agent_domain"});
  Process agent(
      "agent",
      {std::string(PLATEAU_BIN_DIR) + "/plateau-agent",
       fmt::format("--master=127.0.0.1:{}", cluster.master().port), "--ip=127.0.0.1", "--port=0",
       fmt::format("--work_dir={}/nodomain", cluster.dir()), "--resources=cpus:1;mem:256"},
      cluster.dir() + "/nodomain.log");
  EXPECT_TRUE(eventually([&] {
    return agent.log().find("agent_shutdown_by_master") != std::string::npos;
  })) << agent.log();
  EXPECT_NE(agent.log().find("--require_agent_domain"), std::string::npos) << agent.log();
  EXPECT_EQ(cluster.registeredAgents(), 0u);
  // With a domain it registers.
  cluster.addAgent("cpus:1;mem:256", {domain("east", "east-b")});
  EXPECT_EQ(cluster.registeredAgents(), 1u);
}

TEST(FaultDomains, AMalformedDomainStopsTheDaemonNamingTheFlag) {
  std::string log = fmt::format("/tmp/plateau-domain-{}.log", ::getpid());
  Process master(
      "master",
      {std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--port=0", "--registry=in_memory",
       R"(--domain={"fault_domain": {"region": {"name": "r"}}})"},
      log);
  int status = master.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_NE(master.log().find("--domain"), std::string::npos) << master.log();
  std::remove(log.c_str());
}

}  // namespace
}  // namespace plateau::testing
