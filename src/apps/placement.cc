#include "apps/placement.h"

#include <algorithm>
#include <cstdlib>

#include <re2/re2.h>

namespace plateau::apps {

namespace {

constexpr double kEpsilon = 1e-9;
// What one LIKE / UNLIKE pattern's compiled program may take; a larger one is refused.
constexpr int64_t kLikeMaxMem = 1 << 20;

RE2::Options likeOptions() {
  RE2::Options options(RE2::Quiet);
  options.set_max_mem(kLikeMaxMem);
  return options;
}

// Takes `port` out of `ranges`; false when it is not there.
bool takePort(std::vector<std::pair<uint32_t, uint32_t>>& ranges, uint32_t port) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    auto [lo, hi] = ranges[i];
    if (port < lo || port > hi) {
      continue;
    }
    ranges.erase(ranges.begin() + static_cast<long>(i));
    if (port > lo) {
      ranges.push_back({lo, port - 1});
    }
    if (port < hi) {
      ranges.push_back({port + 1, hi});
    }
    std::sort(ranges.begin(), ranges.end());
    return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> fieldValue(const Place& place, const std::string& field) {
  if (field == "hostname" || field == "@hostname") {
    return place.hostname;
  }
  auto it = place.attributes.find(field);
  if (it == place.attributes.end()) {
    return std::nullopt;
  }
  return it->second;
}

bool likeMatches(const std::string& pattern, const std::string& value) {
  RE2 re(pattern, likeOptions());
  return re.ok() && RE2::FullMatch(value, re);
}

bool likePatternValid(const std::string& pattern) { return RE2(pattern, likeOptions()).ok(); }

bool constraintMet(const Constraint& c, const Place& candidate, const std::vector<Place>& placed) {
  auto value = fieldValue(candidate, c.field);
  const std::string& want = c.value.value_or("");
  if (c.op == "UNLIKE") {
    return !value || !likeMatches(want, *value);
  }
  if (!value) {
    return false;
  }
  auto same = [&] {
    return std::count_if(placed.begin(), placed.end(), [&](const Place& p) {
      auto v = fieldValue(p, c.field);
      return v && *v == *value;
    });
  };
  if (c.op == "UNIQUE") {
    return same() == 0;
  }
  if (c.op == "CLUSTER") {
    if (!want.empty()) {
      return *value == want;
    }
    // No value: all tasks on whatever value the first one got.
    for (const auto& p : placed) {
      if (auto v = fieldValue(p, c.field)) {
        return *v == *value;
      }
    }
    return true;
  }
  if (c.op == "LIKE") {
    return likeMatches(want, *value);
  }
  if (c.op == "IS") {
    return *value == want;
  }
  if (c.op == "MAX_PER") {
    return same() < std::strtol(want.c_str(), nullptr, 10);
  }
  if (c.op == "GROUP_BY") {
    std::map<std::string, long> counts;
    for (const auto& p : placed) {
      if (auto v = fieldValue(p, c.field)) {
        ++counts[*v];
      }
    }
    if (!counts.contains(*value)) {
      return true;  // a value with no task yet is the emptiest group
    }
    long groups = want.empty() ? 0 : std::strtol(want.c_str(), nullptr, 10);
    long mine = counts[*value];
    long least = std::min_element(counts.begin(), counts.end(), [](auto& a, auto& b) {
                   return a.second < b.second;
                 })->second;
    if (groups > static_cast<long>(counts.size())) {
      least = 0;  // groups not seen yet hold no task
    }
    return mine <= least;
  }
  return false;
}

namespace {

// The host ports of the app's port definitions taken from `ranges`; nullopt when they are not
// there.
std::optional<std::vector<uint32_t>> takePorts(const App& app,
                                               std::vector<std::pair<uint32_t, uint32_t>>& ranges) {
  std::vector<uint32_t> ports;
  for (const auto& def : app.port_definitions) {
    if (app.require_ports) {
      if (!takePort(ranges, def.port)) {
        return std::nullopt;
      }
      ports.push_back(def.port);
      continue;
    }
    if (ranges.empty()) {
      return std::nullopt;
    }
    uint32_t port = ranges.front().first;
    (void)takePort(ranges, port);
    ports.push_back(port);
  }
  return ports;
}

}  // namespace

Fit fitTask(const App& app, OfferView& offer, const std::vector<Place>& placed) {
  Fit fit;
  auto miss = [&](bool missing, const char* reason) {
    if (missing) {
      fit.reasons.emplace_back(reason);
    }
  };
  miss(!std::all_of(app.constraints.begin(), app.constraints.end(),
                    [&](const Constraint& c) { return constraintMet(c, offer.place, placed); }),
       "UnfulfilledConstraint");
  miss(offer.cpus + kEpsilon < app.cpus, "InsufficientCpus");
  miss(offer.mem + kEpsilon < app.mem, "InsufficientMemory");
  miss(offer.disk + kEpsilon < app.disk, "InsufficientDisk");
  miss(offer.gpus + kEpsilon < app.gpus, "InsufficientGpus");
  auto ranges = offer.port_ranges;
  auto ports = takePorts(app, ranges);
  miss(!ports, "InsufficientPorts");
  if (!fit.reasons.empty()) {
    fit.reason = fit.reasons.front();
    return fit;
  }
  fit.host_ports = std::move(*ports);
  offer.cpus -= app.cpus;
  offer.mem -= app.mem;
  offer.disk -= app.disk;
  offer.gpus -= app.gpus;
  offer.port_ranges = std::move(ranges);
  fit.ok = true;
  return fit;
}

}  // namespace plateau::apps
