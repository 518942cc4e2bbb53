// Allocation rounds in the shape of Mesos's HierarchicalAllocator_BENCHMARK_Test.DeclineOffers:
// agents of cpus:24;mem:4096;disk:4096;ports:[31000-32000], each with cpus:16;mem:2014;disk:1024
// and 16 ports used by one framework (round robin), every framework in role "*", and every offer
// declined with an effectively infinite filter.

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
    if (!cluster.allocator->addFramework(framework_ids.back(), "*").isOk()) {
      std::abort();
    }
  }
  for (int i = 0; i < agents; ++i) {
    const auto& user = framework_ids[static_cast<size_t>(i % frameworks)];
    if (!cluster.allocator->addAgent(fmt::format("agent-{:06}", i), total, {{user, used}}).isOk()) {
      std::abort();
    }
  }
  return cluster;
}

void declineAll(Cluster& cluster, const std::vector<Offer>& offers) {
  for (const Offer& offer : offers) {
    if (!cluster.allocator
             ->recoverResources(offer.framework_id, offer.agent_id, offer.resources, kForever,
                                cluster.now)
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
    if (!cluster.allocator->addFramework(fmt::format("joiner-{}", joined++), "*").isOk()) {
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
