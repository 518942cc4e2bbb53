#pragma once

// One registry of a daemon's metrics, read two ways:
//  - snapshot() / snapshotJson(): Mesos's /metrics/snapshot, a flat map from Mesos's keys
//    ("master/tasks_finished") to numbers, in Mesos's units (MB, ms, secs);
//  - prometheus(): the Prometheus text exposition format 0.0.4 (/metrics), each family with
//    `# HELP` and `# TYPE`, in base units (seconds, bytes), counters named `..._total`.
// The master and the agent both render through this one file.
//
// What it guarantees:
//  - Single-threaded by design: a daemon's state lives on its event-loop thread, and its
//    metrics are updated and read there. Nothing here locks or uses atomics; Counter::inc is a
//    plain add, Gauge::set a plain store, Histogram::observe a search over its few bounds and
//    three adds. None of them allocates.
//  - References and pointers handed out by the registry stay valid as long as the registry,
//    except a counter's once its owner remove()s it (series that come and go, such as the
//    master's per-principal counters); a family's labelled children are never removed.
//  - Registration checks what it is given and throws std::invalid_argument for a bad
//    Prometheus or label name, a counter whose name lacks `_total` (or any other type whose
//    name has it), empty HELP, a name or snapshot key registered twice, or histogram bounds
//    that are not finite and strictly increasing. These are programming errors found at
//    start-up, not at scrape time.
//  - Both outputs list metrics in registration order. The snapshot holds only metrics
//    registered with a snapshot key; histograms are never in it.
//  - A metric's Prometheus value is its snapshot value times its `scale` (1 unless given), so
//    the snapshot keeps Mesos's units while Prometheus gets base units.
//  - Collect hooks (onCollect) run, in the order added, at the start of every snapshot() and
//    prometheus() call, before any value is read: the place to set gauges computed from state.
//  - Sources (addSource) append their own series after the registered ones, in both outputs, in
//    the order added: for many series that come and go together (the master's per-framework
//    ones), which the registry would check and remove one scan at a time.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mesos::v1 {
enum TaskState : int;
}  // namespace mesos::v1

namespace plateau::metrics {

// Content-Type of prometheus()'s output.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

enum class Type { kCounter, kGauge, kHistogram };

// How a metric is named and described.
struct Info {
  // Mesos's /metrics/snapshot key ("master/tasks_finished"); empty: Prometheus only.
  std::string snapshot_key;
  // Prometheus name, base units, `_total` on counters only ("plateau_master_tasks_finished_total").
  std::string name;
  // Prometheus HELP text (any text: backslashes and newlines are escaped on output).
  std::string help;
  // Prometheus value = snapshot value * scale (e.g. 1e-3 for ms -> seconds, 1048576 for MB).
  double scale = 1;
};

// Only ever goes up. Starts at 0.
class Counter {
 public:
  void inc(uint64_t n = 1) { value_ += n; }
  Counter& operator++() {
    ++value_;
    return *this;
  }
  void operator++(int) { ++value_; }
  Counter& operator+=(uint64_t n) {
    value_ += n;
    return *this;
  }
  uint64_t value() const { return value_; }

 private:
  uint64_t value_ = 0;
};

// A value that goes up and down: set by its owner, or computed at scrape time.
class Gauge {
 public:
  void set(double value) { value_ = value; }
  Gauge& operator=(double value) {
    value_ = value;
    return *this;
  }
  // The computed value when registered with a callback, else the last one set (0 at first).
  double value() const { return compute_ ? compute_() : value_; }

 private:
  friend class Registry;
  double value_ = 0;
  std::function<double()> compute_;
};

// Observations counted in fixed buckets, with their sum and count. A bucket with upper bound b
// counts observations <= b; one more bucket (+Inf) counts the rest.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds)
      : bounds_(bounds), counts_(bounds->size() + 1) {}

  void observe(double value) {
    size_t i = 0;
    const size_t n = bounds_->size();
    while (i < n && value > (*bounds_)[i]) {
      ++i;
    }
    ++counts_[i];
    sum_ += value;
    ++count_;
  }

  const std::vector<double>& bounds() const { return *bounds_; }
  // Per bucket, not cumulative: counts()[i] for bounds()[i], the last one for +Inf.
  const std::vector<uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  const std::vector<double>* bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

// Histograms sharing a name and bounds, one per value of a single label ("call"="ACCEPT").
// Children appear in the output once first used, ordered by label value.
class HistogramFamily {
 public:
  HistogramFamily(std::string label, std::vector<double> bounds)
      : label_(std::move(label)), bounds_(std::move(bounds)) {}

  // The child for `value`, made on first use (one map lookup after that).
  Histogram& with(std::string_view value) {
    auto it = children_.find(value);
    if (it == children_.end()) {
      it = children_.emplace(std::string(value), Histogram(&bounds_)).first;
    }
    return it->second;
  }

