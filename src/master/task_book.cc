#include "master/task_book.h"

#include <algorithm>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "common/invariant.h"
#include "common/resources_proto.h"
#include "common/task_state.h"

namespace plateau::master {

namespace {

const TaskBook::Tasks kNoTasks;
const std::deque<mesos::v1::Task> kNoRecords;

enum IdBit : uint32_t { kTaskIdBit = 1, kAgentIdBit = 2, kExecutorIdBit = 4 };
// Above every status's id bits: the latest kept status's uuid is left out, being the task's
// status_update_uuid (which every update that appends a status sets to that status's uuid).
constexpr uint32_t kLastUuidBit = 1u << 31;
static_assert(TaskBook::kMaxStatuses * 3 < 31, "the id bits stay below kLastUuidBit");

// The executor id a status of the task names when it is the task's own: its executor's, or its
// own id for a command task (whose executor takes the task's id).
const std::string& ownExecutorId(const mesos::v1::Task& task) {
  return task.has_executor_id() ? task.executor_id().value() : task.task_id().value();
}

}  // namespace

Task::~Task() {
  // The book's ids are not the task's to free.
  if (shares_framework_id_) {
    info.unsafe_arena_release_framework_id();
  }
  if (shares_agent_id_) {
    info.unsafe_arena_release_agent_id();
  }
}

Task::Task(Task&& other) noexcept
    : info(std::move(other.info)),
      role(std::move(other.role)),
      resources_released(other.resources_released),
      details_(std::move(other.details_)),
      elided_ids_(other.elided_ids_),
      agent_slot_(other.agent_slot_),
      encoded_statuses_(other.encoded_statuses_),
      shares_framework_id_(std::exchange(other.shares_framework_id_, false)),
      shares_agent_id_(std::exchange(other.shares_agent_id_, false)) {}

void Task::shareIds(mesos::v1::FrameworkID* framework_id, mesos::v1::AgentID* agent_id) {
  // unsafe_arena_set_allocated_*() frees the task's own id (the message is on no arena) and
  // takes the book's without owning it; the destructor and ownIds() release it again.
  if (info.has_framework_id() && info.framework_id().value() == framework_id->value()) {
    info.unsafe_arena_set_allocated_framework_id(framework_id);
    shares_framework_id_ = true;
  }
  if (info.has_agent_id() && info.agent_id().value() == agent_id->value()) {
    info.unsafe_arena_set_allocated_agent_id(agent_id);
    shares_agent_id_ = true;
  }
}

void Task::ownIds() {
  if (shares_framework_id_) {
    *info.mutable_framework_id() = *info.unsafe_arena_release_framework_id();
    shares_framework_id_ = false;
  }
  if (shares_agent_id_) {
    *info.mutable_agent_id() = *info.unsafe_arena_release_agent_id();
    shares_agent_id_ = false;
  }
}

void Task::copyInfo(mesos::v1::Task* out) const {
  *out = info;
  restore(out);
}

mesos::v1::Task Task::details() const {
  mesos::v1::Task details;
  details.ParsePartialFromString(details_);
  return details;
}

double Task::startedAt() const {
  if (encoded_statuses_ == 0) {
    return info.statuses_size() > 0 ? info.statuses(0).timestamp() : 0;
  }
  // The first status record in the encoded fields, read without parsing the rest.
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(details_.data()),
                                            static_cast<int>(details_.size()));
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) != mesos::v1::Task::kStatusesFieldNumber) {
      if (!WireFormatLite::SkipField(&in, tag)) {
        break;
      }
      continue;
    }
    uint32_t length = 0;
    mesos::v1::TaskStatus first;
    if (in.ReadVarint32(&length)) {
      auto limit = in.PushLimit(static_cast<int>(length));
      first.MergePartialFromCodedStream(&in);
      in.PopLimit(limit);
    }
    return first.timestamp();
  }
  return 0;
}

void Task::encodeStatus(mesos::v1::TaskStatus* status) {
  mesos::v1::Task record;
  record.mutable_statuses()->AddAllocated(status);  // owned by `record` now, freed with it
  details_ += record.SerializePartialAsString();
  details_.shrink_to_fit();  // kept for the task's life: no room to grow
  encoded_statuses_++;
}

