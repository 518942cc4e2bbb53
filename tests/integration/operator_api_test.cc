// The master's operator API (POST /api/v1) in JSON and protobuf, its SUBSCRIBE stream, and
// the legacy endpoints Mesos tools scrape, against real processes.

#include <deque>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/master/master.pb.h>

#include "api_call.h"
#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace operator_api = mesos::v1::master;

using Answer = ApiAnswer<operator_api::Response>;

Answer callMaster(const http::Endpoint& master, const operator_api::Call& call,
                  http::ContentType content) {
  return callApi<operator_api::Response>(master, call, content);
}

operator_api::Call callOf(operator_api::Call::Type type) {
  return callOfType<operator_api::Call>(type);
}

// An operator's SUBSCRIBE stream.
class OperatorStream {
 public:
  OperatorStream(const http::Endpoint& master, http::ContentType content) : content_(content) {
    auto call = callOf(operator_api::Call::SUBSCRIBE);
    auto stream =
        http::BlockingStream::open(master,
                                   {.method = "POST",
                                    .path = "/api/v1",
                                    .headers = {{"content-type", http::mediaType(content)},
                                                {"accept", http::mediaType(content)}},
                                    .body = http::encode(call, content)},
                                   10s);
    if (stream && (*stream)->head().status == 200) {
      stream_ = std::move(*stream);
    }
  }
  bool open() const { return stream_ != nullptr; }

  // The next event of `type` (skipping others, which are kept), or nullopt after `timeout`.
  std::optional<operator_api::Event> next(
      operator_api::Event::Type type,
      const std::function<bool(const operator_api::Event&)>& match = nullptr,
      std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (it->type() == type && (!match || match(*it))) {
          auto event = std::move(*it);
          events_.erase(it);
          return event;
        }
      }
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= 0s || !stream_) {
        return std::nullopt;
      }
      auto data = stream_->read(std::chrono::duration_cast<std::chrono::nanoseconds>(left));
      if (!data) {
        return std::nullopt;
      }
      auto records = decoder_.decode(*data);
      if (!records) {
        ADD_FAILURE() << records.error().message();
        return std::nullopt;
      }
      for (const auto& record : *records) {
        operator_api::Event event;
        Status s = http::decode(record, content_, &event);
        EXPECT_TRUE(s.isOk()) << s.message();
        events_.push_back(std::move(event));
      }
    }
  }

 private:
  http::ContentType content_;
  std::unique_ptr<http::BlockingStream> stream_;
  recordio::Decoder decoder_;
  std::deque<operator_api::Event> events_;
};

v1::FrameworkInfo framework(const std::string& name, const std::string& role = "") {
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name(name);
  if (!role.empty()) {
    info.add_roles(role);
    auto* cap = info.add_capabilities();
    cap->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  }
  return info;
}

// Launches a long task and waits for it to run; returns its agent id.
std::string runLongTask(Scheduler& s, const std::string& task_id) {
  auto offers = s.next(scheduler::Event::OFFERS);
  EXPECT_TRUE(offers.has_value());
  if (!offers) return {};
  s.launch(offers->offers().offers(0), task_id, "sleep 1000", "cpus:0.5;mem:32");
  while (auto update = s.nextUpdate()) {
    if (update->state() == v1::TASK_RUNNING) {
      return update->agent_id().value();
    }
    if (update->state() != v1::TASK_STAGING && update->state() != v1::TASK_STARTING) {
      ADD_FAILURE() << "task ended: " << update->DebugString();
      return {};
    }
  }
  ADD_FAILURE() << "no TASK_RUNNING";
  return {};
}

class OperatorApi : public ::testing::TestWithParam<http::ContentType> {};

