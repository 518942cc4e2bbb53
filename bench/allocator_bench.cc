// Allocation rounds in the shapes of Mesos's allocator benchmarks.
// - HierarchicalAllocator_BENCHMARK_Test.DeclineOffers (BM_FirstRound, BM_DeclineRounds,
//   BM_SteadyStateRound, BM_FrameworkJoinsSettledCluster, BM_IncrementalEvent): agents of
//   cpus:24;mem:4096;disk:4096;ports:[31000-32000], each with cpus:16;mem:2014;disk:1024 and 16
//   ports used by one framework (round robin), every framework in role "*", and every offer
//   declined with an effectively infinite filter.
// - The same cluster with frameworks spread over roles (flat or two levels), and with half of each
//   agent statically reserved for one of the roles (BM_RolesDeclineRounds).
// - BENCHMARK_HierarchicalAllocator_WithQuotaParam.LargeAndSmallQuota (BM_LargeAndSmallQuota) and
//   BENCHMARK_HierarchicalAllocator_WithNonQuotaVsQuotaParam.NonQuotaVsQuota (BM_NonQuotaVsQuota).

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "master/allocator/allocator.h"

namespace plateau::master::allocator {
namespace {

using std::chrono::duration;
using std::chrono::nanoseconds;

const nanoseconds kForever = std::chrono::duration_cast<nanoseconds>(duration<double>(1e9));

struct Cluster {
  std::unique_ptr<Allocator> allocator = std::make_unique<Allocator>();
  TimePoint now = TimePoint{} + std::chrono::hours(1);
};

Cluster makeCluster(int agents, int frameworks) {
  Cluster cluster;
  const Resources total =
      Resources::parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]").value();
  const Resources used = Resources::parse("cpus:16;mem:2014;disk:1024;ports:[31000-31015]").value();
  std::vector<std::string> framework_ids;
  for (int i = 0; i < frameworks; ++i) {
    framework_ids.push_back(fmt::format("framework-{:05}", i));
    if (!cluster.allocator->addFramework(framework_ids.back(), {.roles = {"*"}}).isOk()) {
      std::abort();
    }
  }
  for (int i = 0; i < agents; ++i) {
    const auto& user = framework_ids[static_cast<size_t>(i % frameworks)];
    if (!cluster.allocator->addAgent(fmt::format("agent-{:06}", i), total, {{user, "*", used}})
             .isOk()) {
      std::abort();
    }
  }
  return cluster;
}

void declineAll(Cluster& cluster, const std::vector<Offer>& offers) {
  for (const Offer& offer : offers) {
    if (!cluster.allocator
             ->recoverResources(offer.framework_id, offer.role, offer.agent_id, offer.resources,
                                kForever, cluster.now)
             .isOk()) {
      std::abort();
    }
  }
}

double secondsOf(Clock::duration elapsed) { return duration<double>(elapsed).count(); }

// The first round after start-up: every agent is offered.
void BM_FirstRound(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  size_t offers = 0;
  for (auto _ : state) {
    Cluster cluster = makeCluster(agents, frameworks);
    const auto start = Clock::now();
    const auto result = cluster.allocator->allocate(cluster.now);
    state.SetIterationTime(secondsOf(Clock::now() - start));
    offers = result.size();
  }
  state.counters["offers"] = static_cast<double>(offers);
}

// Rounds one after another, each followed by (untimed) declines, until every framework has
// filtered every agent: rounds 1..F offer each agent once, round F+1 finds nothing to offer.
void BM_DeclineRounds(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  Cluster cluster = makeCluster(agents, frameworks);
  std::vector<double> times;
  size_t offers = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    const auto result = cluster.allocator->allocate(cluster.now);
    const double elapsed = secondsOf(Clock::now() - start);
    state.SetIterationTime(elapsed);
    times.push_back(elapsed);
    offers += result.size();
    declineAll(cluster, result);
    cluster.now += std::chrono::seconds(1);
  }
  state.counters["offers_per_round"] =
      static_cast<double>(offers) / static_cast<double>(times.size());
  state.counters["first_ms"] = times.front() * 1e3;
  state.counters["last_ms"] = times.back() * 1e3;
  state.counters["max_ms"] = *std::max_element(times.begin(), times.end()) * 1e3;
}

