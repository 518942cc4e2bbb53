#include "sim/replay/replay.h"

#include <charconv>
#include <chrono>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "master/allocator/allocator.h"
#include "sim/replay/event_queue.h"
#include "sim/replay/framework_model.h"
#include "sim/replay/recorder.h"
#include "sim/replay/rng.h"

namespace plateau::sim::replay {

namespace {

using master::allocator::Allocator;
using master::allocator::TimePoint;

// With nothing running and nothing left to arrive, this long without a launch ends the replay
// (quota limits or filters that keep a queued job off every agent for good).
constexpr int64_t kStallUs = 3600LL * 1000000;

TimePoint at(int64_t us) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(us)));
}

std::chrono::nanoseconds nanos(int64_t us) { return std::chrono::microseconds(us); }

Resources taskResources(const TraceJob& job, int64_t count) {
  Resources r;
  r += Resource::makeScalar("cpus", milliToScalar(job.cpus_milli * count));
  if (job.mem_milli > 0) {
    r += Resource::makeScalar("mem", milliToScalar(job.mem_milli * count));
  }
  return r;
}

// Tasks of one job launched together on one agent: they end together.
struct Running {
  uint32_t framework = 0;
  uint32_t agent = 0;
  uint32_t job = 0;
  int64_t count = 0;
};

class VirtualCluster {
 public:
  VirtualCluster(const std::vector<TraceJob>& jobs, const ReplayConfig& config, Resources agent)
      : jobs_(jobs),
        c_(config),
        agent_(std::move(agent)),
        allocator_(config.allocator_options),
        rng_(config.seed) {}

  Status setUp();
  Status run();
  ReplayReport report() const;

 private:
  Status addFrameworks();
  void handle(const Event& e);
  void onArrival(uint32_t job, int64_t now);
  void onTaskEnd(uint32_t slot, int64_t now);
  void onRound(int64_t now);
  void onSample(int64_t now);
  void respond(const master::allocator::Offer& offer, int64_t now);
  void launch(uint32_t fw, uint32_t agent, const std::vector<Launch>& launches, int64_t now);
  void trigger(int64_t now);
  void checked(Status s) {
    if (!s.isOk() && error_.isOk()) {
      error_ = std::move(s);
    }
  }
  uint32_t agentIndex(const std::string& id) const;
  void finish(int64_t now);

  const std::vector<TraceJob>& jobs_;
  const ReplayConfig& c_;
  Resources agent_;
  Allocator allocator_;
  EventQueue events_;
  Rng rng_;
  std::vector<std::string> agent_ids_;
  std::vector<std::string> roles_;
  std::vector<FrameworkModel> frameworks_;
  std::vector<uint32_t> framework_role_;
  std::unordered_map<std::string, uint32_t> framework_index_;  // lookups only, never iterated
  std::vector<uint32_t> job_framework_;
  std::vector<int64_t> pending_by_role_;
  std::vector<Running> running_;
  std::vector<uint32_t> free_slots_;
  std::unique_ptr<Recorder> recorder_;
  size_t next_arrival_ = 0;
  int64_t running_groups_ = 0;
  int64_t pending_tasks_ = 0;
  bool trigger_pending_ = false;
  int64_t last_launch_us_ = 0;
  int64_t last_sample_us_ = -1;
  bool stalled_ = false;
  int64_t rounds_ = 0;
  int64_t offers_ = 0;
  int64_t declines_ = 0;
  double allocator_wall_s_ = 0;
  Status error_;
};

Status VirtualCluster::setUp() {
  const int64_t agent_cpus = agent_.scalarMilli("cpus");
  const int64_t agent_mem = agent_.scalarMilli("mem");
  for (const TraceJob& job : jobs_) {
    if (job.cpus_milli > agent_cpus || job.mem_milli > agent_mem) {
      return {StatusCode::kInvalidArgument,
              fmt::format("trace line {}: a task needs cpus {} and mem {} but an agent has cpus {} "
                          "and mem {} (--agent_resources): it could never run",
                          job.line, formatMilli(job.cpus_milli), formatMilli(job.mem_milli),
                          formatMilli(agent_cpus), formatMilli(agent_mem))};
    }
  }
  for (const auto& [role, weight] : c_.weights) {
    if (Status s = allocator_.setWeight(role, weight); !s.isOk()) {
      return {StatusCode::kInvalidArgument, fmt::format("--weights: {}", s.message())};
    }
  }
  for (const auto& [role, quota] : c_.quotas) {
    if (Status s = allocator_.setQuota(role, quota); !s.isOk()) {
      return {StatusCode::kInvalidArgument, fmt::format("--quota: {}", s.message())};
    }
  }
  agent_ids_.reserve(static_cast<size_t>(c_.agents));
  for (int64_t i = 0; i < c_.agents; ++i) {
    agent_ids_.push_back(fmt::format("agent-{}", i));
    if (Status s = allocator_.addAgent(agent_ids_.back(), agent_, {}); !s.isOk()) {
      return s;
    }
  }
  return addFrameworks();
}

