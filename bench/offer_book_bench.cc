// The master's offer book in the make/decline cycle that dominates a cluster of idle agents whose
// frameworks decline what they are offered (docs/performance.md, "At Kubernetes' limits"): each
// iteration builds an offer for every agent the way the master does (makeOffer: ids, hostname,
// URL, attributes, resources in the framework's format), adds it to an OfferBook, then takes
// each one back by its id, as a DECLINE does, and gives it back to the book for reuse.
// Reported per offer.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "master/offer_book.h"
#include "master/offer_proto.h"

namespace plateau::master {
namespace {

// No timeouts are armed (offer timeout 0), so no timer is ever asked for.
class NoTimers final : public Timers {
 public:
  TimerId after(std::chrono::nanoseconds, std::function<void()>) override { std::abort(); }
  TimerId every(std::chrono::nanoseconds, std::function<void()>) override { std::abort(); }
  void cancel(TimerId) override {}
  void post(std::function<void()>) override { std::abort(); }
};

struct Cluster {
  std::vector<Framework> frameworks;
  std::vector<Agent> agents;
};

Cluster makeCluster(int agents, int frameworks) {
  Cluster cluster;
  for (int i = 0; i < frameworks; ++i) {
    Framework& fw = cluster.frameworks.emplace_back();
    fw.id = fmt::format("3f9c2b1e-7d4a-4c55-9e0b-1a2b3c4d5e6f-{:04}", i);
    fw.info.set_name(fmt::format("churn-{}", i));
  }
  for (int i = 0; i < agents; ++i) {
    Agent& agent = cluster.agents.emplace_back();
    agent.id = fmt::format("8d1e4f2a-6b3c-4e7d-a9f0-0c1d2e3f4a5b-S{}", i);
    agent.info.set_hostname(fmt::format("agent-{:05}.sim", i));
    agent.info.set_port(5051);
    for (const auto& [name, value] : {std::pair{"rack", "r1"}, std::pair{"zone", "a"}}) {
      auto* attribute = agent.info.add_attributes();
      attribute->set_name(name);
      attribute->set_type(mesos::v1::Value::TEXT);
      attribute->mutable_text()->set_value(value);
    }
  }
  return cluster;
}

void BM_OfferBookMakeDecline(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  const Cluster cluster = makeCluster(agents, frameworks);
  const Resources free = Resources::parse("cpus:24;mem:126976;disk:262144").value();
  const std::string master_id = "5e1f0a3b-2c4d-4e6f-8a9b-0c1d2e3f4a5b";
  NoTimers timers;
  OfferBook book(timers, std::chrono::nanoseconds(0), [](const std::string&) {});
  uint64_t next = 1;
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(agents));
  for (auto _ : state) {
    ids.clear();
    for (int i = 0; i < agents; ++i) {
      const Framework& fw = cluster.frameworks[static_cast<size_t>(i % frameworks)];
      const Agent& agent = cluster.agents[static_cast<size_t>(i)];
      allocator::Offer allocation{fw.id, agent.id, "*", free};
      const std::string& id = ids.emplace_back(fmt::format("{}-O{}", master_id, next++));
      OfferBook::Offer record = book.blank();
      makeOffer(fw, agent, std::move(allocation), id, nullptr, record);
      book.add(std::move(record));
    }
    for (const std::string& id : ids) {
      std::optional<OfferBook::Offer> taken = book.take(id);
      benchmark::DoNotOptimize(taken);
      book.recycle(std::move(*taken));  // as Master::removeOffer does
    }
  }
  state.SetItemsProcessed(state.iterations() * agents);
}

BENCHMARK(BM_OfferBookMakeDecline)
    ->Args({5000, 10})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace
}  // namespace plateau::master
