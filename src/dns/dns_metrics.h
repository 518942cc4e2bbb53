#pragma once

// plateau-dns's metrics, served at /metrics in Prometheus's text format: queries by transport,
// answers by response code, forwarded and dropped queries, answer latency, and the records
// served. Single-threaded (the loop thread).

#include <array>
#include <cstdint>
#include <string>

#include "common/metrics.h"
#include "dns/resolver.h"

namespace plateau::dns {

class DnsMetrics {
 public:
  DnsMetrics();

  void query(Transport transport);
  // A reply went out with `rcode`, `seconds` after the query arrived.
  void answered(int rcode, double seconds, bool truncated);
  void forwarded() { ++*forwarded_; }
  void forwardFailed() { ++*forward_failures_; }
  void dropped() { ++*dropped_; }
  void recordsGenerated(size_t records, size_t tasks) {
    records_->set(static_cast<double>(records));
    tasks_->set(static_cast<double>(tasks));
    ++*generations_;
  }
  void streamEvent() { ++*events_; }
  void resync() { ++*resyncs_; }

  // The Prometheus text exposition (0.0.4).
  std::string prometheus() const;

 private:
  metrics::Registry registry_;
  metrics::Counter* udp_queries_;
  metrics::Counter* tcp_queries_;
  metrics::Counter* forwarded_;
  metrics::Counter* forward_failures_;
  metrics::Counter* dropped_;
  metrics::Counter* truncated_;
  metrics::Counter* events_;
  metrics::Counter* resyncs_;
  metrics::Counter* generations_;
  metrics::Gauge* records_;
  metrics::Gauge* tasks_;
  metrics::Histogram* latency_;
  std::array<uint64_t, 16> answers_by_rcode_{};
};

}  // namespace plateau::dns
