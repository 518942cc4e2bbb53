// The metrics registry and its two renderings: Mesos's snapshot and Prometheus text 0.0.4.

#include "common/metrics.h"

#include <charconv>

#include <mesos/v1/mesos.pb.h>
#include <cmath>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::metrics {

struct Registry::Entry {
  Info info;
  Type type;
  Counter counter;
  Gauge gauge;
  std::vector<double> bounds;               // kHistogram without a label
  std::unique_ptr<Histogram> histogram;     // kHistogram without a label
  std::unique_ptr<HistogramFamily> family;  // kHistogram with a label
};

namespace {

bool validName(std::string_view name, bool label) {
  if (name.empty()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) {
      return false;
    }
  }
  // Names starting "__" are reserved for Prometheus's own use; "le" is the bucket label.
  return !name.starts_with("__") && !(label && name == "le");
}

void invalid(const std::string& what) { throw std::invalid_argument("metrics: " + what); }

void checkBounds(const std::vector<double>& bounds, const std::string& name) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      invalid(fmt::format("{}: bucket bounds must be finite and strictly increasing", name));
    }
  }
}

// A sample value as Prometheus parses it: whole numbers in plain digits ("268435456"), others
// in the shortest form that reads back the same ("0.0001", "1e-05"); NaN, +Inf, -Inf.
void appendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buffer[64];
  bool whole = std::trunc(value) == value && std::fabs(value) < 0x1p53;
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value,
                              whole ? std::chars_format::fixed : std::chars_format::general);
  out.append(buffer, static_cast<size_t>(result.ptr - buffer));
}

void appendValue(std::string& out, uint64_t value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}

// HELP text escapes backslash and newline; label values escape those and the double quote.
void appendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

const char* typeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// One histogram's _bucket, _sum and _count lines; `label` is `name="value",` or empty.
void appendHistogram(std::string& out, const std::string& name, const std::string& label,
                     const Histogram& h) {
  uint64_t cumulative = 0;
  const auto& bounds = h.bounds();
  const auto& counts = h.counts();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += counts[i];
    out += name;
    out += "_bucket{";
    out += label;
    out += "le=\"";
    if (i < bounds.size()) {
      appendValue(out, bounds[i]);
    } else {
      out += "+Inf";
    }
    out += "\"} ";
    appendValue(out, cumulative);
    out += '\n';
  }
  std::string braces = label.empty() ? "" : "{" + label.substr(0, label.size() - 1) + "}";
  out += name + "_sum" + braces + ' ';
  appendValue(out, h.sum());
  out += '\n';
  out += name + "_count" + braces + ' ';
  appendValue(out, h.count());
  out += '\n';
}

}  // namespace

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::add(Info info, Type type) {
  if (!validName(info.name, false)) {
    invalid(fmt::format("'{}' is not a valid Prometheus metric name", info.name));
  }
  bool total = info.name.ends_with("_total");
  if (type == Type::kCounter && !total) {
    invalid(fmt::format("counter '{}' must end in _total", info.name));
  }
  if (type != Type::kCounter && total) {
    invalid(fmt::format("'{}' ends in _total but is not a counter", info.name));
  }
  if (info.help.empty()) {
    invalid(fmt::format("'{}' has no HELP text", info.name));
  }
  if (type == Type::kHistogram && (!info.snapshot_key.empty() || info.scale != 1)) {
    invalid(fmt::format("histogram '{}' takes no snapshot key and no scale", info.name));
  }
  for (const auto& entry : entries_) {
    if (entry->info.name == info.name) {
      invalid(fmt::format("'{}' registered twice", info.name));
    }
    if (!info.snapshot_key.empty() && entry->info.snapshot_key == info.snapshot_key) {
      invalid(fmt::format("snapshot key '{}' registered twice", info.snapshot_key));
    }
  }
  auto entry = std::make_unique<Entry>();
  entry->info = std::move(info);
  entry->type = type;
  entries_.push_back(std::move(entry));
  return *entries_.back();
}

Counter& Registry::counter(Info info) { return add(std::move(info), Type::kCounter).counter; }

void Registry::remove(const Counter& counter) {
  std::erase_if(entries_, [&](const std::unique_ptr<Entry>& entry) {
    return entry->type == Type::kCounter && &entry->counter == &counter;
  });
}

Gauge& Registry::gauge(Info info) { return add(std::move(info), Type::kGauge).gauge; }

Gauge& Registry::gauge(Info info, std::function<double()> compute) {
  Gauge& gauge = add(std::move(info), Type::kGauge).gauge;
  gauge.compute_ = std::move(compute);
  return gauge;
}

