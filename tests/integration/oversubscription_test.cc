// Oversubscription end to end: an agent with Mesos's fixed resource estimator reports revocable
// cpus; the master offers them to a REVOCABLE_RESOURCES framework only, whose task runs on them
// (with a low CPU priority where cgroups/cpu can be used), and never to a framework without it.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/revocable.h"
#include "harness.h"
#include "revocable_offers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kModules =
    R"(--modules={"libraries": [{"file": "libfixed_resource_estimator.so", "modules": [)"
    R"({"name": "org_apache_mesos_FixedResourceEstimator",)"
    R"( "parameters": [{"key": "resources", "value": "cpus:4"}]}]}]})";

std::vector<std::string> estimatorFlags() {
  return {"--resource_estimator=org_apache_mesos_FixedResourceEstimator", kModules,
          "--oversubscribed_resources_interval=100ms"};
}

// Whether a v1 cpu hierarchy takes new cgroups here (root, writable), and what the containers
// under a --cgroups_root got; removes that root at the end.
class CgroupsProbe {
 public:
  CgroupsProbe() {
    std::ifstream in("/proc/self/mounts");
    std::string dev, dir, type, options, rest;
    while (in >> dev >> dir >> type >> options && std::getline(in, rest)) {
      if (type == "cgroup" && ("," + options + ",").find(",cpu,") != std::string::npos) {
        mount_ = dir;
      }
    }
    if (::geteuid() != 0) {
      why_ = "needs root to create cgroups";
    } else if (mount_.empty()) {
      why_ = "no cgroups v1 cpu hierarchy";
    } else if (std::error_code ec; !fs::create_directory(probe(), ec) || ec) {
      why_ = "cannot create a cgroup under " + mount_;
    } else {
      fs::remove(probe(), ec);
    }
  }
  ~CgroupsProbe() {
    std::error_code ec;
    for (const auto& root : roots_) {
      for (const auto& child : fs::directory_iterator(root, ec)) {
        if (child.is_directory()) {
          fs::remove(child.path(), ec);
        }
      }
      fs::remove(root, ec);
    }
  }
  bool cpuUsable() const { return why_.empty(); }
  // Removes the cgroups under `root` (and it) at the end.
  void own(const std::string& root) { roots_.insert(fs::path(mount_) / root); }
  const std::string& why() const { return why_; }
  // Whether some container's cgroup under `root` has cpu.shares `value`.
  bool anyShares(const std::string& root, const std::string& value) {
    const fs::path dir = fs::path(mount_) / root;
    std::error_code ec;
    for (const auto& child : fs::directory_iterator(dir, ec)) {
      std::ifstream in(child.path() / "cpu.shares");
      std::string shares;
      if (in >> shares && shares == value) {
        return true;
      }
    }
    return false;
  }

 private:
  fs::path probe() const { return fs::path(mount_) / fmt::format("plateau-probe-{}", ::getpid()); }

  std::string mount_;
  std::string why_;
  std::set<fs::path> roots_;
};

bool hasRevocable(const scheduler::Event& offers) {
  for (const auto& offer : offers.offers().offers()) {
    for (const auto& r : offer.resources()) {
      if (r.has_revocable()) {
        return true;
      }
    }
  }
  return false;
}

void decline(Scheduler& s, const scheduler::Event& offers) {
  scheduler::Call call;
  call.set_type(scheduler::Call::DECLINE);
  for (const auto& offer : offers.offers().offers()) {
    *call.mutable_decline()->add_offer_ids() = offer.id();
  }
  call.mutable_decline()->mutable_filters()->set_refuse_seconds(0);
  ASSERT_EQ(s.call(call), 202) << s.lastResponse().body;
}

bool masterKnowsEstimate(Cluster& cluster) {
  return cluster.masterProcess().log().find("agent_oversubscribed_updated") != std::string::npos;
}

TEST(Oversubscription, AFrameworkWithoutTheCapabilityIsNeverOfferedRevocableResources) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256", estimatorFlags());
  ASSERT_TRUE(eventually([&] { return masterKnowsEstimate(cluster); }));
  Scheduler plain(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(plain.subscribe(revocableFramework("root", false)));
  // Alone, it is offered the agent again and again (each offer declined at once); the 4 free
  // revocable cpus would be in one of these offers if they went to it.
  for (int i = 0; i < 3; ++i) {
    auto offers = plain.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers) << "offer " << i;
    EXPECT_FALSE(hasRevocable(*offers)) << offers->DebugString();
    decline(plain, *offers);
  }
}

TEST(Oversubscription, ACapableFrameworkRunsATaskOnRevocableCpus) {
  CgroupsProbe cgroups;
  std::vector<std::string> flags = estimatorFlags();
  const std::string root = fmt::format("plateau-revocable-{}", ::getpid());
  if (cgroups.cpuUsable()) {
    flags.push_back("--isolation=cgroups/cpu");
    flags.push_back("--cgroups_root=" + root);
    cgroups.own(root);
  }
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256", flags);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(revocableFramework("root", true)));
  // The estimate may come after the first offer: offers add up until they hold the 4 revocable
  // cpus of the fixed estimator.
  std::vector<v1::Offer> held = holdRevocableOffers(s, 4);
  ASSERT_FALSE(held.empty());
  // One task: 1 revocable cpu and 32 MB of the agent's own memory.
  scheduler::Call accept =
      acceptWith(held, {sleepingTask("revocable", held.front().agent_id(), true)});
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();
  if (!cgroups.cpuUsable()) {
    GTEST_SKIP() << "the task ran; cpu.shares not checked: " << cgroups.why();
  }
  // 1 revocable cpu and the command executor's 0.1: 10 shares a cpu, Mesos's low priority.
  EXPECT_TRUE(eventually([&] { return cgroups.anyShares(root, "11"); }))
      << "no container under " << root << " with cpu.shares 11";
}

}  // namespace
}  // namespace plateau::testing
