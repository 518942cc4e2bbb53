#include "master/per_framework_metrics.h"

#include <cctype>

#include <fmt/format.h>

#include "common/task_state.h"

namespace plateau::master {
namespace {

namespace scheduler = mesos::v1::scheduler;
namespace v1 = mesos::v1;

// One series of a family with a series per enum value.
struct Series {
  int number;         // the enum value
  std::string key;    // its snapshot key under the framework's prefix ("calls/accept")
  std::string label;  // its Prometheus label (call="ACCEPT")
};

// The series of every value of `type` but those `skip` says, as Mesos names them: the value's
// name lowercased after `key`.
template <class Skip>
std::vector<Series> seriesOf(const google::protobuf::EnumDescriptor* type, const std::string& key,
                             const char* label, Skip skip) {
  std::vector<Series> out;
  for (int i = 0; i < type->value_count(); ++i) {
    const auto* value = type->value(i);
    if (skip(value->number())) {
      continue;
    }
    std::string lower = value->name();
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out.push_back({value->number(), key + lower, metrics::label(label, value->name())});
  }
  return out;
}

struct Tables {
  std::vector<Series> calls;
  std::vector<Series> events;
  std::vector<Series> operations;
  std::vector<Series> active;    // non-terminal task states
  std::vector<Series> terminal;  // terminal task states
};

const Tables& tables() {
  static const Tables kTables = [] {
    auto unknown = [](int number) { return number == 0; };  // each type's UNKNOWN
    auto terminal = [](int number) { return isTerminal(static_cast<v1::TaskState>(number)); };
    auto live = [&](int number) { return !terminal(number); };
    return Tables{
        .calls = seriesOf(scheduler::Call::Type_descriptor(), "calls/", "call", unknown),
        .events = seriesOf(scheduler::Event::Type_descriptor(), "events/", "event", unknown),
        .operations =
            seriesOf(v1::Offer::Operation::Type_descriptor(), "operations/", "operation", unknown),
        .active = seriesOf(v1::TaskState_descriptor(), "tasks/active/", "state", terminal),
        .terminal = seriesOf(v1::TaskState_descriptor(), "tasks/terminal/", "state", live),
    };
  }();
  return kTables;
}

constexpr std::array<const char*, 4> kOfferKeys = {"offers/sent", "offers/accepted",
                                                   "offers/declined", "offers/rescinded"};

// libprocess's http::encode, which Mesos applies to the framework name: URI reserved and unsafe
// characters, controls and non-ASCII bytes as %XX (upper-case hex); the rest as they are.
std::string percentEncode(const std::string& text) {
  static constexpr std::string_view kEscaped = "$&+,/:;=?@ \"<>#%{}|\\^~[]`";
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7F || kEscaped.find(static_cast<char>(c)) != std::string_view::npos) {
      out += fmt::format("%{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

PerFrameworkMetrics::PerFrameworkMetrics(bool publish, Reader reader)
    : publish_(publish), reader_(std::move(reader)) {}

std::string PerFrameworkMetrics::prefix(const std::string& name, const std::string& framework_id) {
  return fmt::format("master/frameworks/{}/{}/", percentEncode(name), framework_id);
}

void PerFrameworkMetrics::added(const std::string& framework_id, const std::string& name) {
  if (!publish_ || entries_.contains(framework_id)) {
    return;
  }
  Entry& entry = entries_[framework_id];
  entry.prefix = prefix(name, framework_id);
  entry.labels =
      metrics::label("framework_id", framework_id) + "," + metrics::label("framework_name", name);
}

void PerFrameworkMetrics::dropped(const std::string& framework_id) { entries_.erase(framework_id); }

PerFrameworkMetrics::Entry* PerFrameworkMetrics::find(const std::string& framework_id) {
  if (entries_.empty()) {
    return nullptr;
  }
  auto it = entries_.find(framework_id);
  return it == entries_.end() ? nullptr : &it->second;
}

void PerFrameworkMetrics::call(const std::string& framework_id, scheduler::Call::Type type) {
  if (Entry* entry = find(framework_id); entry != nullptr && scheduler::Call::Type_IsValid(type)) {
    entry->calls++;
    entry->call[type]++;
  }
}

void PerFrameworkMetrics::event(const std::string& framework_id, scheduler::Event::Type type) {
  if (Entry* entry = find(framework_id); entry != nullptr && scheduler::Event::Type_IsValid(type)) {
    entry->events++;
    entry->event[type]++;
  }
}

void PerFrameworkMetrics::operation(const std::string& framework_id,
                                    v1::Offer::Operation::Type type) {
  if (Entry* entry = find(framework_id);
      entry != nullptr && v1::Offer::Operation::Type_IsValid(type)) {
    entry->operations++;
    entry->operation[type]++;
  }
}

void PerFrameworkMetrics::taskEnded(const std::string& framework_id, v1::TaskState state) {
  if (Entry* entry = find(framework_id);
      entry != nullptr && v1::TaskState_IsValid(state) && isTerminal(state)) {
    entry->ended[state]++;
  }
}

void PerFrameworkMetrics::offers(const std::string& framework_id, Offers what, uint64_t n) {
  if (Entry* entry = find(framework_id); entry != nullptr) {
    entry->offers[static_cast<size_t>(what)] += n;
  }
}

void PerFrameworkMetrics::appendSnapshot(std::vector<std::pair<std::string, double>>& out) const {
  const Tables& t = tables();
  auto add = [&out](const std::string& prefix, const std::string& key, double value) {
    out.emplace_back(prefix + key, value);
  };
  for (const auto& [id, e] : entries_) {
    const Live live = reader_(id);
    add(e.prefix, "subscribed", live.subscribed ? 1 : 0);
    add(e.prefix, "calls", static_cast<double>(e.calls));
    for (const Series& s : t.calls) {
      add(e.prefix, s.key, static_cast<double>(e.call[s.number]));
    }
    add(e.prefix, "events", static_cast<double>(e.events));
    for (const Series& s : t.events) {
      add(e.prefix, s.key, static_cast<double>(e.event[s.number]));
    }
    add(e.prefix, "operations", static_cast<double>(e.operations));
    for (const Series& s : t.operations) {
      add(e.prefix, s.key, static_cast<double>(e.operation[s.number]));
    }
    for (const Series& s : t.active) {
      add(e.prefix, s.key, static_cast<double>(live.tasks[s.number]));
    }
    for (const Series& s : t.terminal) {
      add(e.prefix, s.key, static_cast<double>(e.ended[s.number]));
    }
    for (size_t i = 0; i < kOfferKeys.size(); ++i) {
      add(e.prefix, kOfferKeys[i], static_cast<double>(e.offers[i]));
    }
    for (const auto& [role, suppressed] : live.roles) {
      add(e.prefix, "roles/" + role + "/suppressed", suppressed ? 1 : 0);
    }
  }
}

void PerFrameworkMetrics::appendPrometheus(std::string& out) const {
  if (entries_.empty()) {
    return;
  }
  const Tables& t = tables();
  Scraped all;
  all.reserve(entries_.size());
  for (const auto& [id, e] : entries_) {
    all.emplace_back(&e, reader_(id));
  }
  using metrics::Type;
  auto family = [&out](const char* name, const char* help, Type type) {
    metrics::appendFamilyHeader(out, name, help, type);
  };
  auto sample = [&out](const char* name, const Entry& e, const std::string& label, double value) {
    metrics::appendSample(out, name, label.empty() ? e.labels : e.labels + "," + label, value);
  };
  // One family per kind of series, with every framework's samples in it.
  auto perType = [&](const char* name, const char* help, Type type,
                     const std::vector<Series>& series, auto value) {
    family(name, help, type);
    for (const auto& [e, live] : all) {
      for (const Series& s : series) {
        sample(name, *e, s.label, value(*e, live, s.number));
      }
    }
  };
  family("plateau_master_framework_subscribed",
         "1 while the framework is subscribed (connected and active), else 0.", Type::kGauge);
  for (const auto& [e, live] : all) {
    sample("plateau_master_framework_subscribed", *e, "", live.subscribed ? 1 : 0);
  }
  perType("plateau_master_framework_calls_total", "Scheduler calls of the framework, by type.",
          Type::kCounter, t.calls,
          [](const Entry& e, const Live&, int n) { return static_cast<double>(e.call[n]); });
  perType("plateau_master_framework_events_total", "Events sent to the framework, by type.",
          Type::kCounter, t.events,
          [](const Entry& e, const Live&, int n) { return static_cast<double>(e.event[n]); });
  perType("plateau_master_framework_operations_total",
          "Offer operations the framework asked for in ACCEPT calls, by type.", Type::kCounter,
          t.operations,
          [](const Entry& e, const Live&, int n) { return static_cast<double>(e.operation[n]); });
  perType("plateau_master_framework_tasks_active", "The framework's tasks now in each live state.",
          Type::kGauge, t.active,
          [](const Entry&, const Live& live, int n) { return static_cast<double>(live.tasks[n]); });
  perType("plateau_master_framework_tasks_terminal_total",
          "The framework's tasks that ended, by terminal state.", Type::kCounter, t.terminal,
          [](const Entry& e, const Live&, int n) { return static_cast<double>(e.ended[n]); });
  appendOffersAndRoles(out, all);
}

void PerFrameworkMetrics::appendOffersAndRoles(std::string& out, const Scraped& all) const {
  using metrics::Type;
  static constexpr std::array<std::pair<const char*, const char*>, 4> kOffers = {{
      {"plateau_master_framework_offers_sent_total", "Offers sent to the framework."},
      {"plateau_master_framework_offers_accepted_total", "Offers the framework accepted."},
      {"plateau_master_framework_offers_declined_total", "Offers the framework declined."},
      {"plateau_master_framework_offers_rescinded_total",
       "Offers sent to the framework and rescinded."},
  }};
  for (size_t i = 0; i < kOffers.size(); ++i) {
    metrics::appendFamilyHeader(out, kOffers[i].first, kOffers[i].second, Type::kCounter);
    for (const auto& [e, live] : all) {
      metrics::appendSample(out, kOffers[i].first, e->labels, static_cast<double>(e->offers[i]));
    }
  }
  const char* suppressed_name = "plateau_master_framework_role_suppressed";
  metrics::appendFamilyHeader(
      out, suppressed_name,
      "1 while the framework suppresses offers for the role, else 0, for each of its roles.",
      Type::kGauge);
  for (const auto& [e, live] : all) {
    for (const auto& [role, suppressed] : live.roles) {
      metrics::appendSample(out, suppressed_name, e->labels + "," + metrics::label("role", role),
                            suppressed ? 1 : 0);
    }
  }
}

}  // namespace plateau::master
