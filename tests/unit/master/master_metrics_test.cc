// The master's /metrics/snapshot gauges are counts its books keep as events happen (no walk over
// the cluster per scrape): after every step of a random sequence of agents registering, leaving
// and returning, frameworks subscribing, failing over and torn down, offers accepted and
// declined, status updates and acknowledgements, each gauge equals a recount from GET_STATE;
// so do the per-framework gauges (master/frameworks/<name>/<id>/subscribed and tasks/active/...),
// and the snapshot has per-framework series for exactly the frameworks GET_STATE lists.
// A real Master in virtual time (virtual_master.h); PLATEAU_TEST_SEED picks another sequence.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <mesos/v1/master/master.pb.h>

#include "common/json.h"
#include "unit/master/virtual_master.h"

namespace plateau::testing {
namespace {

using namespace std::chrono_literals;
namespace operator_api = mesos::v1::master;

v1::Resource scalar(const std::string& name, double value) {
  v1::Resource r;
  r.set_name(name);
  r.set_type(v1::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  return r;
}

double sumOf(const google::protobuf::RepeatedPtrField<v1::Resource>& resources,
             const std::string& name) {
  double sum = 0;
  for (const auto& r : resources) {
    sum += r.name() == name ? r.scalar().value() : 0;
  }
  return sum;
}

// Adds what each framework's series must say (master/per_framework_metrics.h): subscribed, and its
// tasks in each live state; a completed framework's are 0.
void recountPerFramework(const operator_api::Response::GetState& state,
                         std::map<std::string, double>& m) {
  std::map<std::string, std::string> prefixes;  // framework id -> its keys' prefix
  auto add = [&](const v1::FrameworkInfo& info, bool subscribed) {
    // The names here ("random-N") need no percent-encoding.
    std::string prefix = "master/frameworks/" + info.name() + "/" + info.id().value() + "/";
    prefixes[info.id().value()] = prefix;
    m[prefix + "subscribed"] = subscribed ? 1 : 0;
    for (const char* live : {"task_staging", "task_starting", "task_running", "task_killing"}) {
      m[prefix + "tasks/active/" + live] = 0;
    }
  };
  for (const auto& fw : state.get_frameworks().frameworks()) {
    add(fw.framework_info(), fw.active() && fw.connected());
  }
  for (const auto& fw : state.get_frameworks().completed_frameworks()) {
    add(fw.framework_info(), false);
  }
  for (const auto& task : state.get_tasks().tasks()) {
    std::string state_name = v1::TaskState_Name(task.state());
    std::transform(state_name.begin(), state_name.end(), state_name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto prefix = prefixes.find(task.framework_id().value());
    if (prefix != prefixes.end() && m.contains(prefix->second + "tasks/active/" + state_name)) {
      m[prefix->second + "tasks/active/" + state_name]++;
    }
  }
  m["frameworks with per-framework series"] = static_cast<double>(prefixes.size());
}

// What /metrics/snapshot must say, counted from GET_STATE.
std::map<std::string, double> recount(const operator_api::Response::GetState& state) {
  std::map<std::string, double> m;
  for (const char* key :
       {"master/tasks_staging", "master/tasks_starting", "master/tasks_running",
        "master/tasks_killing", "master/slaves_connected", "master/frameworks_active",
        "master/frameworks_connected", "master/outstanding_offers", "master/cpus_total",
        "master/mem_total", "master/cpus_used", "master/mem_used",
        "allocator/mesos/resources/cpus/offered_or_allocated",
        "allocator/mesos/resources/mem/offered_or_allocated"}) {
    m[key] = 0;
  }
  const std::map<v1::TaskState, std::string> live = {{v1::TASK_STAGING, "master/tasks_staging"},
                                                     {v1::TASK_STARTING, "master/tasks_starting"},
                                                     {v1::TASK_RUNNING, "master/tasks_running"},
                                                     {v1::TASK_KILLING, "master/tasks_killing"}};
  for (const auto& task : state.get_tasks().tasks()) {
    if (auto it = live.find(task.state()); it != live.end()) {
      m[it->second]++;
    }
  }
  const auto& agents = state.get_agents().agents();
  m["master/slaves_disconnected"] = agents.size();
  for (const auto& agent : agents) {
    m["master/slaves_connected"] += agent.active() ? 1 : 0;  // no agent is drained here
    for (const std::string name : {"cpus", "mem"}) {
      double used = sumOf(agent.allocated_resources(), name);
      m["master/" + name + "_total"] += sumOf(agent.total_resources(), name);
      m["master/" + name + "_used"] += used;
      m["allocator/mesos/resources/" + name + "/offered_or_allocated"] +=
          used + sumOf(agent.offered_resources(), name);
    }
  }
  m["master/slaves_disconnected"] -= m["master/slaves_connected"];
  const auto& frameworks = state.get_frameworks().frameworks();
  for (const auto& fw : frameworks) {
    m["master/frameworks_active"] += fw.active() ? 1 : 0;
    m["master/frameworks_connected"] += fw.connected() ? 1 : 0;
    m["master/outstanding_offers"] += fw.offers_size();
  }
  m["master/frameworks_inactive"] = frameworks.size() - m["master/frameworks_active"];
  recountPerFramework(state, m);
  return m;
}

// A random walk over what agents, frameworks and operators do to a master.
class RandomCluster {
 public:
  explicit RandomCluster(uint32_t seed) : random_(seed) { master_.elect(); }

  void step() {
    switch (pick(10)) {
      case 0:
        return addAgent();
      case 1:
        return addFramework();
      case 2:
      case 3:
        return answerOffer(/*accept=*/pick(4) != 0);
      case 4:
      case 5:
        return statusUpdate();
      case 6:
        return acknowledge();
      case 7:
        return agentLeavesOrReturns();
      case 8:
        return frameworkLeaves();
      default:
        master_.time.advance(std::chrono::seconds(pick(3) == 0 ? 40 : pick(6)));
    }
  }

  operator_api::Response::GetState state() {
    operator_api::Call call;
    call.set_type(operator_api::Call::GET_STATE);
    auto exchange = master_.request("POST", "/api/v1", call.SerializeAsString());
    operator_api::Response response;
    EXPECT_TRUE(exchange->response() && response.ParseFromString(exchange->response()->body));
    return response.get_state();
  }

  size_t frameworksSubscribed() const { return frameworks_.size(); }

  std::map<std::string, double> snapshot() {
    auto exchange = master_.request("GET", "/metrics/snapshot", "");
    std::map<std::string, double> out = {{"frameworks with per-framework series", 0}};
    auto parsed = json::parse(exchange->response() ? exchange->response()->body : "");
    EXPECT_TRUE(parsed.has_value());
    if (parsed) {
      for (const auto& [key, value] : parsed->asObject()) {
        out[key] = value.asDouble();
        if (key.starts_with("master/frameworks/") && key.ends_with("/subscribed") &&
            !key.ends_with("/events/subscribed")) {
          out["frameworks with per-framework series"]++;
        }
      }
    }
    return out;
  }

 private:
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random_); }

  void addAgent() {
    auto reg = VirtualMaster::agentRegistration("host-" + std::to_string(agents_.size()),
                                                1 + static_cast<double>(pick(8)), 1024);
    AgentLink link = master_.registerAgent(reg);
    for (const auto& e : link.events()) {
      if (e.type() == internal::AgentEvent::REGISTERED) {
        link.id = e.registered().agent_id().value();
      }
    }
    agents_.push_back(std::move(link));
  }

  void addFramework() {
    v1::FrameworkInfo info;
    info.set_user("tester");
    info.set_name("random-" + std::to_string(frameworks_.size()));
    info.set_failover_timeout(pick(2) == 0 ? 0 : 30);
    if (pick(2) == 0) {
      info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
    }
    SchedulerLink link = master_.subscribe(info);
    drain(link);
    frameworks_.push_back(std::move(link));
  }

  // Reads a framework's events: its id, and the updates it has to acknowledge.
  void drain(SchedulerLink& link) {
    for (const auto& e : link.events()) {
      if (e.type() == scheduler::Event::SUBSCRIBED) {
        link.id = e.subscribed().framework_id().value();
      } else if (e.type() == scheduler::Event::UPDATE && e.update().status().has_uuid()) {
        acks_.push_back({link.id, e.update().status()});
      }
    }
  }

  SchedulerLink* frameworkById(const std::string& id) {
    for (auto& link : frameworks_) {
      if (link.id == id) {
        return &link;
      }
    }
    return nullptr;
  }

  void answerOffer(bool accept) {
    auto state = this->state();
    std::vector<std::pair<std::string, v1::Offer>> offers;
    for (const auto& fw : state.get_frameworks().frameworks()) {
      for (const auto& offer : fw.offers()) {
        offers.emplace_back(fw.framework_info().id().value(), offer);
      }
    }
    if (offers.empty()) {
      return;
    }
    const auto& [framework_id, offer] = offers[pick(offers.size())];
    SchedulerLink* link = frameworkById(framework_id);
    if (link == nullptr) {
      return;
    }
    scheduler::Call call;
    call.set_type(accept ? scheduler::Call::ACCEPT : scheduler::Call::DECLINE);
    auto* ids =
        accept ? call.mutable_accept()->add_offer_ids() : call.mutable_decline()->add_offer_ids();
    *ids = offer.id();
    if (accept) {
      auto* launch = call.mutable_accept()->add_operations();
      launch->set_type(v1::Offer::Operation::LAUNCH);
      const int fit = static_cast<int>(sumOf(offer.resources(), "cpus") / 0.5);
      for (int i = 0, n = static_cast<int>(pick(3)) + 1; i < std::min(n, fit); ++i) {
        auto* task = launch->mutable_launch()->add_task_infos();
        task->set_name("task");
        task->mutable_task_id()->set_value("t" + std::to_string(next_task_++));
        *task->mutable_agent_id() = offer.agent_id();
        task->mutable_command()->set_value("true");
        *task->add_resources() = scalar("cpus", 0.5);
        *task->add_resources() = scalar("mem", 32);
      }
    }
    master_.call(*link, call);
  }

  void statusUpdate() {
    auto state = this->state();
    if (state.get_tasks().tasks().empty()) {
      return;
    }
    const auto& tasks = state.get_tasks().tasks();
    const v1::Task& task = tasks[static_cast<int>(pick(static_cast<size_t>(tasks.size())))];
    const v1::TaskState states[] = {v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_KILLING,
                                    v1::TASK_FINISHED, v1::TASK_FAILED};
    internal::AgentCall call;
    call.set_type(internal::AgentCall::STATUS_UPDATE);
    *call.mutable_agent_id() = task.agent_id();
    *call.mutable_status_update()->mutable_framework_id() = task.framework_id();
    auto* status = call.mutable_status_update()->mutable_status();
    *status->mutable_task_id() = task.task_id();
    status->set_state(states[pick(std::size(states))]);
    std::string uuid(16, '\0');
    for (char& c : uuid) {
      c = static_cast<char>(pick(256));
    }
    status->set_uuid(uuid);
    status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
    master_.agentCall(call);
    for (auto& link : frameworks_) {
      drain(link);
    }
  }

  void acknowledge() {
    if (acks_.empty()) {
      return;
    }
    size_t i = pick(acks_.size());
    auto [framework_id, status] = acks_[i];
    acks_.erase(acks_.begin() + static_cast<std::ptrdiff_t>(i));
    SchedulerLink* link = frameworkById(framework_id);
    if (link == nullptr) {
      return;
    }
    scheduler::Call ack;
    ack.set_type(scheduler::Call::ACKNOWLEDGE);
    *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
    *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
    ack.mutable_acknowledge()->set_uuid(status.uuid());
    master_.call(*link, ack);
  }

  // An agent's link ends, or a known agent registers again with the tasks the master has on it.
  void agentLeavesOrReturns() {
    if (agents_.empty()) {
      return;
    }
    AgentLink& link = agents_[pick(agents_.size())];
    if (pick(2) == 0 && link.stream && !link.stream->closed()) {
      link.stream->end();
      master_.time.settle();
      return;
    }
    auto reg = VirtualMaster::agentRegistration("again", 1 + static_cast<double>(pick(8)), 1024);
    reg.mutable_agent_info()->mutable_id()->set_value(link.id);
    const auto now = state();
    for (const auto& task : now.get_tasks().tasks()) {
      if (task.agent_id().value() == link.id) {
        *reg.add_tasks() = task;
      }
    }
    std::string id = link.id;
    link = master_.registerAgent(reg);
    link.id = id;
  }

  // A scheduler goes away (it may fail over) or an operator tears its framework down.
  void frameworkLeaves() {
    if (frameworks_.empty()) {
      return;
    }
    SchedulerLink& link = frameworks_[pick(frameworks_.size())];
    if (pick(2) == 0) {
      link.stream->end();
      master_.time.settle();
      return;
    }
    operator_api::Call call;
    call.set_type(operator_api::Call::TEARDOWN);
    call.mutable_teardown()->mutable_framework_id()->set_value(link.id);
    master_.request("POST", "/api/v1", call.SerializeAsString());
  }

  // Few completed frameworks kept, so that the walk drops some (and their series).
  static master::Flags flags() {
    master::Flags flags;
    flags.max_completed_frameworks = 3;
    return flags;
  }

  VirtualMaster master_{flags()};
  std::mt19937 random_;
  std::vector<AgentLink> agents_;
  std::vector<SchedulerLink> frameworks_;
  std::vector<std::pair<std::string, v1::TaskStatus>> acks_;
  int next_task_ = 0;
};

TEST(MasterMetrics, GaugesEqualARecountAfterEveryStepOfARandomSequence) {
  std::vector<uint32_t> seeds = {1, 2, 3};
  if (const char* env = std::getenv("PLATEAU_TEST_SEED")) {
    seeds = {static_cast<uint32_t>(std::strtoul(env, nullptr, 10))};
  }
  for (uint32_t seed : seeds) {
    SCOPED_TRACE("PLATEAU_TEST_SEED=" + std::to_string(seed));
    RandomCluster cluster(seed);
    double most_tasks = 0;
    double listed = 0;
    for (int step = 0; step < 300; ++step) {
      cluster.step();
      auto expected = recount(cluster.state());
      auto actual = cluster.snapshot();
      for (const auto& [key, value] : expected) {
        ASSERT_TRUE(actual.contains(key)) << key;
        ASSERT_NEAR(actual[key], value, 1e-9) << key << " after step " << step;
      }
      most_tasks = std::max(most_tasks, expected["master/tasks_running"]);
      listed = expected["frameworks with per-framework series"];
    }
    // The walk reached running tasks, so the counts were exercised beyond zero.
    EXPECT_GT(most_tasks, 0);
    // More frameworks came than the master keeps: the series of those it dropped went too.
    EXPECT_LT(listed, static_cast<double>(cluster.frameworksSubscribed()));
  }
}

}  // namespace
}  // namespace plateau::testing
