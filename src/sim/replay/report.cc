#include "sim/replay/report.h"

#include <fmt/format.h>

#include "common/json.h"
#include "common/json_fields.h"

namespace plateau::sim::replay {

namespace {

void writeDelay(json::Writer& w, const DelayStats& d) {
  w.key("queueing_delay_s");
  w.beginObject();
  field(w, "count", d.count);
  field(w, "mean", d.mean);
  field(w, "p50", d.p50);
  field(w, "p90", d.p90);
  field(w, "p99", d.p99);
  field(w, "max", d.max);
  w.endObject();
}

void writeRole(json::Writer& w, const RoleReport& r) {
  w.beginObject();
  field(w, "role", r.role);
  field(w, "weight", r.weight);
  field(w, "frameworks", r.frameworks);
  field(w, "tasks_submitted", r.tasks_submitted);
  field(w, "tasks_launched", r.tasks_launched);
  field(w, "tasks_pending_at_end", r.tasks_pending_at_end);
  field(w, "mean_dominant_share", r.mean_share);
  field(w, "max_dominant_share", r.max_share);
  writeDelay(w, r.delay);
  field(w, "longest_wait_s", r.longest_wait_s);
  field(w, "longest_wait_job", r.longest_wait_job);
  w.endObject();
}

void writeSample(json::Writer& w, const Sample& s) {
  w.beginObject();
  field(w, "t", s.time_s);
  field(w, "cpu", s.cpu_utilization);
  field(w, "mem", s.mem_utilization);
  w.key("shares");
  values(w, s.shares);
  w.key("pending");
  values(w, s.pending_tasks);
  w.endObject();
}

void writeConfig(json::Writer& w, const ReplayReport& r) {
  w.key("config");
  w.beginObject();
  field(w, "agents", r.agents);
  field(w, "agent_resources", r.agent_resources);
  field(w, "allocation_interval_s", r.allocation_interval_s);
  field(w, "triggered_rounds", r.triggered_rounds);
  field(w, "decline_refuse_s", r.decline_refuse_s);
  field(w, "accept_refuse_s", r.accept_refuse_s);
  field(w, "suppress_when_idle", r.suppress_when_idle);
  field(w, "decline_fraction", r.decline_fraction);
  field(w, "lookahead", r.lookahead);
  field(w, "seed", r.seed);
  field(w, "weights", r.weights);
  field(w, "quota", r.quota);
  field(w, "min_allocatable_resources", r.min_allocatable);
  w.endObject();
}

}  // namespace

std::string ReplayReport::json() const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  writeConfig(w, *this);
  field(w, "jobs", jobs);
  field(w, "rounds", rounds);
  field(w, "offers", offers);
  field(w, "declines", declines);
  field(w, "tasks_launched", tasks_launched);
  field(w, "tasks_finished", tasks_finished);
  field(w, "simulated_s", simulated_s);
  field(w, "stalled", stalled);
  w.key("utilization");
  w.beginObject();
  field(w, "mean_cpu", mean_cpu_utilization);
  field(w, "mean_mem", mean_mem_utilization);
  field(w, "peak_cpu", peak_cpu_utilization);
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