TEST_P(OperatorApi, AnswersEveryReadCallWithItsResponseType) {
  const auto content = GetParam();
  Cluster cluster({"--cluster=opapi"});
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("reader", "analytics")));
  std::string agent_id = runLongTask(s, "long");
  ASSERT_FALSE(agent_id.empty());

  auto ask = [&](operator_api::Call::Type type, operator_api::Response::Type expected) {
    Answer a = callMaster(cluster.master(), callOf(type), content);
    EXPECT_EQ(a.status, 200) << operator_api::Call::Type_Name(type) << ": " << a.body;
    EXPECT_EQ(a.content_type, http::mediaType(content));
    EXPECT_EQ(a.response.type(), expected) << operator_api::Call::Type_Name(type);
    return a.response;
  };

  EXPECT_TRUE(ask(operator_api::Call::GET_HEALTH, operator_api::Response::GET_HEALTH)
                  .get_health()
                  .healthy());

  auto flags = ask(operator_api::Call::GET_FLAGS, operator_api::Response::GET_FLAGS);
  bool cluster_flag = false;
  for (const auto& flag : flags.get_flags().flags()) {
    cluster_flag |= flag.name() == "cluster" && flag.value() == "opapi";
  }
  EXPECT_TRUE(cluster_flag) << flags.DebugString();

  auto version = ask(operator_api::Call::GET_VERSION, operator_api::Response::GET_VERSION);
  EXPECT_FALSE(version.get_version().version_info().version().empty());

  auto metrics = ask(operator_api::Call::GET_METRICS, operator_api::Response::GET_METRICS);
  bool running_metric = false;
  for (const auto& metric : metrics.get_metrics().metrics()) {
    running_metric |= metric.name() == "master/tasks_running" && metric.value() == 1;
  }
  EXPECT_TRUE(running_metric);

  EXPECT_EQ(ask(operator_api::Call::GET_LOGGING_LEVEL, operator_api::Response::GET_LOGGING_LEVEL)
                .get_logging_level()
                .level(),
            0u);

  auto state = ask(operator_api::Call::GET_STATE, operator_api::Response::GET_STATE).get_state();
  ASSERT_EQ(state.get_tasks().tasks_size(), 1);
  EXPECT_EQ(state.get_tasks().tasks(0).task_id().value(), "long");
  EXPECT_EQ(state.get_tasks().tasks(0).state(), v1::TASK_RUNNING);
  ASSERT_EQ(state.get_agents().agents_size(), 1);
  EXPECT_EQ(state.get_agents().agents(0).agent_info().id().value(), agent_id);
  ASSERT_EQ(state.get_frameworks().frameworks_size(), 1);
  EXPECT_EQ(state.get_frameworks().frameworks(0).framework_info().id().value(), s.frameworkId());
  EXPECT_EQ(state.get_executors().executors_size(), 0);  // command tasks: no executor listed

  auto agents = ask(operator_api::Call::GET_AGENTS, operator_api::Response::GET_AGENTS);
  ASSERT_EQ(agents.get_agents().agents_size(), 1);
  const auto& agent = agents.get_agents().agents(0);
  EXPECT_TRUE(agent.active());
  bool cpus = false;
  for (const auto& r : agent.total_resources()) {
    cpus |= r.name() == "cpus" && r.scalar().value() == 2;
  }
  EXPECT_TRUE(cpus) << agent.DebugString();
  EXPECT_TRUE(agent.has_registered_time());

  auto frameworks = ask(operator_api::Call::GET_FRAMEWORKS, operator_api::Response::GET_FRAMEWORKS);
  ASSERT_EQ(frameworks.get_frameworks().frameworks_size(), 1);
  EXPECT_TRUE(frameworks.get_frameworks().frameworks(0).connected());
  EXPECT_EQ(frameworks.get_frameworks().frameworks(0).framework_info().name(), "reader");

  ask(operator_api::Call::GET_EXECUTORS, operator_api::Response::GET_EXECUTORS);

  auto tasks = ask(operator_api::Call::GET_TASKS, operator_api::Response::GET_TASKS);
  ASSERT_EQ(tasks.get_tasks().tasks_size(), 1);
  EXPECT_EQ(tasks.get_tasks().tasks(0).framework_id().value(), s.frameworkId());

  auto roles = ask(operator_api::Call::GET_ROLES, operator_api::Response::GET_ROLES);
  ASSERT_EQ(roles.get_roles().roles_size(), 1);
  EXPECT_EQ(roles.get_roles().roles(0).name(), "analytics");
  EXPECT_EQ(roles.get_roles().roles(0).weight(), 1.0);
  ASSERT_EQ(roles.get_roles().roles(0).frameworks_size(), 1);

  EXPECT_EQ(ask(operator_api::Call::GET_WEIGHTS, operator_api::Response::GET_WEIGHTS)
                .get_weights()
                .weight_infos_size(),
            0);

  auto master = ask(operator_api::Call::GET_MASTER, operator_api::Response::GET_MASTER);
  EXPECT_EQ(master.get_master().master_info().port(), cluster.master().port);
  EXPECT_GT(master.get_master().start_time(), 0);
}

