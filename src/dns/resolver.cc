#include "dns/resolver.h"

#include "dns/ldns.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

namespace plateau::dns {

namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kUdpDefaultSize = 512;
constexpr size_t kTcpMaxSize = 65535;

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktDeleter>;

std::string toWire(const ldns_pkt* pkt) {
  uint8_t* data = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&data, pkt, &size) != LDNS_STATUS_OK) {
    std::free(data);
    return {};
  }
  std::string out(reinterpret_cast<char*>(data), size);
  std::free(data);
  return out;
}

std::string lowerName(const ldns_rdf* owner) {
  char* text = ldns_rdf2str(owner);
  std::string out = text ? text : "";
  std::free(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Mesos-DNS's cleanWild: ".*" is dropped, so "*.x.mesos." style lookups map to the name.
  for (size_t at = out.find(".*"); at != std::string::npos; at = out.find(".*")) {
    out.erase(at, 2);
  }
  return out;
}

ldns_rr* newRecord(const ldns_rdf* owner, ldns_rr_type type, uint32_t ttl) {
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
  ldns_rr_set_type(rr, type);
  ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr, ttl);
  return rr;
}

// An A or AAAA record, or nullptr when the address does not parse.
ldns_rr* addressRecord(const ldns_rdf* owner, const std::string& ip, bool v6, uint32_t ttl) {
  ldns_rdf* rdf = ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, ip.c_str());
  if (!rdf) {
    return nullptr;
  }
  ldns_rr* rr = newRecord(owner, v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A, ttl);
  ldns_rr_push_rdf(rr, rdf);
  return rr;
}

// A fresh reply to `query`'s header and question.
Pkt replyTo(const ldns_pkt* query) {
  Pkt reply(ldns_pkt_new());
  ldns_pkt_set_id(reply.get(), ldns_pkt_id(query));
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_opcode(reply.get(), ldns_pkt_get_opcode(query));
  ldns_pkt_set_rd(reply.get(), ldns_pkt_rd(query));
  ldns_pkt_set_cd(reply.get(), ldns_pkt_cd(query));
  const ldns_rr_list* question = ldns_pkt_question(query);
  for (size_t i = 0; i < ldns_rr_list_rr_count(question); ++i) {
    ldns_pkt_push_rr(reply.get(), LDNS_SECTION_QUESTION,
                     ldns_rr_clone(ldns_rr_list_rr(question, i)));
  }
  return reply;
}

// A reply built from the raw header only (for queries ldns cannot parse).
std::string headerOnlyReply(std::string_view query, int rcode) {
  if (query.size() < kHeaderSize) {
    return {};
  }
  std::string out(kHeaderSize, '\0');
  out[0] = query[0];
  out[1] = query[1];
  // QR set, opcode and RD copied; rcode in the low nibble of byte 3; all counts zero.
  out[2] = static_cast<char>(0x80 | (query[2] & 0x79));
  out[3] = static_cast<char>(rcode & 0x0f);
  return out;
}

class AnswerBuilder {
 public:
  AnswerBuilder(const Config& config, const RecordSet& records, uint32_t serial,
                const ldns_pkt* query)
      : config_(config), records_(records), serial_(serial), query_(query) {}

  // Fills `reply` for a question about `name` in the domain.
  int answerInDomain(ldns_pkt* reply, const ldns_rr* question, const std::string& name,
                     std::minstd_rand& random) {
    const ldns_rdf* owner = ldns_rr_owner(question);
    ldns_rr_type type = ldns_rr_get_type(question);
    ldns_pkt_set_aa(reply, true);
    ldns_pkt_set_ra(reply, config_.recurse_on);
    const NameRecords* found = records_.find(name);
    std::vector<ldns_rr*> answers;
    std::vector<ldns_rr*> extra;
    std::vector<ldns_rr*> authority;
    auto addA = [&] {
      if (found) {
        for (const auto& ip : found->a) {
          if (auto* rr = addressRecord(owner, ip, false, ttl())) {
            answers.push_back(rr);
          }
        }
      }
    };
    auto addAaaa = [&] {
      if (found) {
        for (const auto& ip : found->aaaa) {
          if (auto* rr = addressRecord(owner, ip, true, ttl())) {
            answers.push_back(rr);
          }
        }
      }
    };
    auto addSrv = [&] {
      if (found) {
        srvRecords(owner, *found, answers, extra);
      }
    };
    switch (type) {
      case LDNS_RR_TYPE_SRV:
        addSrv();
        break;
      case LDNS_RR_TYPE_A:
        addA();
        break;
      case LDNS_RR_TYPE_AAAA:
        addAaaa();
        break;
      case LDNS_RR_TYPE_SOA:
        authority.push_back(soa(owner));
        break;
      case LDNS_RR_TYPE_NS:
        authority.push_back(ns(owner));
        break;
      case LDNS_RR_TYPE_ANY:
        addSrv();
        addA();
        addAaaa();
        authority.push_back(soa(owner));
        authority.push_back(ns(owner));
        break;
      default:
        break;
    }
    int rcode = kNoError;
    if (answers.empty() && type != LDNS_RR_TYPE_SOA && type != LDNS_RR_TYPE_NS &&
        type != LDNS_RR_TYPE_SRV) {
      rcode = (found && !found->empty()) ? kNoError : kNxDomain;
      authority.push_back(soa(owner));
    }
    std::shuffle(answers.begin(), answers.end(), random);
    for (auto* rr : answers) {
      ldns_pkt_push_rr(reply, LDNS_SECTION_ANSWER, rr);
    }
    for (auto* rr : authority) {
      ldns_pkt_push_rr(reply, LDNS_SECTION_AUTHORITY, rr);
    }
    for (auto* rr : extra) {
      ldns_pkt_push_rr(reply, LDNS_SECTION_ADDITIONAL, rr);
    }
    ldns_pkt_set_rcode(reply, static_cast<uint8_t>(rcode));
    return rcode;
  }

