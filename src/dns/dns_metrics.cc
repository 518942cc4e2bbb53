#include "dns/dns_metrics.h"

#include <fmt/format.h>

namespace plateau::dns {

namespace {

metrics::Info info(std::string name, std::string help) {
  return {.snapshot_key = "", .name = "plateau_dns_" + std::move(name), .help = std::move(help)};
}

}  // namespace

DnsMetrics::DnsMetrics()
    : udp_queries_(&registry_.counter(info("udp_queries_total", "DNS queries received over UDP"))),
      tcp_queries_(&registry_.counter(info("tcp_queries_total", "DNS queries received over TCP"))),
      forwarded_(&registry_.counter(
          info("forwarded_total", "Queries outside the domain forwarded to the resolvers"))),
      forward_failures_(&registry_.counter(
          info("forward_failures_total", "Forwarded queries no resolver answered"))),
      dropped_(&registry_.counter(
          info("dropped_total", "Queries dropped unanswered (too short, or a response)"))),
      truncated_(&registry_.counter(
          info("truncated_total", "UDP answers cut to fit (TC bit), for a TCP retry"))),
      events_(&registry_.counter(
          info("stream_events_total", "Events received on the master's operator event stream"))),
      resyncs_(&registry_.counter(
          info("resyncs_total", "Full state reads from the master (GET_STATE)"))),
      generations_(&registry_.counter(
          info("record_generations_total", "Times the records were generated anew"))),
      records_(&registry_.gauge(info("records", "Records served (A, AAAA and SRV)"))),
      tasks_(&registry_.gauge(info("tasks", "Live tasks known from the master"))),
      latency_(&registry_.histogram(
          info("answer_latency_seconds", "Time from a query's arrival to its answer being sent"),
          {0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.1, 1,
           10})) {}

void DnsMetrics::query(Transport transport) {
  ++*(transport == Transport::kUdp ? udp_queries_ : tcp_queries_);
}

void DnsMetrics::answered(int rcode, double seconds, bool truncated) {
  if (rcode >= 0 && static_cast<size_t>(rcode) < answers_by_rcode_.size()) {
    ++answers_by_rcode_[static_cast<size_t>(rcode)];
  }
  latency_->observe(seconds);
  if (truncated) {
    ++*truncated_;
  }
}

std::string DnsMetrics::prometheus() const {
  std::string out = registry_.prometheus();
  out += "# HELP plateau_dns_queries_total DNS queries received (UDP and TCP)\n";
  out += "# TYPE plateau_dns_queries_total counter\n";
  out +=
      fmt::format("plateau_dns_queries_total {}\n", udp_queries_->value() + tcp_queries_->value());
  out += "# HELP plateau_dns_answers_total DNS replies sent, by response code\n";
  out += "# TYPE plateau_dns_answers_total counter\n";
  for (int rcode : {kNoError, kFormErr, kServFail, kNxDomain, kNotImp, kRefused}) {
    out += fmt::format("plateau_dns_answers_total{{rcode=\"{}\"}} {}\n", rcodeName(rcode),
                       answers_by_rcode_[static_cast<size_t>(rcode)]);
  }
  return out;
}

}  // namespace plateau::dns