TEST_P(OperatorApi, ChangesWeightsLoggingLevelAndTearsDown) {
  const auto content = GetParam();
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("doomed")));

  auto set = callOf(operator_api::Call::SET_LOGGING_LEVEL);
  set.mutable_set_logging_level()->set_level(1);
  set.mutable_set_logging_level()->mutable_duration()->set_nanoseconds(60'000'000'000);
  EXPECT_EQ(callMaster(cluster.master(), set, content).status, 200);
  EXPECT_EQ(callMaster(cluster.master(), callOf(operator_api::Call::GET_LOGGING_LEVEL), content)
                .response.get_logging_level()
                .level(),
            1u);

  auto update = callOf(operator_api::Call::UPDATE_WEIGHTS);
  auto* weight = update.mutable_update_weights()->add_weight_infos();
  weight->set_role("batch");
  weight->set_weight(2.5);
  EXPECT_EQ(callMaster(cluster.master(), update, content).status, 200);
  auto weights = callMaster(cluster.master(), callOf(operator_api::Call::GET_WEIGHTS), content);
  ASSERT_EQ(weights.response.get_weights().weight_infos_size(), 1);
  EXPECT_EQ(weights.response.get_weights().weight_infos(0).role(), "batch");
  EXPECT_EQ(weights.response.get_weights().weight_infos(0).weight(), 2.5);
  weight->set_weight(-1);
  EXPECT_EQ(callMaster(cluster.master(), update, content).status, 400);

  auto teardown = callOf(operator_api::Call::TEARDOWN);
  teardown.mutable_teardown()->mutable_framework_id()->set_value(s.frameworkId());
  EXPECT_EQ(callMaster(cluster.master(), teardown, content).status, 200);
  auto frameworks =
      callMaster(cluster.master(), callOf(operator_api::Call::GET_FRAMEWORKS), content);
  EXPECT_EQ(frameworks.response.get_frameworks().frameworks_size(), 0);
  EXPECT_EQ(frameworks.response.get_frameworks().completed_frameworks_size(), 1);
  EXPECT_EQ(callMaster(cluster.master(), teardown, content).status, 400);

  // GET_OPERATIONS is served (the master no longer answers 501 to any operator call).
  Answer operations =
      callMaster(cluster.master(), callOf(operator_api::Call::GET_OPERATIONS), content);
  EXPECT_EQ(operations.status, 200) << operations.body;
  EXPECT_EQ(operations.response.type(), operator_api::Response::GET_OPERATIONS);
}

