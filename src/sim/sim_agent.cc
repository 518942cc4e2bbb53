#include "sim/sim_agent.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace plateau::sim {

namespace v1 = mesos::v1;
namespace internal = plateau::internal;

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool isTerminal(v1::TaskState state) {
  switch (state) {
    case v1::TASK_FINISHED:
    case v1::TASK_FAILED:
    case v1::TASK_KILLED:
    case v1::TASK_LOST:
    case v1::TASK_ERROR:
    case v1::TASK_DROPPED:
    case v1::TASK_GONE:
      return true;
    default:
      return false;
  }
}

void addScalar(google::protobuf::RepeatedPtrField<v1::Resource>* out, const char* name,
               double value) {
  if (value <= 0) {
    return;
  }
  v1::Resource* r = out->Add();
  r->set_name(name);
  r->set_type(v1::Value::SCALAR);
  r->mutable_scalar()->set_value(value);
}

std::optional<std::chrono::milliseconds> durationOf(const v1::TaskInfo& task) {
  for (const auto& label : task.labels().labels()) {
    if (label.key() == kDurationLabel) {
      try {
        return std::chrono::milliseconds(std::stoll(label.value()));
      } catch (...) {
        return std::nullopt;  // not a number: the task runs until killed
      }
    }
  }
  return std::nullopt;
}

}  // namespace

SimAgent::SimAgent(const Clock& clock, Timers& timers, AgentSpec spec, Options options,
                   uint64_t seed, Hooks hooks)
    : clock_(clock),
      timers_(timers),
      spec_(std::move(spec)),
      options_(options),
      hooks_(std::move(hooks)),
      uuid_state_(seed) {}

SimAgent::~SimAgent() {
  if (flush_timer_ != 0) {
    timers_.cancel(flush_timer_);
  }
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
}

internal::AgentCall SimAgent::registration() const {
  internal::AgentCall call;
  call.set_type(internal::AgentCall::REGISTER);
  auto* reg = call.mutable_register_();
  v1::AgentInfo* info = reg->mutable_agent_info();
  info->set_hostname(spec_.hostname);
  info->set_port(5051);
  if (!id_.empty()) {
    info->mutable_id()->set_value(id_);
  }
  addScalar(info->mutable_resources(), "cpus", spec_.cpus);
  addScalar(info->mutable_resources(), "mem", spec_.mem);
  addScalar(info->mutable_resources(), "disk", spec_.disk);
  for (const auto& [name, value] : spec_.attributes) {
    v1::Attribute* a = info->add_attributes();
    a->set_name(name);
    a->set_type(v1::Value::TEXT);
    a->mutable_text()->set_value(value);
  }
  reg->set_version("0.1.0");
  reg->set_ip(spec_.ip);
  reg->set_batches(true);
  if (id_.empty()) {
    return call;  // a new agent reports nothing
  }
  for (const auto& [fw_id, framework] : frameworks_) {
    *reg->add_frameworks() = framework;
  }
  for (const auto& [task_id, task] : tasks_) {
    v1::Task* t = reg->add_tasks();
    t->ParsePartialFromString(*task.resources);  // the resources only
    auto name = names_.find(task_id);
    t->set_name(name != names_.end() ? name->second : task_id);
    t->mutable_task_id()->set_value(task_id);
    t->mutable_framework_id()->set_value(*task.framework_id);
    t->mutable_agent_id()->set_value(id_);
    t->set_state(task.state);
  }
  return call;
}

void SimAgent::registered(const std::string& agent_id, bool batches) {
  id_ = agent_id;
  connected_ = true;
  batches_ = batches;
  outgoing_.Clear();  // whatever waited went to the old link: each goes again below
  for (auto& [task_id, task] : tasks_) {
    if (!task.updates.empty()) {
      sendHead(task_id, task);
    }
  }
}

void SimAgent::handle(const internal::AgentEvent& event) {
  switch (event.type()) {
    case internal::AgentEvent::RUN_TASK:
      runTask(event.run_task());
      break;
    case internal::AgentEvent::KILL_TASK:
      killTask(event.kill_task().task_id().value(),
               v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH);
      break;
    case internal::AgentEvent::ACKNOWLEDGE:
      if (event.acknowledgements_size() == 0) {
        acknowledge(event.acknowledge());
      }
      for (const auto& ack : event.acknowledgements()) {
        acknowledge(ack);
      }
      break;
    case internal::AgentEvent::SHUTDOWN_FRAMEWORK:
      shutdownFramework(event.shutdown_framework().framework_id().value());
      break;
    case internal::AgentEvent::SHUTDOWN:
      forgetAll();
      id_.clear();
      break;
    default:
      break;  // task groups, checkpointed resources, messages: not simulated
  }
}