Status VirtualCluster::addFrameworks() {
  std::map<std::string, std::string> framework_roles;  // ordered: handles do not depend on hashing
  std::set<std::string> roles;
  for (const TraceJob& job : jobs_) {
    framework_roles.emplace(job.framework, job.role);
    roles.insert(job.role);
  }
  roles_.assign(roles.begin(), roles.end());
  pending_by_role_.assign(roles_.size(), 0);
  for (const auto& [id, role] : framework_roles) {
    master::allocator::FrameworkSpec spec;
    spec.roles = {role};
    if (c_.suppress_when_idle) {
      spec.suppressed_roles = {role};
    }
    if (Status s = allocator_.addFramework(id, spec, true); !s.isOk()) {
      return s;
    }
    framework_index_.emplace(id, static_cast<uint32_t>(frameworks_.size()));
    frameworks_.emplace_back(id, role);
    frameworks_.back().suppressed = c_.suppress_when_idle;
    framework_role_.push_back(static_cast<uint32_t>(
        std::lower_bound(roles_.begin(), roles_.end(), role) - roles_.begin()));
  }
  job_framework_.reserve(jobs_.size());
  for (const TraceJob& job : jobs_) {
    job_framework_.push_back(framework_index_.at(job.framework));
  }
  recorder_ = std::make_unique<Recorder>(roles_, agent_.scalarMilli("cpus") * c_.agents,
                                         agent_.scalarMilli("mem") * c_.agents);
  return {};
}

Status VirtualCluster::run() {
  events_.push(0, EventKind::kSample);
  events_.push(0, EventKind::kRound);
  if (!jobs_.empty()) {
    events_.push(jobs_[0].arrival_us, EventKind::kArrival, 0);
  }
  int64_t now = 0;
  while (!events_.empty() && error_.isOk()) {
    if (c_.horizon_us > 0 && events_.top().time_us > c_.horizon_us) {
      now = c_.horizon_us;
      break;
    }
    Event e = events_.pop();
    now = e.time_us;
    recorder_->advance(now);
    handle(e);
    if (next_arrival_ == jobs_.size() && running_groups_ == 0) {
      if (pending_tasks_ == 0) {
        break;
      }
      if (now - last_launch_us_ > kStallUs) {
        stalled_ = true;
        break;
      }
    }
  }
  finish(now);
  return error_;
}

void VirtualCluster::handle(const Event& e) {
  switch (e.kind) {
    case EventKind::kArrival:
      onArrival(e.index, e.time_us);
      break;
    case EventKind::kTaskEnd:
      onTaskEnd(e.index, e.time_us);
      break;
    case EventKind::kRound:
      onRound(e.time_us);
      events_.push(e.time_us + c_.allocation_interval_us, EventKind::kRound);
      break;
    case EventKind::kTriggeredRound:
      trigger_pending_ = false;
      onRound(e.time_us);
      break;
    case EventKind::kSample:
      onSample(e.time_us);
      events_.push(e.time_us + c_.sample_interval_us, EventKind::kSample);
      break;
  }
}

void VirtualCluster::onArrival(uint32_t job, int64_t now) {
  const TraceJob& j = jobs_[job];
  FrameworkModel& fw = frameworks_[job_framework_[job]];
  const uint32_t role = framework_role_[job_framework_[job]];
  fw.enqueue(job, j.tasks);
  pending_tasks_ += j.tasks;
  pending_by_role_[role] += j.tasks;
  recorder_->submitted(role, j.tasks);
  if (fw.suppressed) {
    checked(allocator_.revive(fw.id()));
    fw.suppressed = false;
    trigger(now);
  }
  if (++next_arrival_ < jobs_.size()) {
    events_.push(jobs_[next_arrival_].arrival_us, EventKind::kArrival,
                 static_cast<uint32_t>(next_arrival_));
  }
}