TEST_P(OperatorApi, SetsQuotaAndReservesAndUnreservesResources) {
  const auto content = GetParam();
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");

  auto update = callOf(operator_api::Call::UPDATE_QUOTA);
  auto* config = update.mutable_update_quota()->add_quota_configs();
  config->set_role("eng");
  (*config->mutable_guarantees())["cpus"].set_value(1);
  (*config->mutable_limits())["cpus"].set_value(2);
  EXPECT_EQ(callMaster(cluster.master(), update, content).status, 200);
  auto quota = callMaster(cluster.master(), callOf(operator_api::Call::GET_QUOTA), content);
  ASSERT_EQ(quota.status, 200);
  const auto& status = quota.response.get_quota().status();
  ASSERT_EQ(status.configs_size(), 1) << quota.body;
  EXPECT_EQ(status.configs(0).role(), "eng");
  EXPECT_EQ(status.configs(0).guarantees().at("cpus").value(), 1);
  EXPECT_EQ(status.configs(0).limits().at("cpus").value(), 2);
  (*config->mutable_guarantees())["cpus"].set_value(3);  // more than the limit
  EXPECT_EQ(callMaster(cluster.master(), update, content).status, 400);

  auto agents = callMaster(cluster.master(), callOf(operator_api::Call::GET_AGENTS), content);
  ASSERT_EQ(agents.response.get_agents().agents_size(), 1);
  const auto agent_id = agents.response.get_agents().agents(0).agent_info().id();
  v1::Resource cpus;
  cpus.set_name("cpus");
  cpus.set_type(v1::Value::SCALAR);
  cpus.mutable_scalar()->set_value(1);
  v1::Resource reserved = cpus;
  auto* reservation = reserved.add_reservations();
  reservation->set_type(v1::Resource::ReservationInfo::DYNAMIC);
  reservation->set_role("eng");
  reservation->set_principal("ops");

  // How many cpus the agent has reserved for "eng", as GET_AGENTS tells.
  auto reserved_cpus = [&] {
    auto r = callMaster(cluster.master(), callOf(operator_api::Call::GET_AGENTS), content);
    double sum = 0;
    for (const auto& resource : r.response.get_agents().agents(0).total_resources()) {
      if (resource.name() == "cpus" && resource.reservations_size() > 0 &&
          resource.reservations(resource.reservations_size() - 1).role() == "eng") {
        sum += resource.scalar().value();
      }
    }
    return sum;
  };
  auto reserve = callOf(operator_api::Call::RESERVE_RESOURCES);
  *reserve.mutable_reserve_resources()->mutable_agent_id() = agent_id;
  *reserve.mutable_reserve_resources()->add_source() = cpus;
  *reserve.mutable_reserve_resources()->add_resources() = reserved;
  EXPECT_EQ(callMaster(cluster.master(), reserve, content).status, 202);
  EXPECT_EQ(reserved_cpus(), 1);

  auto unreserve = callOf(operator_api::Call::UNRESERVE_RESOURCES);
  *unreserve.mutable_unreserve_resources()->mutable_agent_id() = agent_id;
  *unreserve.mutable_unreserve_resources()->add_resources() = reserved;
  EXPECT_EQ(callMaster(cluster.master(), unreserve, content).status, 202);
  EXPECT_EQ(reserved_cpus(), 0);
  // Nothing is reserved any more: a second UNRESERVE has nothing to take back.
  EXPECT_GE(callMaster(cluster.master(), unreserve, content).status, 400);
}

TEST_P(OperatorApi, SubscribeStreamsTasksAgentsAndFrameworks) {
  const auto content = GetParam();
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  OperatorStream events(cluster.master(), content);
  ASSERT_TRUE(events.open());
  auto subscribed = events.next(operator_api::Event::SUBSCRIBED);
  ASSERT_TRUE(subscribed);
  EXPECT_EQ(subscribed->subscribed().get_state().get_agents().agents_size(), 1);
  EXPECT_GT(subscribed->subscribed().heartbeat_interval_seconds(), 0);

  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("watched")));
  auto added = events.next(operator_api::Event::FRAMEWORK_ADDED);
  ASSERT_TRUE(added);
  EXPECT_EQ(added->framework_added().framework().framework_info().id().value(), s.frameworkId());

  ASSERT_FALSE(runLongTask(s, "watched-task").empty());
  auto task_added = events.next(operator_api::Event::TASK_ADDED);
  ASSERT_TRUE(task_added);
  EXPECT_EQ(task_added->task_added().task().task_id().value(), "watched-task");
  EXPECT_EQ(task_added->task_added().task().state(), v1::TASK_STAGING);
  auto running = events.next(operator_api::Event::TASK_UPDATED, [](const auto& e) {
    return e.task_updated().state() == v1::TASK_RUNNING;
  });
  ASSERT_TRUE(running);
  EXPECT_EQ(running->task_updated().framework_id().value(), s.frameworkId());
  EXPECT_EQ(running->task_updated().status().task_id().value(), "watched-task");

  cluster.addAgent("cpus:1;mem:256");
  auto agent_added = events.next(operator_api::Event::AGENT_ADDED);
  ASSERT_TRUE(agent_added);
  EXPECT_GT(agent_added->agent_added().agent().total_resources_size(), 0);
  std::string second = agent_added->agent_added().agent().agent_info().id().value();

  auto gone = callOf(operator_api::Call::MARK_AGENT_GONE);
  gone.mutable_mark_agent_gone()->mutable_agent_id()->set_value(second);
  ASSERT_EQ(callMaster(cluster.master(), gone, content).status, 200);
  auto agent_removed = events.next(operator_api::Event::AGENT_REMOVED);
  ASSERT_TRUE(agent_removed);
  EXPECT_EQ(agent_removed->agent_removed().agent_id().value(), second);

  auto teardown = callOf(operator_api::Call::TEARDOWN);
  teardown.mutable_teardown()->mutable_framework_id()->set_value(s.frameworkId());
  ASSERT_EQ(callMaster(cluster.master(), teardown, content).status, 200);
  auto killed = events.next(operator_api::Event::TASK_UPDATED, [](const auto& e) {
    return e.task_updated().state() == v1::TASK_KILLED;
  });
  EXPECT_TRUE(killed);
  auto removed = events.next(operator_api::Event::FRAMEWORK_REMOVED);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->framework_removed().framework_info().id().value(), s.frameworkId());
}

