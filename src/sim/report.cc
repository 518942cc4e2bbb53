#include "sim/report.h"

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::sim {

namespace {

double perSecond(int64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

std::string mib(int64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string msRow(const char* name, const Percentiles& p, double scale = 1000) {
  return fmt::format("  {:<34} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}  (n={})\n", name, p.p50 * scale,
                     p.p90 * scale, p.p99 * scale, p.max * scale, p.count);
}

void writePercentiles(json::Writer& w, const char* name, const Percentiles& p) {
  w.key(name);
  w.beginObject();
  w.key("count");
  w.value(static_cast<uint64_t>(p.count));
  w.key("p50");
  w.value(p.p50);
  w.key("p90");
  w.value(p.p90);
  w.key("p99");
  w.value(p.p99);
  w.key("max");
  w.value(p.max);
  w.endObject();
}

std::string steadyTable(const SteadyReport& s) {
  if (!s.reached) {
    return "";
  }
  std::string out = fmt::format(
      "\nsteady phase: from {:.2f} s into the window, {:.2f} s long; {} -> {} tasks running, "
      "{} launched in it\n",
      s.after_seconds, s.seconds, s.running_at_start, s.running_at_end, s.launched);
  out += "  latency (ms)                           p50       p90       p99       max\n";
  out += msRow("submitted -> launched (offer wait)", s.wait_for_offer);
  out += msRow("launched -> RUN_TASK at agent", s.accept_to_agent);
  out += msRow("launched -> TASK_RUNNING", s.launch_to_running);
  out += msRow("submitted -> TASK_RUNNING", s.submit_to_running);
  out += msRow("master /health round trip", s.health);
  out += msRow("call queued in the simulator", s.sim_queue_wait);
  out += msRow("allocation round (sampled)", s.allocation_ms, 1);
  out += msRow("master loop stall (10 s max)", s.loop_stall_ms, 1);
  out += msRow("master loop busy (10 s max)", s.loop_busy_ms, 1);
  out += fmt::format(
      "  master CPU {:.2f} s ({:.0f} % of a core), RSS at its end {}; simulator CPU {:.2f} s\n",
      s.master_cpu_seconds, s.seconds > 0 ? 100 * s.master_cpu_seconds / s.seconds : 0,
      mib(s.master_rss), s.sim_cpu_seconds);
  return out;
}

void writeSteady(json::Writer& w, const SteadyReport& s) {
  auto num = [&](const char* key, auto value) {
    w.key(key);
    w.value(value);
  };
  w.beginObject();
  num("reached", s.reached);
  num("after_seconds", s.after_seconds);
  num("seconds", s.seconds);
  num("running_at_start", s.running_at_start);
  num("running_at_end", s.running_at_end);
  num("launched", s.launched);
  writePercentiles(w, "wait_for_offer", s.wait_for_offer);
  writePercentiles(w, "launch_to_agent", s.accept_to_agent);
  writePercentiles(w, "launch_to_running", s.launch_to_running);
  writePercentiles(w, "submit_to_running", s.submit_to_running);
  writePercentiles(w, "master_health", s.health);
  writePercentiles(w, "simulator_call_queue", s.sim_queue_wait);
  writePercentiles(w, "allocation_run_ms_sampled", s.allocation_ms);
  writePercentiles(w, "event_loop_stall_ms_sampled", s.loop_stall_ms);
  writePercentiles(w, "event_loop_busy_ms_sampled", s.loop_busy_ms);
  num("master_cpu_seconds", s.master_cpu_seconds);
  num("master_rss_bytes", s.master_rss);
  num("simulator_cpu_seconds", s.sim_cpu_seconds);
  w.endObject();
}

}  // namespace

Percentiles Percentiles::of(const LatencySamples& s) {
  return {.count = s.count(),
          .p50 = s.percentile(50),
          .p90 = s.percentile(90),
          .p99 = s.percentile(99),
          .max = s.max()};
}

double Report::offersPerSecond() const { return perSecond(frameworks_seen.offers, window_seconds); }
double Report::launchedPerSecond() const { return perSecond(tasks.launched, window_seconds); }
double Report::finishedPerSecond() const { return perSecond(tasks.finished, window_seconds); }

double Report::masterCpuMsPerTask() const {
  return tasks.launched > 0 ? master_cpu_seconds * 1000 / static_cast<double>(tasks.launched) : 0;
}

double Report::masterRssPerAgent() const {
  return agents_registered > 0
             ? static_cast<double>(master_rss_with_agents - master_rss_before_agents) /
                   agents_registered
             : 0;
}

std::string Report::table() const {
  std::string out;
  out += fmt::format(
      "plateau-sim: {} agents ({} registered in {:.2f} s), {} frameworks ({} "
      "subscribed)\n",
      agents, agents_registered, registration_seconds, frameworks, frameworks_subscribed);
  out += fmt::format("window: {:.2f} s ({:.2f} s of arrivals, then drain)\n\n", window_seconds,
                     arrival_seconds);
  out += "throughput\n";
  out += fmt::format(
      "  offers received                    {:>10} ({:.1f}/s; {} accepted, {} "
      "declined, {} rescinded)\n",
      frameworks_seen.offers, offersPerSecond(), frameworks_seen.offers_accepted,
      frameworks_seen.offers_declined, frameworks_seen.rescinded);
  out += fmt::format("  tasks submitted                    {:>10}\n", tasks.submitted);
  out += fmt::format("  tasks launched                     {:>10} ({:.1f}/s)\n", tasks.launched,
                     launchedPerSecond());
  out += fmt::format("  tasks at agents                    {:>10}\n", tasks.at_agent);
  out += fmt::format("  tasks running (seen)               {:>10}\n", tasks.running);
  out += fmt::format("  tasks finished                     {:>10} ({:.1f}/s)\n", tasks.finished,
                     finishedPerSecond());
  out += fmt::format("  tasks killed / failed / left       {:>10} / {} / {}\n", tasks.killed,
                     tasks.failed, tasks_left);
  out += fmt::format("  suppress / revive calls            {:>10} / {}\n", frameworks_seen.suppress,
                     frameworks_seen.revive);
  out +=
      fmt::format("\nlatency (ms)                             p50       p90       p99       max\n");
  out += msRow("submitted -> launched (offer wait)", wait_for_offer);
  out += msRow("launched -> RUN_TASK at agent", accept_to_agent);
  out += msRow("launched -> TASK_RUNNING", launch_to_running);
  out += msRow("submitted -> TASK_RUNNING", submit_to_running);
  out += msRow("master /health round trip", health);
  out += msRow("call queued in the simulator", sim_queue_wait);
  if (state.count > 0) {
    out += msRow("master /master/state round trip", state);
  }
  out += msRow("allocation round (sampled)", allocation_ms, 1);
  out += msRow("master loop stall (10 s max)", loop_stall_ms, 1);
  out += msRow("master loop busy (10 s max)", loop_busy_ms, 1);
  out += "\nmaster\n";
  if (master_measured) {
    out += fmt::format(
        "  CPU in window                      {:>10.2f} s ({:.3f} ms per launched "
        "task)\n",
        master_cpu_seconds, masterCpuMsPerTask());
    out += fmt::format("  RSS before agents / with agents    {:>10} / {} ({:.1f} KiB per agent)\n",
                       mib(master_rss_before_agents), mib(master_rss_with_agents),
                       masterRssPerAgent() / 1024);
    out += fmt::format("  RSS at end / peak                  {:>10} / {}\n", mib(master_rss_end),
                       mib(master_peak_rss));
  } else {
    out += "  CPU and RSS not measured (its pid is unknown: pass --master_pid)\n";
  }
  out += fmt::format("  allocation rounds in window        {:>10} (mean {:.2f} ms)\n",
                     allocation_runs, allocation_mean_ms);
  out += fmt::format("  offers sent / tasks launched       {:>10} / {} (its counters, window)\n",
                     master_offers_sent, master_tasks_launched);
  out += fmt::format("  tasks finished / agents active     {:>10} / {} (its counters)\n",
                     master_tasks_finished, master_agents_active);
  out += fmt::format("  /health failures                   {:>10}\n", health_failures);
  out += failover.table();
  out += steadyTable(steady);
  out += "\nsimulator\n";
  out += fmt::format("  CPU in window                      {:>10.2f} s\n", sim_cpu_seconds);
  out += fmt::format("  peak RSS                           {:>10}\n", mib(sim_peak_rss));
  out += fmt::format(
      "  calls sent / failed / non-2xx      {:>10} / {} / {}; stream drops {}; "
      "most queued {}\n",
      links.calls, links.calls_failed, links.calls_rejected, links.stream_drops, links.max_queued);
  out += fmt::format("  answered 429/503 (sent again)      {:>10} ({} sends again)\n",
                     links.calls_refused, links.calls_retried);
  out += fmt::format("  update resends not sent            {:>10} (a copy still in the pipe)\n",
                     links.updates_not_resent);
  return out;
}

std::string Report::json() const {
  std::string out;
  json::Writer w(&out);
  auto num = [&](const char* key, auto value) {
    w.key(key);
    w.value(value);
  };
  w.beginObject();
  num("agents", agents);
  num("agents_registered", agents_registered);
  num("frameworks", frameworks);
  num("frameworks_subscribed", frameworks_subscribed);
  num("registration_seconds", registration_seconds);
  num("arrival_seconds", arrival_seconds);
  num("window_seconds", window_seconds);
  w.key("tasks");
  w.beginObject();
  num("submitted", tasks.submitted);
  num("launched", tasks.launched);
  num("at_agent", tasks.at_agent);
  num("running", tasks.running);
  num("finished", tasks.finished);
  num("killed", tasks.killed);
  num("failed", tasks.failed);
  num("left", tasks_left);
  w.endObject();
  w.key("rates");
  w.beginObject();
  num("offers_per_second", offersPerSecond());
  num("launched_per_second", launchedPerSecond());
  num("finished_per_second", finishedPerSecond());
  w.endObject();
  w.key("offers");
  w.beginObject();
  num("received", frameworks_seen.offers);
  num("accepted", frameworks_seen.offers_accepted);
  num("declined", frameworks_seen.offers_declined);
  num("rescinded", frameworks_seen.rescinded);
  num("suppress_calls", frameworks_seen.suppress);
  num("revive_calls", frameworks_seen.revive);
  w.endObject();
  w.key("latency_seconds");
  w.beginObject();
  writePercentiles(w, "wait_for_offer", wait_for_offer);
  writePercentiles(w, "launch_to_agent", accept_to_agent);
  writePercentiles(w, "launch_to_running", launch_to_running);
  writePercentiles(w, "submit_to_running", submit_to_running);
  writePercentiles(w, "master_health", health);
  writePercentiles(w, "simulator_call_queue", sim_queue_wait);
  w.endObject();
  w.key("master");
  w.beginObject();
  num("measured", master_measured);
  num("cpu_seconds", master_cpu_seconds);
  num("cpu_ms_per_launched_task", masterCpuMsPerTask());
  num("rss_bytes_before_agents", master_rss_before_agents);
  num("rss_bytes_with_agents", master_rss_with_agents);
  num("rss_bytes_per_agent", masterRssPerAgent());
  num("rss_bytes_end", master_rss_end);
  num("peak_rss_bytes", master_peak_rss);
  num("health_failures", health_failures);
  writePercentiles(w, "master_state", state);
  num("master_state_bytes", state_bytes);
  writePercentiles(w, "allocation_run_ms_sampled", allocation_ms);
  writePercentiles(w, "event_loop_stall_ms_sampled", loop_stall_ms);
  writePercentiles(w, "event_loop_busy_ms_sampled", loop_busy_ms);
  num("allocation_mean_ms", allocation_mean_ms);
  num("allocation_runs", allocation_runs);
  num("offers_sent", master_offers_sent);
  num("tasks_launched", master_tasks_launched);
  num("tasks_finished", master_tasks_finished);
  num("agents_active", master_agents_active);
  w.endObject();
  w.key("failover");
  failover.writeJson(w);
  w.key("steady");
  writeSteady(w, steady);
  w.key("simulator");
  w.beginObject();
  num("cpu_seconds", sim_cpu_seconds);
  num("peak_rss_bytes", sim_peak_rss);
  num("calls", links.calls);
  num("calls_failed", links.calls_failed);
  num("calls_rejected", links.calls_rejected);
  num("calls_refused", links.calls_refused);
  num("calls_retried", links.calls_retried);
  num("updates_not_resent", links.updates_not_resent);
  num("stream_drops", links.stream_drops);
  num("max_queued_calls", static_cast<uint64_t>(links.max_queued));
  w.endObject();
  w.endObject();
  return out;
}

}  // namespace plateau::sim