Histogram& Registry::histogram(Info info, std::vector<double> bounds) {
  checkBounds(bounds, info.name);
  Entry& entry = add(std::move(info), Type::kHistogram);
  entry.bounds = std::move(bounds);
  entry.histogram = std::make_unique<Histogram>(&entry.bounds);
  return *entry.histogram;
}

HistogramFamily& Registry::histograms(Info info, std::string label, std::vector<double> bounds) {
  checkBounds(bounds, info.name);
  if (!validName(label, true)) {
    invalid(fmt::format("'{}' is not a valid label name for '{}'", label, info.name));
  }
  Entry& entry = add(std::move(info), Type::kHistogram);
  entry.family = std::make_unique<HistogramFamily>(std::move(label), std::move(bounds));
  return *entry.family;
}

void Registry::onCollect(std::function<void()> hook) { hooks_.push_back(std::move(hook)); }

void Registry::addSource(const Source* source) { sources_.push_back(source); }

void Registry::runHooks() const {
  for (const auto& hook : hooks_) {
    hook();
  }
}

std::vector<std::pair<std::string, double>> Registry::snapshot() const {
  runHooks();
  std::vector<std::pair<std::string, double>> out;
  out.reserve(entries_.size());
  for (const auto& entry : entries_) {
    if (entry->info.snapshot_key.empty()) {
      continue;
    }
    double value = entry->type == Type::kCounter ? static_cast<double>(entry->counter.value())
                                                 : entry->gauge.value();
    out.emplace_back(entry->info.snapshot_key, value);
  }
  for (const Source* source : sources_) {
    source->appendSnapshot(out);
  }
  return out;
}

std::string Registry::snapshotJson() const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  for (const auto& [key, value] : snapshot()) {
    w.key(key);
    w.value(value);
  }
  w.endObject();
  return out;
}

std::string Registry::prometheus() const {
  runHooks();
  std::string out;
  out.reserve(entries_.size() * 160);
  for (const auto& entry : entries_) {
    const Info& info = entry->info;
    out += "# HELP ";
    out += info.name;
    out += ' ';
    appendEscaped(out, info.help, false);
    out += "\n# TYPE ";
    out += info.name;
    out += ' ';
    out += typeName(entry->type);
    out += '\n';
    switch (entry->type) {
      case Type::kCounter:
        out += info.name + ' ';
        if (info.scale == 1) {
          appendValue(out, entry->counter.value());
        } else {
          appendValue(out, static_cast<double>(entry->counter.value()) * info.scale);
        }
        out += '\n';
        break;
      case Type::kGauge:
        out += info.name + ' ';
        appendValue(out, entry->gauge.value() * info.scale);
        out += '\n';
        break;
      case Type::kHistogram:
        if (entry->histogram) {
          appendHistogram(out, info.name, "", *entry->histogram);
        } else {
          for (const auto& [value, child] : entry->family->children()) {
            std::string label = entry->family->label() + "=\"";
            appendEscaped(label, value, true);
            label += "\",";
            appendHistogram(out, info.name, label, child);
          }
        }
        break;
    }
  }
  for (const Source* source : sources_) {
    source->appendPrometheus(out);
  }
  return out;
}

void appendFamilyHeader(std::string& out, std::string_view name, std::string_view help, Type type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  appendEscaped(out, help, false);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += typeName(type);
  out += '\n';
}

std::string label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  appendEscaped(out, value, true);
  out += '"';
  return out;
}

void appendSample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  appendValue(out, value);
  out += '\n';
}

std::vector<double> latencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

Gauge& Namer::gauge(Registry& registry, const std::string& key, std::string name, std::string help,
                    double scale) const {
  return registry.gauge(info(snapshot_prefix_ + key, std::move(name), std::move(help), scale));
}

Counter& Namer::counter(Registry& registry, const std::string& key, std::string name,
                        std::string help) const {
  return registry.counter(info(snapshot_prefix_ + key, std::move(name), std::move(help)));
}

void TerminalTaskCounters::count(mesos::v1::TaskState state) const {
  Counter* counter = nullptr;
  switch (state) {
    case mesos::v1::TASK_FINISHED:
      counter = finished;
      break;
    case mesos::v1::TASK_FAILED:
      counter = failed;
      break;
    case mesos::v1::TASK_KILLED:
      counter = killed;
      break;
    case mesos::v1::TASK_LOST:
      counter = lost;
      break;
    case mesos::v1::TASK_ERROR:
      counter = error;
      break;
    case mesos::v1::TASK_DROPPED:
      counter = dropped;
      break;
    case mesos::v1::TASK_GONE:
    case mesos::v1::TASK_GONE_BY_OPERATOR:
      counter = gone;
      break;
    default:
      break;
  }
  if (counter != nullptr) {
    (*counter)++;
  }
}

}  // namespace plateau::metrics
