#include "sim/failover.h"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include <fmt/format.h>

namespace plateau::sim {

Failover Failover::of(
    const std::vector<Clock::TimePoint>& links_lost,
    const std::vector<std::pair<Clock::TimePoint, const std::string*>>& registered,
    const std::vector<Clock::TimePoint>& leader_changes, int agents) {
  Failover f;
  f.leader_changes = static_cast<int>(leader_changes.size());
  if (leader_changes.empty() || agents <= 0) {
    return f;
  }
  // The episode starts at the first link lost after the change before the last one (the old
  // leader's death usually shows as lost links before ZooKeeper names the next leader).
  const Clock::TimePoint changed = leader_changes.back();
  const Clock::TimePoint earlier =
      leader_changes.size() > 1 ? leader_changes[leader_changes.size() - 2] : Clock::TimePoint{};
  Clock::TimePoint start = changed;
  auto first = std::lower_bound(links_lost.begin(), links_lost.end(), earlier);
  if (first != links_lost.end() && *first < changed) {
    start = *first;
  }
  auto seconds = [start](Clock::TimePoint t) {
    return std::chrono::duration<double>(t - start).count();
  };
  f.leader_known_s = seconds(changed);
  std::unordered_set<const std::string*> back;
  int next_point = 1;
  for (const auto& [at, agent] : registered) {
    if (at < start || !back.insert(agent).second) {
      continue;
    }
    const double s = seconds(at);
    while (next_point < s) {
      f.curve.emplace_back(next_point++, static_cast<int>(back.size()) - 1);
    }
    const auto n = static_cast<int>(back.size());
    if (f.half_back_s < 0 && 2 * n >= agents) {
      f.half_back_s = s;
    }
    if (f.most_back_s < 0 && 10 * n >= 9 * agents) {
      f.most_back_s = s;
    }
    if (f.all_back_s < 0 && n >= agents) {
      f.all_back_s = s;
    }
  }
  f.agents_back = static_cast<int>(back.size());
  f.curve.emplace_back(next_point, f.agents_back);
  return f;
}

std::string Failover::table() const {
  if (leader_changes == 0) {
    return {};
  }
  std::string out = "\nfailover (from the first agent link lost)\n";
  out += fmt::format("  leader changes / new leader known  {:>10} / {:.2f} s\n", leader_changes,
                     leader_known_s);
  out += fmt::format("  agents back: half / 90 % / all     {:>10.2f} / {:.2f} / {:.2f} s ({})\n",
                     half_back_s, most_back_s, all_back_s, agents_back);
  out += "  agents back by second:";
  for (const auto& [s, n] : curve) {
    out += fmt::format(" {:.0f}s:{}", s, n);
  }
  return out + "\n";
}

void Failover::writeJson(json::Writer& w) const {
  w.beginObject();
  w.key("leader_changes");
  w.value(leader_changes);
  w.key("leader_known_seconds");
  w.value(leader_known_s);
  w.key("agents_back");
  w.value(agents_back);
  w.key("half_back_seconds");
  w.value(half_back_s);
  w.key("most_back_seconds");
  w.value(most_back_s);
  w.key("all_back_seconds");
  w.value(all_back_s);
  w.key("curve");
  w.beginArray();
  for (const auto& [s, n] : curve) {
    w.beginArray();
    w.value(s);
    w.value(n);
    w.endArray();
  }
  w.endArray();
  w.endObject();
}

std::optional<std::chrono::milliseconds> retryAfterDelay(std::string_view retry_after,
                                                         double share) {
  int seconds = 0;
  const char* end = retry_after.data() + retry_after.size();
  auto [at, ec] = std::from_chars(retry_after.data(), end, seconds);
  if (retry_after.empty() || ec != std::errc() || at != end || seconds < 0) {
    return std::nullopt;
  }
  const auto base = std::chrono::milliseconds(std::min(seconds, 60) * 1000);
  return base + std::chrono::milliseconds(
                    static_cast<int64_t>(static_cast<double>(base.count()) * 0.5 * share));
}

std::chrono::milliseconds registrationRetryDelay(std::string_view retry_after,
                                                 std::chrono::milliseconds backoff, double share) {
  if (auto told = retryAfterDelay(retry_after, share)) {
    return *told;
  }
  const auto base = backoff / 2;
  return base +
         std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(base.count()) * share));
}

std::chrono::milliseconds subscriptionRetryDelay(std::string_view retry_after, double share) {
  return retryAfterDelay(retry_after, share).value_or(std::chrono::seconds(1));
}

}  // namespace plateau::sim