void Task::dropOldestStatus() {
  mesos::v1::Task encoded = details();
  encoded.mutable_statuses()->DeleteSubrange(0, 1);
  details_ = encoded.SerializePartialAsString();
  encoded_statuses_--;
}

Resources Task::resources() const {
  auto parsed = resourcesFromProto(details().resources());
  if (!parsed) {
    // Only resources that parsed are ever kept.
    invariantBroken("task " + info.task_id().value() + " holds resources that do not parse");
  }
  return *parsed;
}

void Task::encodeDetails() {
  mesos::v1::Task details;
  // release_*() hands the parts over and frees them from `info` (clear_*() would keep their
  // memory for reuse).
  details.set_allocated_name(info.release_name());
  details.mutable_resources()->Swap(info.mutable_resources());
  details.mutable_limits()->swap(*info.mutable_limits());
  if (info.has_labels()) details.set_allocated_labels(info.release_labels());
  if (info.has_discovery()) details.set_allocated_discovery(info.release_discovery());
  if (info.has_container()) details.set_allocated_container(info.release_container());
  if (info.has_health_check()) details.set_allocated_health_check(info.release_health_check());
  if (info.has_kill_policy()) details.set_allocated_kill_policy(info.release_kill_policy());
  details_.clear();
  details.SerializePartialToString(&details_);
}

void Task::elideIds(mesos::v1::TaskStatus* status, int index, bool latest) {
  if (latest && status->has_uuid() && info.has_status_update_uuid() &&
      status->uuid() == info.status_update_uuid()) {
    status->set_allocated_uuid(nullptr);  // freed, as the ids below
    elided_ids_ |= kLastUuidBit;
  }
  if (index >= TaskBook::kMaxStatuses) {
    return;  // only a task that came with a longer history (its agent's) has one there
  }
  uint32_t bits = 0;
  if (status->has_task_id() && status->task_id().value() == info.task_id().value()) {
    status->set_allocated_task_id(nullptr);  // freed: clear_*() keeps the memory
    bits |= kTaskIdBit;
  }
  if (status->has_agent_id() && info.has_agent_id() &&
      status->agent_id().value() == info.agent_id().value()) {
    status->set_allocated_agent_id(nullptr);
    bits |= kAgentIdBit;
  }
  if (status->has_executor_id() && status->executor_id().value() == ownExecutorId(info)) {
    status->set_allocated_executor_id(nullptr);
    bits |= kExecutorIdBit;
  }
  const int shift = index * kIdBits;
  elided_ids_ = (elided_ids_ & ~(((1u << kIdBits) - 1) << shift)) | (bits << shift);
}

void Task::restore(mesos::v1::Task* out) const {
  google::protobuf::io::CodedInputStream encoded(reinterpret_cast<const uint8_t*>(details_.data()),
                                                 static_cast<int>(details_.size()));
  out->MergePartialFromCodedStream(&encoded);
  // The encoded older statuses came after the latest: put them before it.
  auto* statuses = out->mutable_statuses();
  std::rotate(statuses->pointer_begin(), statuses->pointer_end() - encoded_statuses_,
              statuses->pointer_end());
  // Only the first kMaxStatuses have bits (a longer history came from an agent, kept whole).
  for (int i = 0; i < std::min(out->statuses_size(), TaskBook::kMaxStatuses); ++i) {
    const uint32_t bits = (elided_ids_ >> (i * kIdBits)) & ((1u << kIdBits) - 1);
    if (bits == 0) {
      continue;
    }
    mesos::v1::TaskStatus* status = out->mutable_statuses(i);
    if (bits & kTaskIdBit) {
      *status->mutable_task_id() = info.task_id();
    }
    if (bits & kAgentIdBit) {
      *status->mutable_agent_id() = info.agent_id();
    }
    if (bits & kExecutorIdBit) {
      status->mutable_executor_id()->set_value(ownExecutorId(info));
    }
  }
  if (elided_ids_ & kLastUuidBit) {
    out->mutable_statuses(out->statuses_size() - 1)->set_uuid(info.status_update_uuid());
  }
}

