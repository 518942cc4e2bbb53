// Read-only JSON endpoints in Mesos's shapes: /master/state and /metrics/snapshot.

#include <array>

#include <fmt/format.h>

#include "common/agent_capabilities.h"
#include "common/attributes_json.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources_json.h"
#include "common/resources_proto.h"
#include "common/task_json.h"
#include "common/version.h"
#include "master/master.h"
#include "master/state_json.h"
#include "master/validation.h"

namespace plateau::master {

namespace {

void writeResourcesFull(json::Writer& w, const Resources& resources, const std::string& role) {
  google::protobuf::RepeatedPtrField<v1::Resource> protos;
  resourcesToProto(resources, &protos, role);
  w.beginArray();
  for (const auto& r : protos) {
    writeJson(w, r);
  }
  w.endArray();
}

// The role a task's resources are allocated to (from their allocation_info), else `fallback`.
std::string roleOfTask(const v1::Task& task, const std::string& fallback) {
  for (const auto& r : task.resources()) {
    if (r.has_allocation_info() && r.allocation_info().has_role()) {
      return r.allocation_info().role();
    }
  }
  return fallback;
}

// What of `resources` the reader may see: the unreserved ones and those reserved for a role it
// may view (view_roles, as Mesos filters an agent's reservations).
// writeResourcesFull() of those (no copy when everything is shown).
void writeVisibleFull(json::Writer& w, const Resources& resources, const ViewFilter* view) {
  if (view == nullptr || view->showsAll()) {
    return writeResourcesFull(w, resources, "");
  }
  Resources visible;
  for (const Resource& r : resources) {
    if (!r.reserved() || view->role(r.role)) {
      visible += r;
    }
  }
  writeResourcesFull(w, visible, "");
}

void writeReservedByRole(json::Writer& w, const Resources& reserved, bool full,
                         const ViewFilter* view) {
  std::map<std::string, Resources> by_role;
  for (const Resource& r : reserved) {
    if (view == nullptr || view->role(r.role)) {
      by_role[r.role] += r;
    }
  }
  w.beginObject();
  for (const auto& [role, resources] : by_role) {
    w.key(role);
    if (full) {
      writeResourcesFull(w, resources, "");
    } else {
      writeResourcesModel(w, resources);
    }
  }
  w.endObject();
}

}  // namespace

namespace {

void writeFrameworkRoles(json::Writer& w, const Framework& fw) {
  // As Mesos: MULTI_ROLE frameworks show `roles`; others `role` (and `roles` with it).
  if (!fw.multi_role) {
    w.key("role");
    w.value(fw.role);
  }
  w.key("roles");
  w.beginArray();
  for (const auto& role : fw.roles) {
    w.value(role);
  }
  w.endArray();
}

// What the framework said of itself at subscription, and its registration times.
void writeFrameworkInfo(json::Writer& w, const Framework& fw) {
  w.key("id");
  w.value(fw.id);
  w.key("name");
  w.value(fw.info.name());
  w.key("user");
  w.value(fw.info.user());
  w.key("hostname");
  w.value(fw.info.hostname());
  w.key("webui_url");
  w.value(fw.info.webui_url());
  if (fw.info.has_principal()) {  // as Mesos: only a framework that gave one
    w.key("principal");
    w.value(fw.info.principal());
  }
  writeFrameworkRoles(w, fw);
  w.key("failover_timeout");
  w.value(fw.info.failover_timeout());
  w.key("checkpoint");
  w.value(fw.info.checkpoint());
  w.key("active");
  w.value(fw.active);
  w.key("connected");
  w.value(fw.connected);
  w.key("recovered");  // known from the registry after a failover, not subscribed again yet
  w.value(fw.recovered);
  w.key("registered_time");
  w.value(fw.registered_time);
  if (fw.reregistered_time > 0) {  // as Mesos: only once the framework subscribed again
    w.key("reregistered_time");
    w.value(fw.reregistered_time);
  }
  w.key("unregistered_time");
  w.value(fw.unregistered_time);
  w.key("capabilities");
  writeFrameworkCapabilities(w, fw.info);
  w.key("offer_constraints");  // as Mesos 1.11: {} when the framework has none
  writeJson(w, fw.offer_constraints);
}

void writeFrameworkResources(json::Writer& w, const Resources& used, const Resources& offered) {
  w.key("resources");
  writeResourcesModel(w, used + offered);
  w.key("allocated_resources");
  writeResourcesModel(w, used + offered);
  w.key("used_resources");
  writeResourcesModel(w, used);
  w.key("offered_resources");
  writeResourcesModel(w, offered);
}

// The role a task of `fw` is shown under: its own, else its framework's.
const std::string& roleOfTask(const Task& task, const Framework& fw) {
  return task.role.empty() ? fw.role : task.role;
}

// Live tasks (none when `completed`), then terminal ones with those the framework completed.
void writeFrameworkTasks(json::Writer& w, const Framework& fw, const TaskBook& tasks,
                         bool completed, const ViewFilter* view) {
  auto shows = [&](const v1::Task& task) { return view == nullptr || view->task(task, fw.info); };
  v1::Task whole;  // a live task written whole (one message reused, its memory kept)
  auto writeLive = [&](const Task& task) {
    task.copyInfo(&whole);
    writeTask(w, whole, roleOfTask(task, fw));
  };
  w.key("tasks");
  w.beginArray();
  if (!completed) {
    for (const auto& [id, task] : tasks.of(fw.id)) {
      if (!isTerminal(task.info.state()) && shows(task.info)) {
        writeLive(task);
      }
    }
  }
  w.endArray();
  w.key("unreachable_tasks");
  w.beginArray();
  for (const auto& task : tasks.unreachable(fw.id)) {
    if (shows(task)) {
      writeTask(w, task, roleOfTask(task, fw.role));
    }
  }
  w.endArray();
  w.key("completed_tasks");
  w.beginArray();
  for (const auto& [id, task] : tasks.of(fw.id)) {
    if (isTerminal(task.info.state()) && shows(task.info)) {
      writeLive(task);
    }
  }
  for (const auto& task : tasks.completed(fw.id)) {
    if (shows(task)) {
      writeTask(w, task, roleOfTask(task, fw.role));
    }
  }
  w.endArray();
}

void writeFrameworkExecutors(json::Writer& w, const Framework& fw, const ViewFilter* view) {
  w.key("executors");
  w.beginArray();
  for (const auto& [agent_id, executors] : fw.executors) {
    for (const auto& [executor_id, executor] : executors) {
      if (view != nullptr && !view->executor(executor.info, fw.info)) {
        continue;
      }
      w.beginObject();
      w.key("executor_id");
      w.value(executor_id);
      w.key("name");
      w.value(executor.info.name());
      w.key("framework_id");
      w.value(fw.id);
      w.key("slave_id");
      w.value(agent_id);
      w.key("command");
      writeJson(w, executor.info.command());
      w.key("resources");
      writeResourcesModel(w, executor.resources);
      const std::string& role = executor.role.empty() ? fw.role : executor.role;
      if (!executor.resources.empty() && !role.empty()) {
        w.key("role");
        w.value(role);
      }
      if (executor.info.has_labels()) {
        w.key("labels");
        w.beginArray();
        for (const auto& label : executor.info.labels().labels()) {
          writeJson(w, label);
        }
        w.endArray();
      }
      if (executor.info.has_type()) {
        w.key("type");
        w.value(v1::ExecutorInfo::Type_Name(executor.info.type()));
      }
      w.endObject();
    }
  }
  w.endArray();
}

// The framework's outstanding offers, in Mesos's short form of an offer.
void writeFrameworkOffers(json::Writer& w, const Framework& fw, const OfferBook& offers) {
  w.key("offers");
  w.beginArray();
  for (const auto& offer_id : offers.ofFramework(fw.id)) {
    const OfferBook::Offer* held = offers.find(offer_id);
    if (held == nullptr) {
      continue;
    }
    w.beginObject();
    w.key("id");
    w.value(offer_id);
    w.key("framework_id");
    w.value(fw.id);
    w.key("allocation_info");
    writeJson(w, held->offer.allocation_info());
    w.key("slave_id");
    w.value(held->offer.agent_id().value());
    w.key("resources");
    writeResourcesModel(w, held->resources);
    w.endObject();
  }
  w.endArray();
}

}  // namespace

void writeFramework(json::Writer& w, const Framework& fw, const TaskBook& tasks,
                    const OfferBook& offers, bool completed, const ViewFilter* view) {
  w.beginObject();
  writeFrameworkInfo(w, fw);
  writeFrameworkResources(w, fw.used(), offers.offeredTo(fw.id));
  writeFrameworkTasks(w, fw, tasks, completed, view);
  writeFrameworkOffers(w, fw, offers);
  writeFrameworkExecutors(w, fw, view);
  w.endObject();
}

std::string agentPid(const Agent& agent) {
  return fmt::format("slave(1)@{}:{}", agent.ip.empty() ? agent.info.hostname() : agent.ip,
                     agent.info.port());
}

void writeFrameworkCapabilities(json::Writer& w, const v1::FrameworkInfo& info) {
  w.beginArray();
  for (const auto& cap : info.capabilities()) {
    w.value(v1::FrameworkInfo::Capability::Type_Name(cap.type()));
  }
  w.endArray();
}

void writeAgentFields(json::Writer& w, const Agent& agent, const Resources& offered,
                      const DrainBook::Hold* hold, const ViewFilter* view, bool full) {
  w.key("id");
  w.value(agent.id);
  w.key("pid");
  w.value(agentPid(agent));
  w.key("hostname");
  w.value(agent.info.hostname());
  w.key("port");
  w.value(agent.info.port());
  w.key("registered_time");
  w.value(agent.registered_time);
  if (agent.reregistered_time > 0) {
    w.key("reregistered_time");
    w.value(agent.reregistered_time);
  }
  w.key("active");
  w.value(agent.connected && hold == nullptr);
  w.key("deactivated");
  w.value(hold != nullptr);
  if (hold != nullptr && hold->drain) {
    w.key("drain_info");
    writeJson(w, *hold->drain);
  }
  w.key("version");
  w.value(agent.version);
  // As Mesos: the total holds the revocable resources the agent last reported ("cpus_revocable"
  // and so on in the models, "revocable": {} in the _full lists).
  const Resources total =
      agent.oversubscribed().empty() ? agent.total() : agent.total() + agent.oversubscribed();
  w.key("resources");
  writeResourcesModel(w, total);
  w.key("used_resources");
  writeResourcesModel(w, agent.used());
  w.key("offered_resources");
  writeResourcesModel(w, offered);
  w.key("unreserved_resources");
  writeResourcesModel(w, total.unreserved());
  w.key("reserved_resources");
  writeReservedByRole(w, agent.total().reserved(), false, view);
  if (full) {
    w.key("resources_full");
    writeVisibleFull(w, total, view);
    w.key("unreserved_resources_full");
    writeResourcesFull(w, total.unreserved(), "");
    w.key("used_resources_full");
    writeVisibleFull(w, agent.used(), view);
    w.key("offered_resources_full");
    writeVisibleFull(w, offered, view);
    w.key("reserved_resources_full");
    writeReservedByRole(w, agent.total().reserved(), true, view);
  }
  if (agent.info.has_domain()) {  // as Mesos: the agent's fault domain, when it has one
    w.key("domain");
    writeJson(w, agent.info.domain());
  }
  writeAttributesModel(w, agent.info);
  w.key("capabilities");  // as Mesos: the names of what the agent can do
  w.beginArray();
  for (auto capability : kAgentCapabilities) {  // every Plateau agent has them
    w.value(v1::AgentInfo::Capability::Type_Name(capability));
  }
  w.endArray();
}

void writeRecoveredAgent(json::Writer& w, const v1::AgentInfo& info) {
  w.beginObject();
  w.key("id");
  w.value(info.id().value());
  w.key("hostname");
  w.value(info.hostname());
  w.key("port");
  w.value(info.port());
  writeAttributesModel(w, info);
  if (info.has_domain()) {
    w.key("domain");
    writeJson(w, info.domain());
  }
  w.endObject();
}

void writeAgent(json::Writer& w, const Agent& agent, const Resources& offered,
                const DrainBook::Hold* hold, const ViewFilter* view) {
  w.beginObject();
  writeAgentFields(w, agent, offered, hold, view, /*full=*/true);
  w.endObject();
}

namespace {

// The build and start fields of /master/state: Plateau's version, with no build details.
void writeBuildInfo(json::Writer& w, double start_time) {
  w.key("version");
  w.value(kVersion);
  w.key("git_sha");
  w.value("");
  w.key("build_date");
  w.value("");
  w.key("build_time");
  w.value(0);
  w.key("build_user");
  w.value("plateau");
  w.key("start_time");
  w.value(start_time);
  w.key("elected_time");
  w.value(start_time);
}

void writeMasterIdentity(json::Writer& w, const std::string& master_id, const v1::MasterInfo& info,
                         const std::optional<v1::MasterInfo>& leader, bool elected,
                         const std::string& cluster) {
  w.key("id");
  w.value(master_id);
  w.key("pid");
  w.value(info.pid());
  w.key("hostname");
  w.value(info.hostname());
  if (leader) {
    w.key("leader");
    w.value(leader->pid());
    w.key("leader_info");
    writeJson(w, *leader);
  }
  w.key("elected");
  w.value(elected);
  if (!cluster.empty()) {
    w.key("cluster");
    w.value(cluster);
  }
}

void writeAgentCounts(json::Writer& w, const std::unordered_map<std::string, Agent>& agents,
                      const DrainBook& drains, size_t unreachable) {
  size_t active = 0;
  for (const auto& [id, agent] : agents) {
    active += agent.connected && !drains.deactivated(id) ? 1 : 0;
  }
  w.key("activated_slaves");
  w.value(active);
  w.key("deactivated_slaves");
  w.value(agents.size() - active);
  w.key("unreachable_slaves");
  w.value(unreachable);
}

// As Mesos: the log files the master was told of, when it was.
void writeLogFiles(json::Writer& w, const std::string& log_dir,
                   const std::string& external_log_file) {
  if (!log_dir.empty()) {
    w.key("log_dir");
    w.value(log_dir);
  }
  if (!external_log_file.empty()) {
    w.key("external_log_file");
    w.value(external_log_file);
  }
}

void writeFlags(json::Writer& w, const std::vector<std::pair<std::string, std::string>>& flags) {
  w.key("flags");
  w.beginObject();
  for (const auto& [name, value] : flags) {
    w.key(name);
    w.value(value);
  }
  w.endObject();
}

// master/<name>_total, _used and _percent (or their _revocable twins) of every scalar slot.
void setResourceGauges(std::array<Metrics::ResourceGauges, 4>& gauges, const ResourceVector& total,
                       const ResourceVector& used) {
  static_assert(Metrics::kResources.size() == ResourceVector::kSlotCount);
  for (size_t i = 0; i < Metrics::kResources.size(); ++i) {
    // kResources lists the slots of ResourceVector in their order.
    const auto slot = static_cast<ResourceVector::Slot>(i);
    double t = total.value(slot);
    double u = used.value(slot);
    gauges[i].total = t;
    gauges[i].used = u;
    gauges[i].percent = t > 0 ? u / t : 0.0;
  }
}

}  // namespace

http::Response Master::stateJson(const ViewFilter& filter) const {
  const ViewFilter* view = filter.showsAll() ? nullptr : &filter;
  std::string out;
  out.reserve(4096);
  json::Writer w(&out);
  w.beginObject();
  writeBuildInfo(w, start_time_);
  writeMasterIdentity(w, master_id_, info_, leader_, leading_, flags_.cluster);
  writeAgentCounts(w, agents_.all(), drains_, registry_state_.unreachable.size());
  w.key("capabilities");  // as Mesos: the names of the master's capabilities
  w.beginArray();
  for (const auto& capability : info_.capabilities()) {
    w.value(v1::MasterInfo::Capability::Type_Name(capability.type()));
  }
  w.endArray();
  if (info_.has_domain()) {
    w.key("domain");
    writeJson(w, info_.domain());
  }
  if (view == nullptr || view->flags()) {
    writeLogFiles(w, flags_.log_dir, flags_.external_log_file);
    writeFlags(w, flag_values_);
  }

  w.key("slaves");
  w.beginArray();
  for (const auto& [id, agent] : agents_.all()) {
    writeAgent(w, agent, offers_.offeredOn(agent.id), drains_.find(id), view);
  }
  w.endArray();
  w.key("recovered_slaves");  // agents of the registry that have not registered again yet
  w.beginArray();
  for (const auto& [id, expected] : agents_.expected()) {
    writeRecoveredAgent(w, expected);
  }
  w.endArray();

  w.key("frameworks");
  w.beginArray();
  for (const auto& [id, fw] : frameworks_.all()) {
    if (view == nullptr || view->framework(fw.info)) {
      writeFramework(w, fw, tasks_, offers_, false, view);
    }
  }
  w.endArray();
  w.key("completed_frameworks");
  w.beginArray();
  for (const auto& fw : frameworks_.completed()) {
    if (view == nullptr || view->framework(fw.info)) {
      writeFramework(w, fw, tasks_, offers_, true, view);
    }
  }
  w.endArray();
  w.key("orphan_tasks");
  w.beginArray();
  w.endArray();
  w.key("unregistered_frameworks");
  w.beginArray();
  w.endArray();
  w.endObject();
  return http::Response::json(std::move(out));
}

void Master::updateMetricGauges() {
  // Every figure here is a count the books keep as they change: a scrape costs the same at
  // 10,000 agents and 100,000 tasks as at one.
  const size_t agents = agents_.size();
  const size_t connected = agents_.connectedCount();
  const size_t frameworks = frameworks_.size();
  Metrics& m = metrics_;
  m.uptime_secs = std::chrono::duration<double>(clock_.now() - started_).count();
  m.elected = 1;
  m.slaves_active = connected;
  m.slaves_inactive = agents - connected;
  m.slaves_connected = connected;
  m.slaves_disconnected = agents - connected;
  m.frameworks_active = frameworks_.activeCount();
  m.frameworks_inactive = frameworks - frameworks_.activeCount();
  m.frameworks_connected = frameworks_.connectedCount();
  m.frameworks_disconnected = frameworks - frameworks_.connectedCount();
  m.outstanding_offers = offers_.size();
  m.tasks_staging = tasks_.liveIn(v1::TASK_STAGING);
  m.tasks_starting = tasks_.liveIn(v1::TASK_STARTING);
  m.tasks_running = tasks_.liveIn(v1::TASK_RUNNING);
  m.tasks_killing = tasks_.liveIn(v1::TASK_KILLING);
  m.tasks_unreachable = tasks_.unreachableCount();
  m.slaves_unreachable = registry_state_.unreachable.size();
  const ResourceVector& total = agents_.totalScalars();
  const ResourceVector& used = agents_.usedScalars();
  const ResourceVector& offered = offers_.offeredScalars();
  setResourceGauges(m.resources, total, used);
  // Mesos's master/<name>_revocable_*: the agents' oversubscribed resources (as they last
  // reported them) and what of them tasks and executors use.
  setResourceGauges(m.revocable, agents_.revocableTotalScalars(), agents_.revocableUsedScalars());
  for (size_t i = 0; i < Metrics::kResources.size(); ++i) {
    // Offered or allocated, as Mesos's allocator counts them; the web UI charts offered = this
    // minus master/<name>_used.
    m.allocator[i].total = total.value(static_cast<ResourceVector::Slot>(i));
    m.allocator[i].offered_or_allocated = milliToScalar(used.milli[i] + offered.milli[i]);
  }
}

PerFrameworkMetrics::Live Master::frameworkLive(const std::string& framework_id) const {
  PerFrameworkMetrics::Live live;
  const Framework* fw = frameworks_.find(framework_id);
  if (fw == nullptr) {
    return live;  // completed: not subscribed, no live tasks, no roles (as Mesos's allocator)
  }
  live.subscribed = fw->connected && fw->active;
  live.tasks = tasks_.liveByState(framework_id);
  // As the master's tasks_unreachable: the tasks its unreachable list holds.
  live.tasks[v1::TASK_UNREACHABLE] +=
      static_cast<uint32_t>(tasks_.unreachable(framework_id).size());
  live.roles.reserve(fw->roles.size());
  for (const auto& role : fw->roles) {
    live.roles.emplace_back(role, fw->suppressed_roles.contains(role));
  }
  return live;
}

std::vector<std::pair<std::string, double>> Master::metricsSnapshot() const {
  return metrics_.registry.snapshot();
}

http::Response Master::metricsJson() const {
  return http::Response::json(metrics_.registry.snapshotJson());
}

}  // namespace plateau::master