void VirtualCluster::onTaskEnd(uint32_t slot, int64_t now) {
  const Running r = running_[slot];
  free_slots_.push_back(slot);
  --running_groups_;
  const TraceJob& job = jobs_[r.job];
  checked(allocator_.recoverResources(frameworks_[r.framework].id(), job.role, agent_ids_[r.agent],
                                      taskResources(job, r.count), std::nullopt, at(now)));
  recorder_->finished(job, r.count);
  trigger(now);
}

void VirtualCluster::trigger(int64_t now) {
  if (!c_.triggered_rounds || trigger_pending_) {
    return;
  }
  trigger_pending_ = true;
  events_.push(now, EventKind::kTriggeredRound);
}

void VirtualCluster::onRound(int64_t now) {
  auto started = std::chrono::steady_clock::now();  // measures the replay; never read by it
  std::vector<master::allocator::Offer> offers = allocator_.allocate(at(now));
  allocator_wall_s_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ++rounds_;
  offers_ += static_cast<int64_t>(offers.size());
  for (const auto& offer : offers) {
    respond(offer, now);
  }
}

uint32_t VirtualCluster::agentIndex(const std::string& id) const {
  uint32_t index = 0;
  std::string_view digits = std::string_view(id).substr(id.find('-') + 1);
  std::from_chars(digits.data(), digits.data() + digits.size(), index);
  return index;
}

void VirtualCluster::respond(const master::allocator::Offer& offer, int64_t now) {
  const uint32_t fw = framework_index_.at(offer.framework_id);
  FrameworkModel& model = frameworks_[fw];
  const uint32_t agent = agentIndex(offer.agent_id);
  std::vector<Launch> launches;
  const bool refuse =
      c_.decline_fraction > 0 && !model.idle() && rng_.uniform() < c_.decline_fraction;
  if (!refuse) {
    launches = model.pack(offer.resources.scalarMilli("cpus"), offer.resources.scalarMilli("mem"),
                          jobs_, static_cast<size_t>(c_.lookahead));
  }
  if (launches.empty()) {
    ++declines_;
    checked(allocator_.recoverResources(offer.framework_id, offer.role, offer.agent_id,
                                        offer.resources, nanos(c_.decline_refuse_us), at(now)));
  } else {
    Resources used;
    for (const Launch& l : launches) {
      used += taskResources(jobs_[l.job], l.count);
    }
    launch(fw, agent, launches, now);
    Resources left = offer.resources - used;
    if (!left.empty()) {
      checked(allocator_.recoverResources(offer.framework_id, offer.role, offer.agent_id, left,
                                          nanos(c_.accept_refuse_us), at(now)));
    }
  }
  if (model.idle() && c_.suppress_when_idle && !model.suppressed) {
    checked(allocator_.suppress(model.id()));
    model.suppressed = true;
  }
}

void VirtualCluster::launch(uint32_t fw, uint32_t agent, const std::vector<Launch>& launches,
                            int64_t now) {
  const uint32_t role = framework_role_[fw];
  for (const Launch& l : launches) {
    const TraceJob& job = jobs_[l.job];
    recorder_->launched(role, job, l.job, l.count, now - job.arrival_us);
    pending_tasks_ -= l.count;
    pending_by_role_[role] -= l.count;
    uint32_t slot = 0;
    if (free_slots_.empty()) {
      slot = static_cast<uint32_t>(running_.size());
      running_.emplace_back();
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
    }
    running_[slot] = Running{fw, agent, l.job, l.count};
    ++running_groups_;
    events_.push(now + job.duration_us, EventKind::kTaskEnd, slot);
  }
  last_launch_us_ = now;
}

void VirtualCluster::onSample(int64_t now) {
  std::vector<double> shares;
  shares.reserve(roles_.size());
  for (const std::string& role : roles_) {
    auto share = allocator_.roleShare(role);
    shares.push_back(share ? *share : 0.0);
  }
  recorder_->sample(now, std::move(shares), pending_by_role_);
  last_sample_us_ = now;
}