INSTANTIATE_TEST_SUITE_P(Content, OperatorApi,
                         ::testing::Values(http::ContentType::kJson, http::ContentType::kProtobuf),
                         [](const auto& info) {
                           return info.param == http::ContentType::kJson ? "Json" : "Protobuf";
                         });

TEST(OperatorApiTest, UpdatedWeightsSurviveAMasterRestart) {
  Cluster cluster;
  auto update = callOf(operator_api::Call::UPDATE_WEIGHTS);
  auto* weight = update.mutable_update_weights()->add_weight_infos();
  weight->set_role("prod");
  weight->set_weight(3);
  ASSERT_EQ(callMaster(cluster.master(), update, http::ContentType::kJson).status, 200);

  cluster.restartMaster(SIGKILL);
  operator_api::Response weights;
  ASSERT_TRUE(eventually([&] {
    auto r = http::fetchSync(
        cluster.master(),
        {.method = "POST",
         .path = "/api/v1",
         .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
         .body = R"({"type":"GET_WEIGHTS"})"},
        5s);
    return r && r->status == 200 &&
           http::decode(r->body, http::ContentType::kJson, &weights).isOk();
  }));
  ASSERT_EQ(weights.get_weights().weight_infos_size(), 1);
  EXPECT_EQ(weights.get_weights().weight_infos(0).role(), "prod");
  EXPECT_EQ(weights.get_weights().weight_infos(0).weight(), 3);
  auto legacy = json::parse(cluster.get("/master/weights"));
  ASSERT_TRUE(legacy);
  ASSERT_EQ(legacy->asArray().size(), 1u);
  EXPECT_EQ((*legacy)[0]["role"].asString(), "prod");
}

