#pragma once

// Answers one DNS query (wire format in, wire format out) as Mesos-DNS does, from the current
// RecordSet; the wire format is read and written by ldns. No sockets: the servers hand it bytes.
//
// Answers for names in the domain: authoritative (AA), RA as `recurseon`; A, AAAA, SRV (with the
// targets' addresses as additional records), SOA and NS (in the authority section), ANY (all of
// them), answers shuffled. No records: SOA, NS and SRV questions are NOERROR and empty; other
// types are NXDOMAIN unless the name has some record (then NOERROR), with the SOA in authority.
// Other names are forwarded when `externalon` and resolvers are set, else REFUSED.
// Over UDP an answer larger than 512 bytes (or the client's EDNS0 size) loses its additional
// records, then answers, and carries the TC bit (`SetTruncateBit`) so the client retries on TCP.
// Malformed queries: FORMERR when the header can be read, else dropped; responses are dropped;
// opcodes other than QUERY get NOTIMP.
//
// Single-threaded (the loop thread).

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "dns/config.h"
#include "dns/records.h"

namespace plateau::dns {

enum class Transport { kUdp, kTcp };

// DNS response codes the resolver gives.
inline constexpr int kNoError = 0;
inline constexpr int kFormErr = 1;
inline constexpr int kServFail = 2;
inline constexpr int kNxDomain = 3;
inline constexpr int kNotImp = 4;
inline constexpr int kRefused = 5;

// "NOERROR", "NXDOMAIN", ... ("RCODE<n>" for others).
std::string rcodeName(int rcode);

struct Answer {
  enum class Kind { kReply, kForward, kDrop };
  Kind kind = Kind::kDrop;
  std::string wire;  // the reply, for kReply
  int rcode = 0;     // of the reply
  bool truncated = false;
};

class Resolver {
 public:
  // `config` must outlive the resolver; `seed` drives the shuffling of answers.
  Resolver(const Config& config, uint64_t seed);

  // Serves `records` from now on; `serial` is the SOA serial (Mesos-DNS: the time of the last
  // update, in seconds).
  void setRecords(std::shared_ptr<const RecordSet> records, uint32_t serial);
  const RecordSet& records() const { return *records_; }
  uint32_t serial() const { return serial_; }

  Answer answer(std::string_view query, Transport transport);

 private:
  const Config& config_;
  std::shared_ptr<const RecordSet> records_;
  uint32_t serial_ = 0;
  std::minstd_rand random_;
};

// A reply to `query` with no records and `rcode` (SERVFAIL after a failed forward, ...), or ""
// when the query's header cannot be read.
std::string errorReply(std::string_view query, int rcode);

}  // namespace plateau::dns