void VirtualCluster::finish(int64_t now) {
  recorder_->advance(now);
  if (last_sample_us_ < now) {
    onSample(now);
  }
  for (const FrameworkModel& fw : frameworks_) {
    if (!fw.idle()) {
      const uint32_t role = framework_role_[framework_index_.at(fw.id())];
      const TraceJob& oldest = jobs_[fw.oldestJob()];
      recorder_->stillWaiting(role, fw.pendingTasks(), now - oldest.arrival_us, fw.oldestJob());
    }
  }
}

ReplayReport VirtualCluster::report() const {
  ReplayReport r;
  r.agents = c_.agents;
  r.agent_resources = agent_.toString();
  r.allocation_interval_s = static_cast<double>(c_.allocation_interval_us) / 1e6;
  r.triggered_rounds = c_.triggered_rounds;
  r.decline_refuse_s = static_cast<double>(c_.decline_refuse_us) / 1e6;
  r.accept_refuse_s = static_cast<double>(c_.accept_refuse_us) / 1e6;
  r.suppress_when_idle = c_.suppress_when_idle;
  r.decline_fraction = c_.decline_fraction;
  r.lookahead = c_.lookahead;
  r.seed = c_.seed;
  r.weights = c_.weights_text;
  r.quota = c_.quota_text;
  for (const Resources& alternative : c_.allocator_options.min_allocatable) {
    r.min_allocatable += (r.min_allocatable.empty() ? "" : "|") + alternative.toString();
  }
  r.jobs = static_cast<int64_t>(jobs_.size());
  r.stalled = stalled_;
  r.rounds = rounds_;
  r.offers = offers_;
  r.declines = declines_;
  r.allocator_wall_s = allocator_wall_s_;
  recorder_->fill(r, jobs_);
  for (RoleReport& role : r.roles) {
    auto weight = c_.weights.find(role.role);
    role.weight = weight == c_.weights.end() ? 1.0 : weight->second;
  }
  for (uint32_t role : framework_role_) {
    r.roles[role].frameworks++;
  }
  return r;
}

Status validate(const ReplayConfig& c) {
  auto bad = [](const std::string& flag, const std::string& why) {
    return Status(StatusCode::kInvalidArgument, fmt::format("--{} {}", flag, why));
  };
  if (c.agents < 1 || c.agents > 10000000) {
    return bad("agents", fmt::format("must be in [1, 10000000], got {}", c.agents));
  }
  if (c.allocation_interval_us <= 0 || c.sample_interval_us <= 0) {
    return bad(c.allocation_interval_us <= 0 ? "allocation_interval" : "sample_interval",
               "must be positive");
  }
  for (auto [flag, value] : {std::pair{"decline_refuse_seconds", c.decline_refuse_us},
                             {"accept_refuse_seconds", c.accept_refuse_us},
                             {"horizon", c.horizon_us}}) {
    if (value < 0) {
      return bad(flag, "must not be negative");
    }
  }
  if (!(c.decline_fraction >= 0 && c.decline_fraction < 1)) {
    return bad("decline_fraction", fmt::format("must be in [0, 1), got {}", c.decline_fraction));
  }
  if (c.lookahead < 1 || c.lookahead > 1000000) {
    return bad("lookahead", fmt::format("must be in [1, 1000000], got {}", c.lookahead));
  }
  return {};
}

}  // namespace

Result<ReplayReport> runReplay(const std::vector<TraceJob>& jobs, const ReplayConfig& config) {
  if (Status s = validate(config); !s.isOk()) {
    return std::unexpected(s);
  }
  Resources agent = config.agent_resources.empty() ? *Resources::parse("cpus:16;mem:65536")
                                                   : config.agent_resources;
  if (agent.scalarMilli("cpus") <= 0 || agent.scalarMilli("mem") <= 0) {
    return invalidArgument(
        fmt::format("--agent_resources must hold cpus and mem, got '{}'", agent.toString()));
  }
  auto started = std::chrono::steady_clock::now();
  auto cluster = std::make_unique<VirtualCluster>(jobs, config, std::move(agent));
  if (Status s = cluster->setUp(); !s.isOk()) {
    return std::unexpected(s);
  }
  if (Status s = cluster->run(); !s.isOk()) {
    return std::unexpected(s);
  }
  ReplayReport report = cluster->report();
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace plateau::sim::replay
