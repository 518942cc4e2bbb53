#include "sim/sim_framework.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace plateau::sim {

namespace v1 = mesos::v1;
namespace scheduler = mesos::v1::scheduler;

namespace {

constexpr std::chrono::milliseconds kArrivalTick{100};

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double uniform01(uint64_t& state) {
  return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
}

void addScalar(google::protobuf::RepeatedPtrField<v1::Resource>* out, const char* name,
               double value, const v1::Resource* like) {
  if (value <= 0) {
    return;
  }
  v1::Resource* r = out->Add();
  r->set_name(name);
  r->set_type(v1::Value::SCALAR);
  r->mutable_scalar()->set_value(value);
  if (like != nullptr && like->has_allocation_info()) {
    *r->mutable_allocation_info() = like->allocation_info();
  }
}

}  // namespace

void FrameworkStats::add(const FrameworkStats& o) {
  offers += o.offers;
  offers_accepted += o.offers_accepted;
  offers_declined += o.offers_declined;
  rescinded += o.rescinded;
  suppress += o.suppress;
  revive += o.revive;
  updates += o.updates;
  failures += o.failures;
  errors += o.errors;
}

SimFramework::SimFramework(const Clock& clock, Timers& timers, const FrameworkGroup& spec,
                           int index, uint64_t seed, TaskLedger& ledger, Hooks hooks)
    : clock_(clock),
      timers_(timers),
      spec_(spec),
      name_(fmt::format("{}-{}", spec.name, index)),
      ledger_(ledger),
      hooks_(std::move(hooks)),
      rng_(seed) {}

SimFramework::~SimFramework() {
  if (arrival_timer_ != 0) {
    timers_.cancel(arrival_timer_);
  }
}

v1::FrameworkInfo SimFramework::info() const {
  v1::FrameworkInfo info;
  info.set_user("plateau-sim");
  info.set_name(name_);
  info.add_roles(spec_.role);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  info.set_failover_timeout(spec_.failover_timeout_s);
  if (!framework_id_.empty()) {
    info.mutable_id()->set_value(framework_id_);
  }
  return info;
}

scheduler::Call SimFramework::subscription() const {
  scheduler::Call subscribe;
  subscribe.set_type(scheduler::Call::SUBSCRIBE);
  *subscribe.mutable_subscribe()->mutable_framework_info() = info();
  if (!framework_id_.empty()) {
    subscribe.mutable_framework_id()->set_value(framework_id_);
  }
  if (suppressed_) {
    subscribe.mutable_subscribe()->add_suppressed_roles(spec_.role);
  }
  return subscribe;
}

scheduler::Call SimFramework::call(scheduler::Call::Type type) const {
  scheduler::Call c;
  c.set_type(type);
  c.mutable_framework_id()->set_value(framework_id_);
  return c;
}

void SimFramework::handle(const scheduler::Event& event) {
  switch (event.type()) {
    case scheduler::Event::SUBSCRIBED: {
      const bool first = framework_id_.empty();
      framework_id_ = event.subscribed().framework_id().value();
      if (first) {
        arrivals_started_ = clock_.now();
        submit(spec_.initial_tasks);
        arrival_timer_ = timers_.every(kArrivalTick, [this] { arrivals(); });
      }
      if (waiting_ > 0 && suppressed_) {
        suppressed_ = false;  // a new subscription starts unsuppressed
      }
      break;
    }
    case scheduler::Event::OFFERS:
      offers(event.offers());
      break;
    case scheduler::Event::UPDATE:
      update(event.update().status());
      break;
    case scheduler::Event::RESCIND:
      stats_.rescinded++;
      break;
    case scheduler::Event::FAILURE:
      stats_.failures++;
      break;
    case scheduler::Event::ERROR:
      stats_.errors++;
      break;
    default:
      break;
  }
}

void SimFramework::stopArrivals() {
  arrivals_stopped_ = true;
  if (arrival_timer_ != 0) {
    timers_.cancel(arrival_timer_);
    arrival_timer_ = 0;
  }
}

void SimFramework::arrivals() {
  if (arrivals_stopped_) {
    return;
  }
  const double elapsed = std::chrono::duration<double>(clock_.now() - arrivals_started_).count();
  const auto due =
      spec_.initial_tasks + static_cast<int64_t>(std::floor(spec_.arrival_rate * elapsed));
  submit(due - submitted_);
}

void SimFramework::submit(int64_t n) {
  if (spec_.max_tasks > 0) {
    n = std::min(n, spec_.max_tasks - submitted_);
  }
  if (n <= 0) {
    return;
  }
  const Clock::TimePoint now = clock_.now();
  for (int64_t i = 0; i < n; ++i) {
    ledger_.submitted(fmt::format("{}-{}", name_, submitted_ + i), now);
  }
  submitted_ += n;
  waiting_ += n;
  if (suppressed_) {
    suppressed_ = false;
    stats_.revive++;
    hooks_.send(call(scheduler::Call::REVIVE));
  }
}