// Declines every offer until every framework has filtered every agent; returns the rounds taken.
int settle(Cluster& cluster) {
  int rounds = 0;
  for (auto offers = cluster.allocator->allocate(cluster.now); !offers.empty();
       offers = cluster.allocator->allocate(cluster.now)) {
    declineAll(cluster, offers);
    cluster.now += std::chrono::seconds(1);
    ++rounds;
  }
  return rounds;
}

// Rounds once every agent is filtered by every framework: nothing changed, nothing to examine.
void BM_SteadyStateRound(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  Cluster cluster = makeCluster(agents, frameworks);
  const int warmup_rounds = settle(cluster);
  size_t offers = 0;
  for (auto _ : state) {
    cluster.now += std::chrono::seconds(1);
    offers += cluster.allocator->allocate(cluster.now).size();
  }
  state.counters["warmup_rounds"] = warmup_rounds;
  state.counters["offers"] = static_cast<double>(offers);
  state.counters["agents_examined"] =
      static_cast<double>(cluster.allocator->lastRound().agents_examined);
}

// A framework joins a settled cluster: the round offers it every agent, trying only the newcomer
// on each agent instead of walking every framework that filtered it.
void BM_FrameworkJoinsSettledCluster(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  Cluster cluster = makeCluster(agents, frameworks);
  settle(cluster);
  int joined = 0;
  size_t offers = 0;
  for (auto _ : state) {
    if (!cluster.allocator->addFramework(fmt::format("joiner-{}", joined++), {.roles = {"*"}})
             .isOk()) {
      std::abort();
    }
    const auto start = Clock::now();
    const auto result = cluster.allocator->allocate(cluster.now);
    state.SetIterationTime(secondsOf(Clock::now() - start));
    offers = result.size();
    declineAll(cluster, result);
    cluster.now += std::chrono::seconds(1);
  }
  state.counters["offers"] = static_cast<double>(offers);
}

// One incremental event on a settled cluster, then the round it causes: a task of cpus:1;mem:128
// ends on one agent, which is offered again to the framework first in order.
void BM_IncrementalEvent(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  Cluster cluster = makeCluster(agents, frameworks);
  settle(cluster);
  const Resources task = Resources::parse("cpus:1;mem:128").value();
  size_t offers = 0;
  int next = 0;
  for (auto _ : state) {
    const int agent = next++ % agents;
    const std::string owner = fmt::format("framework-{:05}", agent % frameworks);
    const auto start = Clock::now();
    if (!cluster.allocator
             ->recoverResources(owner, "*", fmt::format("agent-{:06}", agent), task, std::nullopt,
                                cluster.now)
             .isOk()) {
      std::abort();
    }
    const auto result = cluster.allocator->allocate(cluster.now);
    state.SetIterationTime(secondsOf(Clock::now() - start));
    offers += result.size();
    // Untimed: the framework that got it launches the task again (keeps the cluster settled).
    for (const Offer& offer : result) {
      Resources rest = offer.resources;
      rest -= task;
      if (!cluster.allocator
               ->recoverResources(offer.framework_id, offer.role, offer.agent_id, rest, kForever,
                                  cluster.now)
               .isOk()) {
        std::abort();
      }
    }
  }
  state.counters["offers_per_event"] =
      static_cast<double>(offers) / static_cast<double>(state.iterations());
}