TEST(OperatorApiTest, LegacyEndpointsHaveMesosShapes) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("legacy", "web")));
  ASSERT_FALSE(runLongTask(s, "legacy-task").empty());

  auto summary = json::parse(cluster.get("/master/state-summary"));
  ASSERT_TRUE(summary);
  ASSERT_EQ((*summary)["slaves"].asArray().size(), 1u);
  EXPECT_EQ((*summary)["slaves"][0]["TASK_RUNNING"].asDouble(), 1);
  ASSERT_EQ((*summary)["frameworks"].asArray().size(), 1u);
  EXPECT_EQ((*summary)["frameworks"][0]["name"].asString(), "legacy");

  auto frameworks = json::parse(cluster.get("/master/frameworks"));
  ASSERT_TRUE(frameworks);
  ASSERT_EQ((*frameworks)["frameworks"].asArray().size(), 1u);
  EXPECT_EQ((*frameworks)["frameworks"][0]["id"].asString(), s.frameworkId());
  EXPECT_TRUE((*frameworks)["completed_frameworks"].isArray());

  auto agents = json::parse(cluster.get("/master/slaves"));
  ASSERT_TRUE(agents);
  ASSERT_EQ((*agents)["slaves"].asArray().size(), 1u);
  EXPECT_EQ((*agents)["slaves"][0]["resources"]["cpus"].asDouble(), 2);

  auto tasks = json::parse(cluster.get("/master/tasks?limit=10&offset=0&order=asc"));
  ASSERT_TRUE(tasks);
  ASSERT_EQ((*tasks)["tasks"].asArray().size(), 1u);
  EXPECT_EQ((*tasks)["tasks"][0]["id"].asString(), "legacy-task");
  EXPECT_EQ((*tasks)["tasks"][0]["state"].asString(), "TASK_RUNNING");
  auto skipped = json::parse(cluster.get("/master/tasks?offset=1"));
  ASSERT_TRUE(skipped);
  EXPECT_EQ((*skipped)["tasks"].asArray().size(), 0u);
  auto bad =
      http::fetchSync(cluster.master(), {.method = "GET", .path = "/master/tasks?limit=x"}, 5s);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);

  auto roles = json::parse(cluster.get("/master/roles"));
  ASSERT_TRUE(roles);
  ASSERT_EQ((*roles)["roles"].asArray().size(), 1u);
  EXPECT_EQ((*roles)["roles"][0]["name"].asString(), "web");
  EXPECT_EQ((*roles)["roles"][0]["weight"].asDouble(), 1);
  EXPECT_EQ((*roles)["roles"][0]["frameworks"][0].asString(), s.frameworkId());

  auto put = http::fetchSync(cluster.master(),
                             {.method = "PUT",
                              .path = "/master/weights",
                              .headers = {{"content-type", "application/json"}},
                              .body = R"([{"role":"web","weight":4}])"},
                             5s);
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;
  auto weights = json::parse(cluster.get("/master/weights"));
  ASSERT_TRUE(weights);
  ASSERT_EQ(weights->asArray().size(), 1u);
  EXPECT_EQ((*weights)[0]["weight"].asDouble(), 4);

  auto teardown =
      http::fetchSync(cluster.master(),
                      {.method = "POST",
                       .path = "/master/teardown",
                       .headers = {{"content-type", "application/x-www-form-urlencoded"}},
                       .body = "frameworkId=" + s.frameworkId()},
                      5s);
  ASSERT_TRUE(teardown);
  EXPECT_EQ(teardown->status, 200) << teardown->body;
  auto after = json::parse(cluster.get("/master/frameworks"));
  ASSERT_TRUE(after);
  EXPECT_EQ((*after)["frameworks"].asArray().size(), 0u);
  EXPECT_EQ((*after)["completed_frameworks"].asArray().size(), 1u);
}

TEST(OperatorApiTest, PrometheusMetricsMatchTheSnapshot) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  auto r = http::fetchSync(cluster.master(), {.method = "GET", .path = "/metrics"}, 5s);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->header("content-type").find("text/plain"), std::string::npos);
  auto snapshot = json::parse(cluster.get("/metrics/snapshot"));
  ASSERT_TRUE(snapshot);

  // Every line is a comment or "name[{labels}] value" with a valid name and a number.
  std::istringstream lines(r->body);
  std::string line;
  std::map<std::string, double> samples;
  std::set<std::string> histograms;
  while (std::getline(lines, line)) {
    if (line.starts_with("# TYPE ") && line.ends_with(" histogram")) {
      histograms.insert(line.substr(7, line.size() - 7 - 10));
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    auto space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    std::string name = line.substr(0, std::min(space, line.find('{')));
    ASSERT_FALSE(name.empty());
    for (size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      EXPECT_TRUE(std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
                  (i > 0 && std::isdigit(static_cast<unsigned char>(c))))
          << line;
    }
    size_t used = 0;
    double value = std::stod(line.substr(space + 1), &used);
    EXPECT_EQ(space + 1 + used, line.size()) << line;
    samples[line.substr(0, space)] = value;
  }
  // One sample per snapshot key, plus the Prometheus-only series: frameworks removed and the
  // histograms' lines.
  size_t plain = 0;
  for (const auto& [sample, value] : samples) {
    bool histogram = false;
    for (const auto& family : histograms) {
      histogram = histogram || sample.starts_with(family + "_");
    }
    plain += histogram ? 0 : 1;
  }
  EXPECT_EQ(plain, snapshot->asObject().size() + 1) << r->body;
  EXPECT_TRUE(samples.contains("plateau_master_frameworks_removed_total")) << r->body;
  EXPECT_EQ(samples["plateau_master_cpus_capacity"], 2);
  EXPECT_EQ(samples["plateau_master_agents_active"],
            (*snapshot)["master/slaves_active"].asDouble());
  EXPECT_EQ(samples["plateau_master_mem_capacity_bytes"],
            (*snapshot)["master/mem_total"].asDouble() * 1024 * 1024);
}

}  // namespace
}  // namespace plateau::testing
