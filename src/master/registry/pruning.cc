#include "master/registry/pruning.h"

#include <algorithm>
#include <tuple>

namespace plateau::master::registry {

std::vector<Change> pruneAgents(const State& state, double now_seconds, double max_age_seconds,
                                size_t max_count) {
  struct Entry {
    double marked;
    std::string id;
    Change::Kind kind;
  };
  std::vector<Entry> entries;
  for (const auto& [id, marked] : state.unreachable) {
    entries.push_back({marked, id, Change::Kind::kUnreachable});
  }
  for (const auto& [id, marked] : state.gone) {
    entries.push_back({marked, id, Change::Kind::kGone});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.marked, a.id) < std::tie(b.marked, b.id);
  });
  std::vector<Change> out;
  size_t left = entries.size();
  for (const auto& entry : entries) {
    if (now_seconds - entry.marked <= max_age_seconds && left <= max_count) {
      break;  // the rest are younger, and few enough
    }
    out.push_back(Change::erase(entry.kind, entry.id));
    --left;
  }
  return out;
}

}  // namespace plateau::master::registry
