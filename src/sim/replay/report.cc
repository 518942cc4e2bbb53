#include "sim/replay/report.h"

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::sim::replay {

namespace {

void writeDelay(json::Writer& w, const DelayStats& d) {
  w.key("queueing_delay_s");
  w.beginObject();
  w.key("count");
  w.value(d.count);
  for (auto [name, value] : {std::pair{"mean", d.mean},
                             {"p50", d.p50},
                             {"p90", d.p90},
                             {"p99", d.p99},
                             {"max", d.max}}) {
    w.key(name);
    w.value(value);
  }
  w.endObject();
}

void writeRole(json::Writer& w, const RoleReport& r) {
  w.beginObject();
  w.key("role");
  w.value(r.role);
  w.key("weight");
  w.value(r.weight);
  for (auto [name, value] : {std::pair{"frameworks", r.frameworks},
                             {"tasks_submitted", r.tasks_submitted},
                             {"tasks_launched", r.tasks_launched},
                             {"tasks_pending_at_end", r.tasks_pending_at_end}}) {
    w.key(name);
    w.value(value);
  }
  w.key("mean_dominant_share");
  w.value(r.mean_share);
  w.key("max_dominant_share");
  w.value(r.max_share);
  writeDelay(w, r.delay);
  w.key("longest_wait_s");
  w.value(r.longest_wait_s);
  w.key("longest_wait_job");
  w.value(r.longest_wait_job);
  w.endObject();
}

void writeSample(json::Writer& w, const Sample& s) {
  w.beginObject();
  w.key("t");
  w.value(s.time_s);
  w.key("cpu");
  w.value(s.cpu_utilization);
  w.key("mem");
  w.value(s.mem_utilization);
  w.key("shares");
  w.beginArray();
  for (double share : s.shares) {
    w.value(share);
  }
  w.endArray();
  w.key("pending");
  w.beginArray();
  for (int64_t n : s.pending_tasks) {
    w.value(n);
  }
  w.endArray();
  w.endObject();
}

void writeConfig(json::Writer& w, const ReplayReport& r) {
  w.key("config");
  w.beginObject();
  w.key("agents");
  w.value(r.agents);
  w.key("agent_resources");
  w.value(r.agent_resources);
  w.key("allocation_interval_s");
  w.value(r.allocation_interval_s);
  w.key("triggered_rounds");
  w.value(r.triggered_rounds);
  w.key("decline_refuse_s");
  w.value(r.decline_refuse_s);
  w.key("accept_refuse_s");
  w.value(r.accept_refuse_s);
  w.key("suppress_when_idle");
  w.value(r.suppress_when_idle);
  w.key("decline_fraction");
  w.value(r.decline_fraction);
  w.key("lookahead");
  w.value(r.lookahead);
  w.key("seed");
  w.value(r.seed);
  w.key("weights");
  w.value(r.weights);
  w.key("quota");
  w.value(r.quota);
  w.key("min_allocatable_resources");
  w.value(r.min_allocatable);
  w.endObject();
}

}  // namespace

std::string ReplayReport::json() const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  writeConfig(w, *this);
  for (auto [name, value] : {std::pair{"jobs", jobs},
                             {"rounds", rounds},
                             {"offers", offers},
                             {"declines", declines},
                             {"tasks_launched", tasks_launched},
                             {"tasks_finished", tasks_finished}}) {
    w.key(name);
    w.value(value);
  }
  w.key("simulated_s");
  w.value(simulated_s);
  w.key("stalled");
  w.value(stalled);
  w.key("utilization");
  w.beginObject();
  w.key("mean_cpu");
  w.value(mean_cpu_utilization);
  w.key("mean_mem");
  w.value(mean_mem_utilization);
  w.key("peak_cpu");
  w.value(peak_cpu_utilization);
  w.endObject();
  w.key("roles");
  w.beginArray();
  for (const RoleReport& role : roles) {
    writeRole(w, role);
  }
  w.endArray();
  w.key("samples");
  w.beginArray();
  for (const Sample& sample : samples) {
    writeSample(w, sample);
  }
  w.endArray();
  w.endObject();
  return out;
}

std::string ReplayReport::table() const {
  std::string t;
  auto add = [&t](std::string line) { t += line + "\n"; };
  add(fmt::format("replay: {} agents of {}, {} jobs, {:.0f} s simulated{}", agents, agent_resources,
                  jobs, simulated_s, stalled ? " (stalled: see pending)" : ""));
  add(fmt::format(
      "config: allocation_interval {} s{}, refuse {} s on decline / {} s on accept, "
      "suppress_when_idle {}, decline_fraction {}, lookahead {}, seed {}",
      allocation_interval_s, triggered_rounds ? " + triggered rounds" : "", decline_refuse_s,
      accept_refuse_s, suppress_when_idle, decline_fraction, lookahead, seed));
  add(fmt::format("        weights '{}', quota '{}', min_allocatable_resources '{}'", weights,
                  quota, min_allocatable));
  add(fmt::format("rounds {}, offers {}, declines {}, tasks launched {}, finished {}", rounds,
                  offers, declines, tasks_launched, tasks_finished));
  add(fmt::format("utilization: mean cpu {:.1f}%, mean mem {:.1f}%, peak cpu {:.1f}%",
                  mean_cpu_utilization * 100, mean_mem_utilization * 100,
                  peak_cpu_utilization * 100));
  add(fmt::format("wall time {:.1f} s (allocator rounds {:.1f} s)", wall_s, allocator_wall_s));
  add("");
  add(fmt::format("{:<16} {:>6} {:>10} {:>10} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9}",
                  "role", "weight", "submitted", "launched", "share", "max", "delay p50", "p90",
                  "p99", "max", "longest", "pending"));
  for (const RoleReport& r : roles) {
    add(
        fmt::format("{:<16} {:>6} {:>10} {:>10} {:>7.3f} {:>7.3f} {:>9.1f} {:>9.1f} {:>9.1f} "
                    "{:>9.1f} {:>10.1f} {:>9}",
                    r.role, r.weight, r.tasks_submitted, r.tasks_launched, r.mean_share,
                    r.max_share, r.delay.p50, r.delay.p90, r.delay.p99, r.delay.max,
                    r.longest_wait_s, r.tasks_pending_at_end));
  }
  add("(share: dominant share, mean over samples; delays and longest wait in seconds)");
  if (samples.empty()) {
    return t;
  }
  add("");
  std::string head = fmt::format("{:>9} {:>6}", "time s", "cpu %");
  for (const RoleReport& r : roles) {
    head += fmt::format(" {:>12}", r.role.substr(0, 12));
  }
  add(head + "   (dominant share / tasks waiting)");
  const size_t stride = (samples.size() + 23) / 24;
  for (size_t i = 0; i < samples.size(); i += stride) {
    const Sample& s = samples[i];
    std::string row = fmt::format("{:>9.0f} {:>6.1f}", s.time_s, s.cpu_utilization * 100);
    for (size_t k = 0; k < s.shares.size(); ++k) {
      row += fmt::format(" {:>5.3f}/{:<6}", s.shares[k], s.pending_tasks[k]);
    }
    add(row);
  }
  return t;
}

}  // namespace plateau::sim::replay