Task& TaskBook::add(const std::string& framework_id, Task task) {
  const std::string task_id = task.info.task_id().value();
  task.encodeDetails();
  task.elided_ids_ = 0;
  task.encoded_statuses_ = 0;
  const int count = task.info.statuses_size();
  for (int i = 0; i < count; ++i) {
    task.elideIds(task.info.mutable_statuses(i), i, i == count - 1);
  }
  // All but the latest are kept encoded, oldest first.
  auto* statuses = task.info.mutable_statuses();
  for (int i = 0; i + 1 < count; ++i) {
    mesos::v1::TaskStatus* older = statuses->Mutable(i);
    task.encodeStatus(new mesos::v1::TaskStatus(std::move(*older)));
  }
  if (count > 1) {
    statuses->DeleteSubrange(0, count - 1);
  }
  FrameworkTasks& framework = frameworks_[framework_id];
  auto [it, added] = framework.live.try_emplace(task_id, std::move(task));
  if (!added) {
    invariantBroken("task " + task_id + " of framework " + framework_id + " is live already");
  }
  Task& kept = it->second;
  if (framework.id.value().empty()) {
    framework.id.set_value(framework_id);
  }
  auto [agent, listed_first] = agents_.try_emplace(kept.info.agent_id().value());
  if (listed_first) {
    agent->second.id.set_value(agent->first);
  }
  kept.shareIds(&framework.id, &agent->second.id);
  auto& listed = agent->second.tasks;
  kept.agent_slot_ = static_cast<uint32_t>(listed.size());
  listed.push_back(&kept);
  live_++;
  countState(framework, kept.info.state(), +1);
  return kept;
}

void TaskBook::countState(FrameworkTasks& framework, mesos::v1::TaskState state, int delta) {
  if (delta > 0) {
    live_by_state_[state]++;
    framework.live_by_state[state]++;
  } else {
    live_by_state_[state]--;
    framework.live_by_state[state]--;
  }
}

void TaskBook::unlist(const Task& task) {
  auto agent = agents_.find(task.info.agent_id().value());
  if (agent == agents_.end() || task.agent_slot_ >= agent->second.tasks.size() ||
      agent->second.tasks[task.agent_slot_] != &task) {
    invariantBroken("task " + task.info.task_id().value() + " is not in its agent's list");
  }
  auto& listed = agent->second.tasks;
  listed[task.agent_slot_] = listed.back();
  listed[task.agent_slot_]->agent_slot_ = task.agent_slot_;
  listed.pop_back();
  if (listed.empty()) {
    agents_.erase(agent);
  }
}

Task* TaskBook::find(const std::string& framework_id, const std::string& task_id) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return nullptr;
  }
  auto task = fw->second.live.find(task_id);
  return task == fw->second.live.end() ? nullptr : &task->second;
}

const Task* TaskBook::find(const std::string& framework_id, const std::string& task_id) const {
  return const_cast<TaskBook*>(this)->find(framework_id, task_id);
}

const TaskBook::Tasks& TaskBook::of(const std::string& framework_id) const {
  auto fw = frameworks_.find(framework_id);
  return fw == frameworks_.end() ? kNoTasks : fw->second.live;
}

size_t TaskBook::liveIn(mesos::v1::TaskState state) const {
  return state >= 0 && state < mesos::v1::TaskState_ARRAYSIZE ? live_by_state_[state] : 0;
}

TaskBook::StateCounts TaskBook::liveByState(const std::string& framework_id) const {
  auto fw = frameworks_.find(framework_id);
  return fw == frameworks_.end() ? StateCounts{} : fw->second.live_by_state;
}

TaskBook::AgentTasks TaskBook::on(const std::string& agent_id) const {
  AgentTasks tasks;
  auto agent = agents_.find(agent_id);
  if (agent == agents_.end()) {
    return tasks;
  }
  tasks.reserve(agent->second.tasks.size());
  for (const Task* task : agent->second.tasks) {
    tasks.emplace_back(task->info.framework_id().value(), task->info.task_id().value());
  }
  std::sort(tasks.begin(), tasks.end());
  return tasks;
}

size_t TaskBook::countOn(const std::string& agent_id) const {
  auto agent = agents_.find(agent_id);
  return agent == agents_.end() ? 0 : agent->second.tasks.size();
}