// Frameworks spread over `roles` roles ("role-i", or "team-i/project-j" when nested), half of
// every agent reserved for one role, weights 1..3: the rounds of BM_DeclineRounds.
Cluster makeRolesCluster(int agents, int frameworks, int roles, bool nested, bool reserved) {
  Cluster cluster;
  auto roleName = [&](int i) {
    return nested ? fmt::format("team-{}/project-{}", i % 10, i) : fmt::format("role-{}", i);
  };
  for (int i = 0; i < roles; ++i) {
    if (!cluster.allocator->setWeight(roleName(i), 1 + i % 3).isOk()) std::abort();
  }
  std::vector<std::pair<std::string, std::string>> framework_ids;
  for (int i = 0; i < frameworks; ++i) {
    framework_ids.emplace_back(fmt::format("framework-{:05}", i), roleName(i % roles));
    if (!cluster.allocator
             ->addFramework(framework_ids.back().first, {.roles = {roleName(i % roles)}})
             .isOk()) {
      std::abort();
    }
  }
  for (int i = 0; i < agents; ++i) {
    const auto& [user, role] = framework_ids[static_cast<size_t>(i % frameworks)];
    const std::string text =
        reserved ? fmt::format(
                       "cpus:12;mem:2048;disk:2048;ports:[31000-32000];cpus({0}):12;"
                       "mem({0}):2048;disk({0}):2048",
                       roleName(i % roles))
                 : std::string("cpus:24;mem:4096;disk:4096;ports:[31000-32000]");
    const Resources used = Resources::parse("cpus:8;mem:1014;disk:512;ports:[31000-31015]").value();
    if (!cluster.allocator
             ->addAgent(fmt::format("agent-{:06}", i), Resources::parse(text).value(),
                        {{user, role, used}})
             .isOk()) {
      std::abort();
    }
  }
  return cluster;
}

void BM_RolesDeclineRounds(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  const int roles = static_cast<int>(state.range(2));
  const bool nested = state.range(3) != 0;
  const bool reserved = state.range(4) != 0;
  Cluster cluster = makeRolesCluster(agents, frameworks, roles, nested, reserved);
  std::vector<double> times;
  size_t offers = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    const auto result = cluster.allocator->allocate(cluster.now);
    const double elapsed = secondsOf(Clock::now() - start);
    state.SetIterationTime(elapsed);
    times.push_back(elapsed);
    offers += result.size();
    declineAll(cluster, result);
    cluster.now += std::chrono::seconds(1);
  }
  state.counters["offers_per_round"] =
      static_cast<double>(offers) / static_cast<double>(times.size());
  state.counters["first_ms"] = times.front() * 1e3;
}

// Mesos's LargeAndSmallQuota: agents of cpus:2;mem:2048;disk:2048, "small" roles with a guarantee
// of half an agent and "large" ones of two agents, one framework each; the first round satisfies
// every guarantee, the second finds nothing.
void BM_LargeAndSmallQuota(benchmark::State& state) {
  const int small = static_cast<int>(state.range(0));
  const int large = static_cast<int>(state.range(1));
  const int agents = small / 5 + large * 5;
  double second_ms = 0;
  size_t offers = 0;
  for (auto _ : state) {
    Cluster cluster;
    auto& allocator = *cluster.allocator;
    for (int i = 0; i < small; ++i) {
      const std::string role = fmt::format("small-{}", i);
      if (!allocator
               .setQuota(role, Quota{Resources::parse("cpus:1;mem:1024;disk:1024").value(), {}})
               .isOk() ||
          !allocator.addFramework(fmt::format("fw-small-{}", i), {.roles = {role}}).isOk()) {
        std::abort();
      }
    }
    for (int i = 0; i < large; ++i) {
      const std::string role = fmt::format("large-{}", i);
      if (!allocator
               .setQuota(role, Quota{Resources::parse("cpus:4;mem:4096;disk:4096").value(), {}})
               .isOk() ||
          !allocator.addFramework(fmt::format("fw-large-{}", i), {.roles = {role}}).isOk()) {
        std::abort();
      }
    }
    const Resources total = Resources::parse("cpus:2;mem:2048;disk:2048").value();
    for (int i = 0; i < agents; ++i) {
      if (!allocator.addAgent(fmt::format("agent-{:06}", i), total, {}).isOk()) std::abort();
    }
    auto start = Clock::now();
    offers = allocator.allocate(cluster.now).size();
    state.SetIterationTime(secondsOf(Clock::now() - start));
    start = Clock::now();
    if (!allocator.allocate(cluster.now).empty()) std::abort();
    second_ms = secondsOf(Clock::now() - start) * 1e3;
  }
  state.counters["agents"] = agents;
  state.counters["offers"] = static_cast<double>(offers);
  state.counters["second_round_ms"] = second_ms;
}