void SimAgent::heartbeat() {
  if (!connected_) {
    return;
  }
  internal::AgentCall call;
  call.set_type(internal::AgentCall::HEARTBEAT);
  call.mutable_agent_id()->set_value(id_);
  hooks_.send(call);
  const Clock::TimePoint now = clock_.now();
  for (auto& [task_id, task] : tasks_) {
    const auto interval = std::min(
        options_.retry_interval * (int64_t{1} << std::min(task.resends, 20)), kMaxRetryInterval);
    if (!task.updates.empty() && now - task.sent_at >= interval) {
      task.resends++;
      sendHead(task_id, task);
    }
  }
}

std::optional<v1::TaskState> SimAgent::taskState(const std::string& task_id) const {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) {
    return std::nullopt;
  }
  return it->second.state;
}

size_t SimAgent::pendingUpdates() const {
  size_t n = 0;
  for (const auto& [id, task] : tasks_) {
    n += task.updates.size();
  }
  return n;
}

void SimAgent::runTask(const internal::AgentEvent::RunTask& run) {
  const std::string& task_id = run.task().task_id().value();
  const std::string& fw_id = run.framework_info().id().value();
  frameworks_[fw_id] = run.framework_info();
  if (hooks_.task_received) {
    hooks_.task_received(task_id);
  }
  auto [it, inserted] = tasks_.try_emplace(task_id);
  if (!inserted) {
    return;  // a duplicate RUN_TASK: the task is already here
  }
  Task& task = it->second;
  task.framework_id = &*framework_ids_.insert(fw_id).first;
  v1::Task reported;
  *reported.mutable_resources() = run.task().resources();
  auto shape = shapes_.try_emplace(reported.SerializePartialAsString(), 0).first;
  shape->second++;
  task.resources = &shape->first;
  if (run.task().name() != task_id) {
    names_[task_id] = run.task().name();
  }
  if (std::optional<std::chrono::milliseconds> duration = durationOf(run.task())) {
    task.duration_ms = duration->count();
  }
  transition(task_id, v1::TASK_STARTING);
  schedule(task_id, task, options_.start_delay);
}

void SimAgent::killTask(const std::string& task_id, v1::TaskStatus::Reason reason) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || isTerminal(it->second.state)) {
    return;  // unknown or already ended: its terminal update is (or was) on its way
  }
  it->second.due = 0;  // its entry in due_ is stale now
  if (it->second.state == v1::TASK_STARTING) {
    transition(task_id, v1::TASK_KILLED, reason);
  } else {
    transition(task_id, v1::TASK_KILLED);
  }
}

void SimAgent::acknowledge(const internal::AgentEvent::Acknowledge& ack) {
  auto it = tasks_.find(ack.task_id().value());
  if (it == tasks_.end() || it->second.updates.empty()) {
    return;
  }
  const std::array<char, 16>& uuid = it->second.updates.front().uuid;
  if (ack.uuid().size() != uuid.size() ||
      std::memcmp(ack.uuid().data(), uuid.data(), uuid.size()) != 0) {
    return;  // stale or duplicate
  }
  Task& task = it->second;
  const bool terminal = isTerminal(task.updates.front().state);
  task.updates.erase(task.updates.begin());
  task.resends = 0;
  if (!task.updates.empty()) {
    return sendHead(it->first, task);
  }
  if (!terminal) {
    return;
  }
  internal::AgentCall call;
  call.set_type(internal::AgentCall::EXECUTOR_EXITED);
  call.mutable_agent_id()->set_value(id_);
  auto* exited = call.mutable_executor_exited();
  exited->mutable_framework_id()->set_value(*task.framework_id);
  exited->mutable_executor_id()->set_value(it->first);
  exited->set_status(0);
  erase(it);
  if (connected_) {
    hooks_.send(call);
  }
}

void SimAgent::shutdownFramework(const std::string& framework_id) {
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    if (*it->second.framework_id == framework_id) {
      erase(it++);  // the framework is gone: nobody would acknowledge its updates
    } else {
      ++it;
    }
  }
  frameworks_.erase(framework_id);
  framework_ids_.erase(framework_id);
}

void SimAgent::forgetAll() {
  if (timer_ != 0) {
    timers_.cancel(timer_);
    timer_ = 0;
  }
  tasks_.clear();
  frameworks_.clear();
  framework_ids_.clear();
  shapes_.clear();
  names_.clear();
  due_.clear();
}

void SimAgent::erase(std::unordered_map<std::string, Task>::iterator it) {
  auto shape = shapes_.find(*it->second.resources);
  if (--shape->second == 0) {
    shapes_.erase(shape);
  }
  names_.erase(it->first);
  tasks_.erase(it);
}

void SimAgent::transition(const std::string& task_id, v1::TaskState state, int reason) {
  Task& task = tasks_.at(task_id);
  task.state = state;
  task.updates.push_back(
      {.state = state, .reason = reason, .uuid = nextUuid(), .timestamp = clock_.wallSeconds()});
  if (task.updates.size() == 1) {
    sendHead(task_id, task);
  }
}