double SimFramework::nextDuration() {
  return spec_.duration_min_s + (spec_.duration_max_s - spec_.duration_min_s) * uniform01(rng_);
}

void SimFramework::offers(const scheduler::Event::Offers& offers) {
  scheduler::Call decline = call(scheduler::Call::DECLINE);
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(spec_.refuse_seconds);
  const Clock::TimePoint now = clock_.now();
  for (const v1::Offer& offer : offers.offers()) {
    stats_.offers++;
    double cpus = 0;
    double mem = 0;
    double disk = 0;
    const v1::Resource* like = nullptr;
    for (const v1::Resource& r : offer.resources()) {
      if (r.type() != v1::Value::SCALAR || r.has_reservation() || r.reservations_size() > 0) {
        continue;  // this framework launches on unreserved scalars only
      }
      like = &r;
      if (r.name() == "cpus") {
        cpus += r.scalar().value();
      } else if (r.name() == "mem") {
        mem += r.scalar().value();
      } else if (r.name() == "disk") {
        disk += r.scalar().value();
      }
    }
    int64_t fit = waiting_;
    fit = std::min<int64_t>(fit, static_cast<int64_t>(cpus / spec_.task_cpus + 1e-9));
    fit = std::min<int64_t>(fit, static_cast<int64_t>(mem / spec_.task_mem + 1e-9));
    if (spec_.task_disk > 0) {
      fit = std::min<int64_t>(fit, static_cast<int64_t>(disk / spec_.task_disk + 1e-9));
    }
    if (spec_.max_tasks_per_offer > 0) {
      fit = std::min<int64_t>(fit, spec_.max_tasks_per_offer);
    }
    if (fit <= 0 || (spec_.decline_fraction > 0 && uniform01(rng_) < spec_.decline_fraction)) {
      *decline.mutable_decline()->add_offer_ids() = offer.id();
      stats_.offers_declined++;
      continue;
    }
    scheduler::Call accept = call(scheduler::Call::ACCEPT);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    accept.mutable_accept()->mutable_filters()->set_refuse_seconds(spec_.refuse_seconds);
    v1::Offer::Operation* op = accept.mutable_accept()->add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    for (int64_t i = 0; i < fit; ++i) {
      const std::string task_id = fmt::format("{}-{}", name_, next_launch_++);
      const double duration = nextDuration();
      v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
      task->set_name(task_id);
      task->mutable_task_id()->set_value(task_id);
      *task->mutable_agent_id() = offer.agent_id();
      addScalar(task->mutable_resources(), "cpus", spec_.task_cpus, like);
      addScalar(task->mutable_resources(), "mem", spec_.task_mem, like);
      addScalar(task->mutable_resources(), "disk", spec_.task_disk, like);
      task->mutable_command()->set_value(fmt::format("sleep {:.3f}", duration));
      v1::Label* label = task->mutable_labels()->add_labels();
      label->set_key(kDurationLabel);
      label->set_value(std::to_string(static_cast<int64_t>(std::llround(duration * 1000))));
      ledger_.launched(task_id, now);
    }
    waiting_ -= fit;
    stats_.offers_accepted++;
    hooks_.send(std::move(accept));
  }
  if (decline.decline().offer_ids_size() > 0) {
    hooks_.send(std::move(decline));
  }
  maybeSuppress();
}

void SimFramework::maybeSuppress() {
  if (waiting_ == 0 && spec_.suppress_when_idle && !suppressed_) {
    suppressed_ = true;
    stats_.suppress++;
    hooks_.send(call(scheduler::Call::SUPPRESS));
  }
}

void SimFramework::update(const v1::TaskStatus& status) {
  stats_.updates++;
  const Clock::TimePoint now = clock_.now();
  const std::string& task_id = status.task_id().value();
  switch (status.state()) {
    case v1::TASK_RUNNING:
      ledger_.running(task_id, now);
      break;
    case v1::TASK_FINISHED:
      ledger_.ended(task_id, TaskLedger::End::kFinished, now);
      break;
    case v1::TASK_KILLED:
      ledger_.ended(task_id, TaskLedger::End::kKilled, now);
      break;
    case v1::TASK_FAILED:
    case v1::TASK_LOST:
    case v1::TASK_ERROR:
    case v1::TASK_DROPPED:
    case v1::TASK_GONE:
    case v1::TASK_GONE_BY_OPERATOR:
    case v1::TASK_UNREACHABLE:
      ledger_.ended(task_id, TaskLedger::End::kFailed, now);
      break;
    default:
      break;
  }
  if (status.has_uuid()) {
    scheduler::Call ack = call(scheduler::Call::ACKNOWLEDGE);
    *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
    *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
    ack.mutable_acknowledge()->set_uuid(status.uuid());
    hooks_.send(std::move(ack));
  }
}

}  // namespace plateau::sim