 private:
  uint32_t ttl() const { return static_cast<uint32_t>(config_.ttl); }

  void srvRecords(const ldns_rdf* owner, const NameRecords& found, std::vector<ldns_rr*>& answers,
                  std::vector<ldns_rr*>& extra) {
    std::vector<std::string> added_a;
    std::vector<std::string> added_aaaa;
    for (const auto& target : found.srv) {
      ldns_rdf* target_name = ldns_dname_new_frm_str(target.host.c_str());
      if (!target_name) {
        continue;
      }
      ldns_rr* rr = newRecord(owner, LDNS_RR_TYPE_SRV, ttl());
      ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0));
      ldns_rr_push_rdf(
          rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
                                    static_cast<uint16_t>(config_.srv_record_default_weight)));
      ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, target.port));
      ldns_rr_push_rdf(rr, target_name);
      answers.push_back(rr);
      const NameRecords* host = records_.find(target.host);
      if (!host) {
        continue;
      }
      // The target's first address of each family, once per target.
      if (!host->a.empty() &&
          std::find(added_a.begin(), added_a.end(), target.host) == added_a.end()) {
        if (auto* a = addressRecord(target_name, host->a.front(), false, ttl())) {
          extra.push_back(a);
          added_a.push_back(target.host);
        }
      }
      if (!host->aaaa.empty() &&
          std::find(added_aaaa.begin(), added_aaaa.end(), target.host) == added_aaaa.end()) {
        if (auto* aaaa = addressRecord(target_name, host->aaaa.front(), true, ttl())) {
          extra.push_back(aaaa);
          added_aaaa.push_back(target.host);
        }
      }
    }
  }

  ldns_rr* soa(const ldns_rdf* owner) {
    ldns_rr* rr = newRecord(owner, LDNS_RR_TYPE_SOA, ttl());
    ldns_rr_push_rdf(rr, ldns_dname_new_frm_str(config_.soa_mname.c_str()));
    ldns_rr_push_rdf(rr, ldns_dname_new_frm_str(config_.soa_rname.c_str()));
    ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, serial_));
    ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, config_.soa_refresh));
    ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, config_.soa_retry));
    ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, config_.soa_expire));
    // Mesos-DNS puts the records' TTL in the minimum field.
    ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, ttl()));
    return rr;
  }

  ldns_rr* ns(const ldns_rdf* owner) {
    ldns_rr* rr = newRecord(owner, LDNS_RR_TYPE_NS, ttl());
    ldns_rr_push_rdf(rr, ldns_dname_new_frm_str(config_.soa_mname.c_str()));
    return rr;
  }

  const Config& config_;
  const RecordSet& records_;
  uint32_t serial_;
  const ldns_pkt* query_;
};