const std::deque<mesos::v1::Task>& TaskBook::completed(const std::string& framework_id) const {
  auto fw = frameworks_.find(framework_id);
  return fw == frameworks_.end() ? kNoRecords : fw->second.completed;
}

const std::deque<mesos::v1::Task>& TaskBook::unreachable(const std::string& framework_id) const {
  auto fw = frameworks_.find(framework_id);
  return fw == frameworks_.end() ? kNoRecords : fw->second.unreachable;
}

bool TaskBook::update(Task& task, const mesos::v1::TaskStatus& status,
                      mesos::v1::TaskState latest) {
  bool was_terminal = isTerminal(task.info.state());
  auto fw = frameworks_.find(task.info.framework_id().value());
  if (fw == frameworks_.end()) {
    invariantBroken("task " + task.info.task_id().value() + " is updated outside the book");
  }
  countState(fw->second, task.info.state(), -1);
  countState(fw->second, latest, +1);
  auto* statuses = task.info.mutable_statuses();
  const bool appends = statuses->empty() || statuses->rbegin()->state() != status.state();
  if ((task.elided_ids_ & kLastUuidBit) &&
      (appends || status.uuid() != task.info.status_update_uuid())) {
    // The latest kept status shared its uuid with status_update_uuid, which changes now.
    statuses->rbegin()->set_uuid(task.info.status_update_uuid());
    task.elided_ids_ &= ~kLastUuidBit;
  }
  task.info.set_state(latest);
  task.info.set_status_update_state(status.state());
  if (status.has_uuid()) {
    task.info.set_status_update_uuid(status.uuid());
  } else {
    task.info.clear_status_update_uuid();
  }
  if (appends) {
    if (!statuses->empty()) {
      task.encodeStatus(statuses->ReleaseLast());  // the latest until now: kept encoded
    }
    mesos::v1::TaskStatus* kept = statuses->Add();
    *kept = status;
    kept->clear_data();
    if (task.encoded_statuses_ + 1 > kMaxStatuses) {
      task.dropOldestStatus();
      task.elided_ids_ >>= Task::kIdBits;
    }
    task.elideIds(kept, task.encoded_statuses_, true);
  }
  return !was_terminal && isTerminal(latest);
}

bool TaskBook::complete(const std::string& framework_id, const std::string& task_id) {
  return retire(framework_id, task_id, &FrameworkTasks::completed, max_completed_);
}

bool TaskBook::markUnreachable(const std::string& framework_id, const std::string& task_id) {
  return retire(framework_id, task_id, &FrameworkTasks::unreachable, max_unreachable_);
}

bool TaskBook::retire(const std::string& framework_id, const std::string& task_id,
                      std::deque<mesos::v1::Task> FrameworkTasks::*into, size_t max) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return false;
  }
  auto task = fw->second.live.find(task_id);
  if (task == fw->second.live.end()) {
    return false;
  }
  Task& retired = task->second;
  retired.ownIds();  // before unlist(), which may drop the agent's entry and its id
  unlist(retired);
  countState(fw->second, retired.info.state(), -1);
  auto& records = fw->second.*into;
  const bool unreachable = into == &FrameworkTasks::unreachable;
  retired.restore(&retired.info);
  records.push_back(std::move(retired.info));
  unreachable_count_ += unreachable ? 1 : 0;
  while (records.size() > max) {
    records.pop_front();
    unreachable_count_ -= unreachable ? 1 : 0;
  }
  fw->second.live.erase(task);
  live_--;
  return true;
}

void TaskBook::forget(const std::string& framework_id) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return;
  }
  for (const auto& [task_id, task] : fw->second.live) {
    live_by_state_[task.info.state()]--;  // the framework's own counts go with it
    unlist(task);
  }
  live_ -= fw->second.live.size();
  unreachable_count_ -= fw->second.unreachable.size();
  frameworks_.erase(fw);
}

bool TaskBook::forgetUnreachable(const std::string& framework_id, const std::string& task_id) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return false;
  }
  const size_t erased = std::erase_if(fw->second.unreachable, [&](const mesos::v1::Task& task) {
    return task.task_id().value() == task_id;
  });
  unreachable_count_ -= erased;
  return erased > 0;
}

}  // namespace plateau::master