void SimAgent::sendHead(const std::string& task_id, Task& task) {
  task.sent_at = clock_.now();
  if (!connected_) {
    return;  // registered() sends it
  }
  const Update& head = task.updates.front();
  internal::AgentCall call;
  call.set_type(internal::AgentCall::STATUS_UPDATE);
  call.mutable_agent_id()->set_value(id_);
  auto* update = batches_ ? outgoing_.add_status_updates() : call.mutable_status_update();
  update->mutable_framework_id()->set_value(*task.framework_id);
  v1::TaskStatus* status = update->mutable_status();
  status->mutable_task_id()->set_value(task_id);
  status->set_state(head.state);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  if (head.reason >= 0) {
    status->set_reason(static_cast<v1::TaskStatus::Reason>(head.reason));
  }
  status->mutable_executor_id()->set_value(task_id);
  status->set_uuid(head.uuid.data(), head.uuid.size());
  status->set_timestamp(head.timestamp);
  status->mutable_agent_id()->set_value(id_);
  update->set_latest_state(task.state);
  updates_sent_++;
  if (!batches_) {
    hooks_.send(call);
  } else if (flush_timer_ == 0) {
    // The updates made within the window (a RUN_TASK burst, a start delay ending for many
    // tasks at once, a batch of acknowledgements) leave together, in the order they were made.
    flush_timer_ = timers_.after(kBatchWindow, [this] { flushUpdates(); });
  }
}

void SimAgent::flushUpdates() {
  flush_timer_ = 0;
  if (!connected_ || outgoing_.status_updates_size() == 0) {
    outgoing_.Clear();  // a new registration sends every unacknowledged update again
    return;
  }
  outgoing_.set_type(internal::AgentCall::STATUS_UPDATE);
  outgoing_.mutable_agent_id()->set_value(id_);
  if (outgoing_.status_updates_size() == 1) {
    // One alone goes as an agent without batching sends it.
    outgoing_.mutable_status_update()->Swap(outgoing_.mutable_status_updates(0));
    outgoing_.clear_status_updates();
  }
  hooks_.send(outgoing_);
  outgoing_.Clear();
}

void SimAgent::schedule(const std::string& task_id, Task& task, std::chrono::nanoseconds delay) {
  task.due = next_seq_++;
  due_.push_back({clock_.now() + delay, task.due, task_id});
  std::push_heap(due_.begin(), due_.end(), std::greater<>());
  if (due_.size() > 2 * tasks_.size() + 64) {
    // Killed tasks' entries pile up until they come due: keep the live ones only.
    std::erase_if(due_, [this](const Due& d) {
      auto it = tasks_.find(d.task_id);
      return it == tasks_.end() || it->second.due != d.seq;
    });
    std::make_heap(due_.begin(), due_.end(), std::greater<>());
  }
  armTimer();
}

void SimAgent::fireDue() {
  timer_ = 0;
  const Clock::TimePoint now = clock_.now();
  while (!due_.empty() && due_.front().at <= now) {
    std::pop_heap(due_.begin(), due_.end(), std::greater<>());
    Due next = std::move(due_.back());
    due_.pop_back();
    auto it = tasks_.find(next.task_id);
    if (it == tasks_.end() || it->second.due != next.seq) {
      continue;  // killed, forgotten or rescheduled since
    }
    Task& task = it->second;
    task.due = 0;
    if (task.state == v1::TASK_STARTING) {
      transition(next.task_id, v1::TASK_RUNNING);
      if (task.duration_ms >= 0) {
        schedule(next.task_id, task, std::chrono::milliseconds(task.duration_ms));
      }
    } else if (task.state == v1::TASK_RUNNING) {
      transition(next.task_id, v1::TASK_FINISHED);
    }
  }
  armTimer();
}

void SimAgent::armTimer() {
  while (!due_.empty()) {
    auto it = tasks_.find(due_.front().task_id);
    if (it != tasks_.end() && it->second.due == due_.front().seq) {
      break;
    }
    std::pop_heap(due_.begin(), due_.end(), std::greater<>());  // stale: drop it
    due_.pop_back();
  }
  if (due_.empty()) {
    if (timer_ != 0) {
      timers_.cancel(timer_);
      timer_ = 0;
    }
    return;
  }
  const Clock::TimePoint at = due_.front().at;
  if (timer_ != 0 && timer_at_ <= at) {
    return;  // armed for this one or an earlier one, which re-arms when it fires
  }
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
  timer_at_ = at;
  timer_ = timers_.after(std::max(at - clock_.now(), Clock::TimePoint::duration::zero()),
                         [this] { fireDue(); });
}

std::array<char, 16> SimAgent::nextUuid() {
  std::array<char, 16> bytes{};
  uint64_t a = splitmix64(uuid_state_);
  uint64_t b = splitmix64(uuid_state_);
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>(a >> (8 * i));
    bytes[8 + i] = static_cast<char>(b >> (8 * i));
  }
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);  // variant
  return bytes;
}

}  // namespace plateau::sim
