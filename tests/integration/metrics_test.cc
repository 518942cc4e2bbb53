// /metrics (Prometheus text 0.0.4) of a real master and agent: typed families with HELP, the
// histograms of allocation rounds and API calls, and `promtool check metrics` where installed.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <mesos/v1/master/master.pb.h>

#include "api_call.h"
#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

// promtool: $PLATEAU_PROMTOOL (./dev extracts Debian's into .cache/tools), else on PATH, else
// empty.
std::string findPromtool() {
  if (const char* given = std::getenv("PLATEAU_PROMTOOL");
      given != nullptr && ::access(given, X_OK) == 0) {
    return given;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/promtool";
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

// Runs `promtool check metrics` on `text`; returns its exit status and what it printed.
std::pair<int, std::string> promtoolCheck(const std::string& promtool, const std::string& dir,
                                          const std::string& text) {
  std::string input = dir + "/metrics.prom";
  std::ofstream(input) << text;
  std::string command = promtool + " check metrics < " + input + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return {-1, "popen failed"};
  }
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

struct Scrape {
  std::string body;
  std::map<std::string, std::string> types;  // family -> TYPE
  std::set<std::string> helped;              // families with HELP
  std::map<std::string, double> samples;     // "name{labels}" -> value
};

Scrape scrape(const http::Endpoint& endpoint) {
  Scrape out;
  auto r = http::fetchSync(endpoint, {.method = "GET", .path = "/metrics"}, 10s);
  if (!r) {
    ADD_FAILURE() << r.error().message();
    return out;
  }
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  out.body = r->body;
  std::istringstream lines(r->body);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first, second, third;
    words >> first >> second >> third;
    if (first == "#" && second == "HELP") {
      out.helped.insert(third);
    } else if (first == "#" && second == "TYPE") {
      std::string type;
      words >> type;
      out.types[third] = type;
    } else if (!line.empty()) {
      auto space = line.rfind(' ');
      out.samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
  }
  return out;
}

// Every family has HELP and TYPE, counters and only counters end in _total, and every sample
// belongs to a declared family (histograms through _bucket, _sum, _count).
void expectWellTyped(const Scrape& s) {
  EXPECT_FALSE(s.types.empty()) << s.body;
  for (const auto& [family, type] : s.types) {
    EXPECT_TRUE(s.helped.contains(family)) << family;
    EXPECT_TRUE(family.starts_with("plateau_")) << family;
    EXPECT_EQ(type == "counter", family.ends_with("_total")) << family << " " << type;
    EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << type;
  }
  for (const auto& [sample, value] : s.samples) {
    std::string name = sample.substr(0, sample.find('{'));
    if (s.types.contains(name)) {
      continue;
    }
    bool in_histogram = false;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string_view suffix_view(suffix);
      if (name.ends_with(suffix_view)) {
        auto family = s.types.find(name.substr(0, name.size() - suffix_view.size()));
        in_histogram = in_histogram || (family != s.types.end() && family->second == "histogram");
      }
    }
    EXPECT_TRUE(in_histogram) << sample;
  }
}

// A cluster with a framework that has made scheduler calls and an operator call, so that the
// labelled API histograms have children.
class MetricsCluster {
 public:
  MetricsCluster() : scheduler_(cluster_.master(), http::ContentType::kJson) {
    cluster_.addAgent("cpus:2;mem:256");
    v1::FrameworkInfo info;
    info.set_user("nobody");
    info.set_name("metrics");
    EXPECT_TRUE(scheduler_.subscribe(info));
    auto offers = scheduler_.next(scheduler::Event::OFFERS);
    EXPECT_TRUE(offers);
    if (offers) {
      scheduler_.declineAll(*offers, 60);
    }
    auto state = callApi<mesos::v1::master::Response>(
        cluster_.master(), callOfType<mesos::v1::master::Call>(mesos::v1::master::Call::GET_STATE),
        http::ContentType::kJson);
    EXPECT_EQ(state.status, 200);
    // A forked child writes GET_STATE's answer to the socket (master/forked_render.h); the loop
    // observes the call's duration once it learns the child is done, a moment after the answer.
    EXPECT_TRUE(eventually([&] {
      return scrape(cluster_.master())
                 .samples
                     ["plateau_master_operator_call_duration_seconds_count{call=\"GET_STATE\"}"] >=
             1;
    }));
  }
  Cluster& cluster() { return cluster_; }

 private:
  Cluster cluster_;
  Scheduler scheduler_;
};

TEST(PrometheusMetricsTest, MasterAndAgentServeTypedFamiliesWithHelp) {
  MetricsCluster mc;
  Cluster& cluster = mc.cluster();

  Scrape master = scrape(cluster.master());
  expectWellTyped(master);
  EXPECT_EQ(master.types["plateau_master_tasks_finished_total"], "counter");
  EXPECT_EQ(master.types["plateau_master_agents_active"], "gauge");
  EXPECT_EQ(master.types["plateau_master_allocation_duration_seconds"], "histogram");
  EXPECT_EQ(master.types["plateau_master_scheduler_call_duration_seconds"], "histogram");
  EXPECT_EQ(master.types["plateau_master_operator_call_duration_seconds"], "histogram");
  EXPECT_EQ(master.samples["plateau_master_agents_active"], 1);
  EXPECT_EQ(master.samples["plateau_master_cpus_capacity"], 2);
  EXPECT_EQ(master.samples["plateau_master_mem_capacity_bytes"], 256.0 * 1024 * 1024);
  EXPECT_GE(master.samples["plateau_master_allocation_duration_seconds_count"], 1);
  EXPECT_GE(master.samples["plateau_master_allocation_duration_seconds_bucket{le=\"+Inf\"}"], 1);
  EXPECT_EQ(master.samples["plateau_master_scheduler_call_duration_seconds_count{call="
                           "\"SUBSCRIBE\"}"],
            1);
  EXPECT_EQ(
      master.samples["plateau_master_scheduler_call_duration_seconds_count{call=\"DECLINE\"}"], 1);
  EXPECT_EQ(
      master.samples["plateau_master_operator_call_duration_seconds_count{call=\"GET_STATE\"}"], 1);

  // The snapshot keeps Mesos's keys and units beside it.
  auto snapshot = json::parse(cluster.get("/metrics/snapshot"));
  ASSERT_TRUE(snapshot);
  EXPECT_EQ((*snapshot)["master/mem_total"].asDouble(), 256);
  EXPECT_EQ((*snapshot)["master/slaves_active"].asDouble(), 1);
  EXPECT_EQ(snapshot->find("plateau_master_allocation_duration_seconds"), nullptr);

  Scrape agent = scrape(cluster.agentEndpoint(0));
  expectWellTyped(agent);
  EXPECT_EQ(agent.types["plateau_agent_tasks_finished_total"], "counter");
  EXPECT_EQ(agent.types["plateau_agent_registered"], "gauge");
  EXPECT_EQ(agent.samples["plateau_agent_registered"], 1);
  EXPECT_EQ(agent.samples["plateau_agent_mem_capacity_bytes"], 256.0 * 1024 * 1024);
}

// Mesos's system/* keys on both daemons, with this host's figures, and their Prometheus gauges.
TEST(PrometheusMetricsTest, BothDaemonsPublishTheHostsSystemFigures) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:128");
  const double cpus = static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
  for (const auto& [prefix, endpoint] : {std::pair{"plateau_master_", cluster.master()},
                                         std::pair{"plateau_agent_", cluster.agentEndpoint(0)}}) {
    auto r = http::fetchSync(endpoint, {.method = "GET", .path = "/metrics/snapshot"}, 10s);
    ASSERT_TRUE(r && r->status == 200) << prefix;
    auto snapshot = json::parse(r->body);
    ASSERT_TRUE(snapshot) << r->body;
    for (const char* key :
         {"system/cpus_total", "system/load_1min", "system/load_5min", "system/load_15min",
          "system/mem_total_bytes", "system/mem_free_bytes"}) {
      const json::Value* value = snapshot->find(key);
      ASSERT_NE(value, nullptr) << prefix << " " << key;
      EXPECT_TRUE(value->isNumber()) << prefix << " " << key;
    }
    const json::Value& s = *snapshot;
    EXPECT_EQ(s["system/cpus_total"].asDouble(), cpus) << prefix;
    for (const char* load : {"system/load_1min", "system/load_5min", "system/load_15min"}) {
      EXPECT_GE(s[load].asDouble(), 0) << prefix << " " << load;
    }
    EXPECT_GT(s["system/mem_total_bytes"].asDouble(), 0) << prefix;
    EXPECT_GE(s["system/mem_free_bytes"].asDouble(), 0) << prefix;
    EXPECT_LE(s["system/mem_free_bytes"].asDouble(), s["system/mem_total_bytes"].asDouble())
        << prefix;

    Scrape p = scrape(endpoint);
    expectWellTyped(p);
    const std::string base = std::string(prefix) + "system_";
    for (const char* name :
         {"cpus", "load_1min", "load_5min", "load_15min", "mem_capacity_bytes", "mem_free_bytes"}) {
      EXPECT_EQ(p.types[base + name], "gauge") << base + name;
    }
    EXPECT_EQ(p.samples[base + "cpus"], cpus);
    EXPECT_GT(p.samples[base + "mem_capacity_bytes"], 0);
  }
}

TEST(PrometheusMetricsTest, PromtoolFindsNothingInMasterOrAgentOutput) {
  std::string promtool = findPromtool();
  if (promtool.empty()) {
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus; ./dev installs it)";
  }
  MetricsCluster mc;
  Cluster& cluster = mc.cluster();
  for (const auto& [daemon, endpoint] :
       {std::pair{"master", cluster.master()}, std::pair{"agent", cluster.agentEndpoint(0)}}) {
    Scrape s = scrape(endpoint);
    ASSERT_FALSE(s.body.empty()) << daemon;
    auto [status, output] = promtoolCheck(promtool, cluster.dir(), s.body);
    EXPECT_EQ(status, 0) << daemon << ": " << output;
    EXPECT_EQ(output, "") << daemon << ":\n" << s.body;
  }
}

}  // namespace
}  // namespace plateau::testing
