#pragma once

// Where an app's task may go: Marathon's constraint operators over an agent's hostname and
// attributes, and the fit of one task into what an offer has left (cpus, mem, disk, gpus,
// host ports). Pure: no protobuf, no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apps/app.h"

namespace plateau::apps {

// Where something runs or could run: an agent's hostname and its attributes as text.
struct Place {
  std::string hostname;
  std::map<std::string, std::string> attributes;
};

// What an offer has left, in the units Marathon's apps use.
struct OfferView {
  std::string id;
  std::string agent_id;
  Place place;
  double cpus = 0;
  double mem = 0;
  double disk = 0;
  double gpus = 0;
  std::vector<std::pair<uint32_t, uint32_t>> port_ranges;  // inclusive
};

// The value a constraint's field has at `place` ("hostname" and "@hostname" name the host).
std::optional<std::string> fieldValue(const Place& place, const std::string& field);

// LIKE and UNLIKE: whether `pattern` matches the whole of `value`, as Marathon's Java regex
// does for the syntax both have (classes, \d \w \s, alternation, counted repeats, (?i)). RE2:
// time linear in the value, bounded memory, no recursion. False when `pattern` is not one
// (likePatternValid).
bool likeMatches(const std::string& pattern, const std::string& value);

// Whether `pattern` compiles as LIKE and UNLIKE read it. Java constructs RE2 lacks
// (backreferences, lookaround, possessive repeats) do not.
bool likePatternValid(const std::string& pattern);

// Whether a new task of the app may run at `candidate` given where its tasks already run.
bool constraintMet(const Constraint& c, const Place& candidate, const std::vector<Place>& placed);

// Marathon's reasons for not using an offer (NoOfferMatchReason), in the order of its funnel:
// when an offer fails several ways, the first of these is the one its summaries count.
inline constexpr const char* kRejectReasons[] = {
    "UnfulfilledRole",  "UnfulfilledConstraint", "NoCorrespondingReservationFound",
    "InsufficientCpus", "InsufficientMemory",    "InsufficientDisk",
    "InsufficientGpus", "InsufficientPorts"};

// A task placed on an offer: its host ports, or why it does not fit: every reason that holds,
// in funnel order (kRejectReasons), `reason` being the first.
struct Fit {
  bool ok = false;
  std::vector<uint32_t> host_ports;
  std::string reason;
  std::vector<std::string> reasons;
};

// Fits one task of `app` into `offer` (taking its resources out of `offer` when it fits).
Fit fitTask(const App& app, OfferView& offer, const std::vector<Place>& placed);

}  // namespace plateau::apps
