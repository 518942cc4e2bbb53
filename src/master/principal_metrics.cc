#include "master/principal_metrics.h"

#include <fmt/format.h>

namespace plateau::master {
namespace {

// A Prometheus name part that stands for `principal` alone: its bytes in hex (a principal may
// hold any character; two principals never share a name).
std::string hexOf(const std::string& principal) {
  std::string out;
  for (unsigned char c : principal) {
    out += fmt::format("{:02x}", c);
  }
  return out;
}

}  // namespace

PrincipalMetrics::PrincipalMetrics(metrics::Registry& registry, size_t max)
    : registry_(registry), max_(max) {}

PrincipalMetrics::Counters* PrincipalMetrics::counters(const std::string& principal, bool create) {
  if (principal.empty()) {
    return nullptr;
  }
  if (auto it = entries_.find(principal); it != entries_.end()) {
    return &it->second.counters;
  }
  if (!create || (entries_.size() >= max_ && !dropOldestIdle())) {
    return nullptr;
  }
  auto counter = [&](const char* what, const char* help) {
    return &registry_.counter(
        {.snapshot_key = fmt::format("frameworks/{}/{}", principal, what),
         .name =
             fmt::format("plateau_master_framework_principal_{}_{}_total", hexOf(principal), what),
         .help = fmt::format("{} of the frameworks of principal '{}'.", help, principal),
         .scale = 1});
  };
  Entry entry{.counters = {.received = counter("messages_received", "Scheduler calls received"),
                           .processed = counter("messages_processed", "Scheduler calls handled")}};
  auto& made = entries_.emplace(principal, entry).first->second;
  if (!live_.contains(principal)) {
    becameIdle(principal, made);  // a subscription that may yet fail: idle until it is added
  }
  return &made.counters;
}

void PrincipalMetrics::frameworkAdded(const std::string& framework_id,
                                      const std::string& principal) {
  if (auto it = framework_principals_.find(framework_id); it != framework_principals_.end()) {
    if (it->second == principal) {
      return;
    }
    frameworkRemoved(framework_id);
  }
  if (principal.empty()) {
    return;
  }
  framework_principals_[framework_id] = principal;
  ++live_[principal];
  if (auto it = entries_.find(principal); it != entries_.end() && it->second.idle_since != 0) {
    idle_.erase(it->second.idle_since);
    it->second.idle_since = 0;
  }
  counters(principal, true);
}

void PrincipalMetrics::frameworkRemoved(const std::string& framework_id) {
  auto it = framework_principals_.find(framework_id);
  if (it == framework_principals_.end()) {
    return;
  }
  const std::string principal = std::move(it->second);
  framework_principals_.erase(it);
  auto live = live_.find(principal);
  if (live == live_.end() || --live->second > 0) {
    return;
  }
  live_.erase(live);
  if (auto entry = entries_.find(principal); entry != entries_.end()) {
    becameIdle(principal, entry->second);
  }
}

void PrincipalMetrics::becameIdle(const std::string& principal, Entry& entry) {
  if (entry.idle_since == 0) {
    entry.idle_since = ++idle_order_;
    idle_.emplace(entry.idle_since, principal);
  }
}

bool PrincipalMetrics::dropOldestIdle() {
  if (idle_.empty()) {
    return false;
  }
  auto oldest = idle_.begin();
  auto entry = entries_.find(oldest->second);
  registry_.remove(*entry->second.counters.received);
  registry_.remove(*entry->second.counters.processed);
  entries_.erase(entry);
  idle_.erase(oldest);
  return true;
}

}  // namespace plateau::master