// Drops additional records, then answers (and authority last), until the reply fits `max`.
std::string fitTo(ldns_pkt* reply, size_t max, bool set_tc, bool& truncated) {
  std::string wire = toWire(reply);
  if (wire.size() <= max) {
    return wire;
  }
  truncated = true;
  if (set_tc) {
    ldns_pkt_set_tc(reply, true);
  }
  ldns_rr_list_deep_free(ldns_pkt_additional(reply));
  ldns_pkt_set_additional(reply, ldns_rr_list_new());
  ldns_pkt_set_arcount(reply, 0);
  wire = toWire(reply);
  for (ldns_pkt_section section : {LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY}) {
    ldns_rr_list* list =
        section == LDNS_SECTION_ANSWER ? ldns_pkt_answer(reply) : ldns_pkt_authority(reply);
    while (wire.size() > max && ldns_rr_list_rr_count(list) > 0) {
      size_t count = ldns_rr_list_rr_count(list);
      // Drop about as many records as the excess needs at their average size, at least one.
      size_t average = std::max<size_t>(1, (wire.size() - kHeaderSize) / count);
      size_t drop = std::clamp<size_t>((wire.size() - max) / average, 1, count);
      for (size_t i = 0; i < drop; ++i) {
        ldns_rr_free(ldns_rr_list_pop_rr(list));
      }
      if (section == LDNS_SECTION_ANSWER) {
        ldns_pkt_set_ancount(reply, static_cast<uint16_t>(ldns_rr_list_rr_count(list)));
      } else {
        ldns_pkt_set_nscount(reply, static_cast<uint16_t>(ldns_rr_list_rr_count(list)));
      }
      wire = toWire(reply);
    }
  }
  return wire;
}

}  // namespace

std::string rcodeName(int rcode) {
  switch (rcode) {
    case kNoError:
      return "NOERROR";
    case kFormErr:
      return "FORMERR";
    case kServFail:
      return "SERVFAIL";
    case kNxDomain:
      return "NXDOMAIN";
    case kNotImp:
      return "NOTIMP";
    case kRefused:
      return "REFUSED";
    default:
      return "RCODE" + std::to_string(rcode);
  }
}

Resolver::Resolver(const Config& config, uint64_t seed)
    : config_(config),
      records_(std::make_shared<RecordSet>()),
      random_(static_cast<std::minstd_rand::result_type>(seed % 2147483646 + 1)) {}

void Resolver::setRecords(std::shared_ptr<const RecordSet> records, uint32_t serial) {
  records_ = std::move(records);
  serial_ = serial;
}

std::string errorReply(std::string_view query, int rcode) {
  ldns_pkt* parsed = nullptr;
  if (ldns_wire2pkt(&parsed, reinterpret_cast<const uint8_t*>(query.data()), query.size()) !=
      LDNS_STATUS_OK) {
    ldns_pkt_free(parsed);
    return headerOnlyReply(query, rcode);
  }
  Pkt owned(parsed);
  Pkt reply = replyTo(owned.get());
  ldns_pkt_set_rcode(reply.get(), static_cast<uint8_t>(rcode));
  return toWire(reply.get());
}

Answer Resolver::answer(std::string_view query, Transport transport) {
  Answer out;
  if (query.size() < kHeaderSize || (static_cast<uint8_t>(query[2]) & 0x80) != 0) {
    return out;  // too short to answer, or a response: dropped
  }
  ldns_pkt* parsed = nullptr;
  if (ldns_wire2pkt(&parsed, reinterpret_cast<const uint8_t*>(query.data()), query.size()) !=
      LDNS_STATUS_OK) {
    ldns_pkt_free(parsed);
    out.kind = Answer::Kind::kReply;
    out.rcode = kFormErr;
    out.wire = headerOnlyReply(query, kFormErr);
    return out;
  }
  Pkt request(parsed);
  Pkt reply = replyTo(request.get());
  out.kind = Answer::Kind::kReply;
  if (ldns_pkt_get_opcode(request.get()) != LDNS_PACKET_QUERY) {
    out.rcode = kNotImp;
  } else if (ldns_pkt_qdcount(request.get()) != 1) {
    out.rcode = kFormErr;
  } else {
    const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(request.get()), 0);
    std::string name = lowerName(ldns_rr_owner(question));
    std::string zone = config_.zone();
    bool in_domain = name == zone || (name.size() > zone.size() && name.ends_with("." + zone));
    if (!in_domain) {
      if (config_.external_on && !config_.resolvers.empty()) {
        out.kind = Answer::Kind::kForward;
        return out;
      }
      out.rcode = kRefused;
    } else {
      AnswerBuilder builder(config_, *records_, serial_, request.get());
      out.rcode = builder.answerInDomain(reply.get(), question, name, random_);
    }
  }
  ldns_pkt_set_rcode(reply.get(), static_cast<uint8_t>(out.rcode));
  size_t max = kTcpMaxSize;
  if (transport == Transport::kUdp) {
    max = kUdpDefaultSize;
    if (ldns_pkt_edns(request.get())) {
      max = std::max<size_t>(kUdpDefaultSize, ldns_pkt_edns_udp_size(request.get()));
    }
  }
  out.wire = fitTo(reply.get(), max, config_.set_truncate_bit, out.truncated);
  return out;
}

}  // namespace plateau::dns