  // The same, for a small dense key (an enum such as a call type) whose label value is
  // `value`: an array lookup after its first use, for the hot paths that observe every call.
  Histogram& at(size_t index, std::string_view value) {
    if (index >= by_index_.size()) {
      by_index_.resize(index + 1, nullptr);
    }
    if (by_index_[index] == nullptr) {
      by_index_[index] = &with(value);
    }
    return *by_index_[index];
  }

  const std::string& label() const { return label_; }
  const std::map<std::string, Histogram, std::less<>>& children() const { return children_; }

 private:
  std::string label_;
  std::vector<double> bounds_;
  std::map<std::string, Histogram, std::less<>> children_;  // nodes stay put: pointers hold
  std::vector<Histogram*> by_index_;
};

class Registry;

// Series a component keeps and renders itself, read with the registry's (Registry::addSource).
// Loop thread only, as the registry.
class Source {
 public:
  virtual ~Source() = default;
  // Appends (Mesos snapshot key, value) pairs; keys are the source's to keep unique.
  virtual void appendSnapshot(std::vector<std::pair<std::string, double>>& out) const = 0;
  // Appends whole families in text format 0.0.4 (see appendFamilyHeader, appendSample).
  virtual void appendPrometheus(std::string& out) const = 0;
};

// `# HELP` and `# TYPE` lines of a family (HELP escaped).
void appendFamilyHeader(std::string& out, std::string_view name, std::string_view help, Type type);
// `name="value"` with the value escaped for a label, to build a sample's labels once.
std::string label(std::string_view name, std::string_view value);
// One sample line: `name{labels} value` (`labels` as label() joins them with ','; may be empty).
void appendSample(std::string& out, std::string_view name, std::string_view labels, double value);

// Mesos's megabyte, which is a mebibyte: snapshot values in MB scale to bytes by this.
inline constexpr double kMegabytes = 1024.0 * 1024.0;

// How one daemon names its series: snapshot keys under `snapshot_prefix` ("master/"), Prometheus
// names under `name_prefix` ("plateau_master_"), so each registration states only its own part.
class Namer {
 public:
  Namer(std::string snapshot_prefix, std::string name_prefix)
      : snapshot_prefix_(std::move(snapshot_prefix)), name_prefix_(std::move(name_prefix)) {}

  // `key` is the whole snapshot key ("allocator/mesos/allocation_runs"; "" for Prometheus only).
  Info info(std::string key, std::string name, std::string help, double scale = 1) const {
    return {.snapshot_key = std::move(key),
            .name = name_prefix_ + std::move(name),
            .help = std::move(help),
            .scale = scale};
  }
  // `key` is under the snapshot prefix ("tasks_finished" for "master/tasks_finished").
  Gauge& gauge(Registry& registry, const std::string& key, std::string name, std::string help,
               double scale = 1) const;
  Counter& counter(Registry& registry, const std::string& key, std::string name,
                   std::string help) const;

 private:
  std::string snapshot_prefix_;
  std::string name_prefix_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& counter(Info info);
  // A gauge its owner sets.
  Gauge& gauge(Info info);
  // A gauge computed by `compute` whenever it is read.
  Gauge& gauge(Info info, std::function<double()> compute);
  // Histograms have no snapshot key and no scale: observe base units (seconds, bytes).
  Histogram& histogram(Info info, std::vector<double> bounds);
  HistogramFamily& histograms(Info info, std::string label, std::vector<double> bounds);

  // Unregisters `counter` (one this registry made): it leaves both outputs, its name and key
  // may be registered again, and the reference dies. Costs a scan of the registry.
  void remove(const Counter& counter);

  void onCollect(std::function<void()> hook);
  // Reads `source` with the registry from now on; it must outlive the registry's last read.
  void addSource(const Source* source);

  // Mesos's /metrics/snapshot: (key, value) in registration order.
  std::vector<std::pair<std::string, double>> snapshot() const;
  // The same as a JSON object, as Mesos serves it.
  std::string snapshotJson() const;
  // Prometheus text exposition format 0.0.4.
  std::string prometheus() const;

 private:
  struct Entry;
  void runHooks() const;
  Entry& add(Info info, Type type);

  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<std::function<void()>> hooks_;
  std::vector<const Source*> sources_;
};

// Bucket bounds for durations in seconds, 100 us to 10 s.
std::vector<double> latencyBuckets();

// The counters of tasks by the terminal state they ended in (Mesos's tasks_finished,
// tasks_failed, ...), shared by the master and the agent. A daemon points at those it keeps;
// a state without a counter, or a live state, counts nowhere.
struct TerminalTaskCounters {
  Counter* finished = nullptr;
  Counter* failed = nullptr;
  Counter* killed = nullptr;
  Counter* lost = nullptr;
  Counter* error = nullptr;
  Counter* dropped = nullptr;
  Counter* gone = nullptr;  // TASK_GONE and TASK_GONE_BY_OPERATOR

  // Adds one to the counter of `state`, if any.
  void count(mesos::v1::TaskState state) const;
};

}  // namespace plateau::metrics