// Mesos's NonQuotaVsQuota: `roles` roles with 2 frameworks each, 2 agents of
// cpus:2;mem:2048;disk:2048 per role, and (with quota) a guarantee of 2 whole agents per role.
void BM_NonQuotaVsQuota(benchmark::State& state) {
  const int roles = static_cast<int>(state.range(0));
  const bool quota = state.range(1) != 0;
  size_t offers = 0;
  double second_ms = 0;
  for (auto _ : state) {
    Cluster cluster;
    auto& allocator = *cluster.allocator;
    for (int i = 0; i < roles; ++i) {
      const std::string role = fmt::format("role-{}", i);
      for (int f = 0; f < 2; ++f) {
        if (!allocator.addFramework(fmt::format("fw-{}-{}", i, f), {.roles = {role}}).isOk()) {
          std::abort();
        }
      }
      if (quota &&
          !allocator
               .setQuota(role, Quota{Resources::parse("cpus:4;mem:4096;disk:4096").value(), {}})
               .isOk()) {
        std::abort();
      }
    }
    const Resources total = Resources::parse("cpus:2;mem:2048;disk:2048").value();
    for (int i = 0; i < roles * 2; ++i) {
      if (!allocator.addAgent(fmt::format("agent-{:06}", i), total, {}).isOk()) std::abort();
    }
    auto start = Clock::now();
    offers = allocator.allocate(cluster.now).size();
    state.SetIterationTime(secondsOf(Clock::now() - start));
    start = Clock::now();
    if (!allocator.allocate(cluster.now).empty()) std::abort();
    second_ms = secondsOf(Clock::now() - start) * 1e3;
  }
  state.counters["offers"] = static_cast<double>(offers);
  state.counters["second_round_ms"] = second_ms;
}

void clusterSizes(benchmark::internal::Benchmark* bench) {
  bench->ArgNames({"agents", "frameworks"});
  for (int agents : {1000, 10000}) {
    for (int frameworks : {10, 100, 1000}) {
      bench->Args({agents, frameworks});
    }
  }
}

BENCHMARK(BM_FirstRound)
    ->Apply(clusterSizes)
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SteadyStateRound)
    ->Apply(clusterSizes)
    ->Iterations(1000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FrameworkJoinsSettledCluster)
    ->Apply(clusterSizes)
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_IncrementalEvent)
    ->Apply(clusterSizes)
    ->UseManualTime()
    ->Iterations(2000)
    ->Unit(benchmark::kMicrosecond);
// agents, frameworks, roles, nested, reserved; the first 20 decline rounds.
BENCHMARK(BM_RolesDeclineRounds)
    ->ArgNames({"agents", "frameworks", "roles", "nested", "reserved"})
    ->Args({10000, 1000, 10, 0, 0})
    ->Args({10000, 1000, 100, 0, 0})
    ->Args({10000, 1000, 1000, 0, 0})
    ->Args({10000, 1000, 100, 1, 0})
    ->Args({10000, 1000, 100, 0, 1})
    ->Args({10000, 1000, 100, 1, 1})
    // Reduced shapes, for instruction counts under callgrind.
    ->Args({1000, 100, 10, 0, 0})
    ->Args({1000, 100, 10, 0, 1})
    ->Args({1000, 100, 10, 1, 1})
    ->UseManualTime()
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LargeAndSmallQuota)
    ->ArgNames({"small_roles", "large_roles"})
    ->Args({25, 5})
    ->Args({250, 50})
    ->Args({2500, 500})
    ->Args({25000, 0})
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NonQuotaVsQuota)
    ->ArgNames({"roles", "quota"})
    ->ArgsProduct({{10, 100, 1000, 5000}, {0, 1}})
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// Iterations = frameworks + 1 rounds, so each size gets its own registration.
[[maybe_unused]] const bool kRegistered = [] {
  for (int agents : {1000, 10000}) {
    for (int frameworks : {10, 100, 1000}) {
      benchmark::RegisterBenchmark("BM_DeclineRounds", BM_DeclineRounds)
          ->ArgNames({"agents", "frameworks"})
          ->Args({agents, frameworks})
          ->UseManualTime()
          ->Iterations(frameworks + 1)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace plateau::master::allocator
