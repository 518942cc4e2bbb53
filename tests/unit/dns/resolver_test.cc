#include "dns/resolver.h"

#include "dns/ldns.h"

#include <gtest/gtest.h>

namespace plateau::dns {
namespace {

std::string query(const std::string& name, ldns_rr_type type, uint16_t edns_size = 0) {
  ldns_pkt* pkt =
      ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), type, LDNS_RR_CLASS_IN, LDNS_RD);
  ldns_pkt_set_id(pkt, 4242);
  if (edns_size > 0) {
    ldns_pkt_set_edns_udp_size(pkt, edns_size);
  }
  uint8_t* data = nullptr;
  size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&data, pkt, &size), LDNS_STATUS_OK);
  std::string out(reinterpret_cast<char*>(data), size);
  free(data);
  ldns_pkt_free(pkt);
  return out;
}

struct Parsed {
  explicit Parsed(const std::string& wire) {
    EXPECT_EQ(ldns_wire2pkt(&pkt, reinterpret_cast<const uint8_t*>(wire.data()), wire.size()),
              LDNS_STATUS_OK);
  }
  ~Parsed() { ldns_pkt_free(pkt); }
  size_t answers() const { return ldns_pkt_ancount(pkt); }
  std::string answer(size_t i) const {
    char* text = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_answer(pkt), i));
    std::string out = text;
    free(text);
    return out;
  }
  ldns_pkt* pkt = nullptr;
};

class ResolverTest : public ::testing::Test {
 protected:
  ResolverTest() {
    config_.masters = {"10.0.0.1:5050"};
    EXPECT_TRUE(finishConfig(config_).isOk());
    auto records = std::make_shared<RecordSet>();
    records->addAddress("web.marathon.mesos.", "10.0.0.5");
    records->addAddress("web-abcde-s1.marathon.slave.mesos.", "10.0.0.5");
    records->addSrv("_web._tcp.marathon.mesos.", {"web-abcde-s1.marathon.slave.mesos.", 31000});
    records->addAddress("v6.marathon.mesos.", "fd01:b::2");
    for (int i = 0; i < 200; ++i) {
      records->addAddress("many.marathon.mesos.",
                          "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250));
    }
    resolver_.setRecords(records, 77);
  }

  Config config_;
  Resolver resolver_{config_, 1};
};

TEST_F(ResolverTest, AnswersARecordsAuthoritatively) {
  Answer a = resolver_.answer(query("Web.Marathon.Mesos.", LDNS_RR_TYPE_A), Transport::kUdp);
  ASSERT_EQ(a.kind, Answer::Kind::kReply);
  EXPECT_EQ(a.rcode, kNoError);
  Parsed p(a.wire);
  EXPECT_EQ(ldns_pkt_id(p.pkt), 4242);
  EXPECT_TRUE(ldns_pkt_qr(p.pkt));
  EXPECT_TRUE(ldns_pkt_aa(p.pkt));
  EXPECT_TRUE(ldns_pkt_ra(p.pkt));
  ASSERT_EQ(p.answers(), 1u);
  EXPECT_NE(p.answer(0).find("10.0.0.5"), std::string::npos);
  EXPECT_NE(p.answer(0).find("\t60\t"), std::string::npos);
}

TEST_F(ResolverTest, SrvAnswersCarryTheTargetsAddress) {
  Parsed p(
      resolver_.answer(query("_web._tcp.marathon.mesos.", LDNS_RR_TYPE_SRV), Transport::kUdp).wire);
  ASSERT_EQ(p.answers(), 1u);
  EXPECT_NE(p.answer(0).find("0 1 31000 web-abcde-s1.marathon.slave.mesos."), std::string::npos);
  ASSERT_EQ(ldns_pkt_arcount(p.pkt), 1u);
}

TEST_F(ResolverTest, MissingNamesAreNxdomainExceptForSrvSoaAndNs) {
  Answer a = resolver_.answer(query("nope.marathon.mesos.", LDNS_RR_TYPE_A), Transport::kUdp);
  EXPECT_EQ(a.rcode, kNxDomain);
  Parsed p(a.wire);
  EXPECT_EQ(ldns_pkt_nscount(p.pkt), 1u);  // the SOA
  EXPECT_EQ(resolver_.answer(query("_nope._tcp.marathon.mesos.", LDNS_RR_TYPE_SRV), Transport::kUdp)
                .rcode,
            kNoError);
  // The name exists with other types: NOERROR with no answers.
  Answer aaaa = resolver_.answer(query("web.marathon.mesos.", LDNS_RR_TYPE_AAAA), Transport::kUdp);
  EXPECT_EQ(aaaa.rcode, kNoError);
  EXPECT_EQ(Parsed(aaaa.wire).answers(), 0u);
  EXPECT_EQ(resolver_.answer(query("web.marathon.mesos.", LDNS_RR_TYPE_MX), Transport::kUdp).rcode,
            kNoError);
  EXPECT_EQ(resolver_.answer(query("nope.mesos.", LDNS_RR_TYPE_TXT), Transport::kUdp).rcode,
            kNxDomain);
}

TEST_F(ResolverTest, SoaAndNsGoInTheAuthoritySection) {
  Parsed soa(resolver_.answer(query("mesos.", LDNS_RR_TYPE_SOA), Transport::kUdp).wire);
  EXPECT_EQ(ldns_pkt_get_rcode(soa.pkt), LDNS_RCODE_NOERROR);
  ASSERT_EQ(ldns_pkt_nscount(soa.pkt), 1u);
  char* text = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_authority(soa.pkt), 0));
  std::string line = text;
  free(text);
  EXPECT_NE(line.find("ns1.mesos. root.ns1.mesos. 77 60 600 86400 60"), std::string::npos);
  Parsed ns(resolver_.answer(query("mesos.", LDNS_RR_TYPE_NS), Transport::kUdp).wire);
  EXPECT_EQ(ldns_pkt_nscount(ns.pkt), 1u);
}

TEST_F(ResolverTest, AaaaRecords) {
  Parsed p(resolver_.answer(query("v6.marathon.mesos.", LDNS_RR_TYPE_AAAA), Transport::kUdp).wire);
  ASSERT_EQ(p.answers(), 1u);
  EXPECT_NE(p.answer(0).find("fd01:b::2"), std::string::npos);
}

TEST_F(ResolverTest, LargeUdpAnswersAreTruncatedWithTcAndWholeOverTcp) {
  Answer udp = resolver_.answer(query("many.marathon.mesos.", LDNS_RR_TYPE_A), Transport::kUdp);
  EXPECT_TRUE(udp.truncated);
  EXPECT_LE(udp.wire.size(), 512u);
  Parsed small(udp.wire);
  EXPECT_TRUE(ldns_pkt_tc(small.pkt));
  EXPECT_GT(small.answers(), 0u);
  EXPECT_LT(small.answers(), 200u);
  Answer edns =
      resolver_.answer(query("many.marathon.mesos.", LDNS_RR_TYPE_A, 1232), Transport::kUdp);
  EXPECT_LE(edns.wire.size(), 1232u);
  EXPECT_GT(Parsed(edns.wire).answers(), small.answers());
  Answer tcp = resolver_.answer(query("many.marathon.mesos.", LDNS_RR_TYPE_A), Transport::kTcp);
  EXPECT_FALSE(tcp.truncated);
  EXPECT_EQ(Parsed(tcp.wire).answers(), 200u);
}

TEST_F(ResolverTest, OtherNamesAreForwardedOrRefused) {
  EXPECT_EQ(resolver_.answer(query("example.com.", LDNS_RR_TYPE_A), Transport::kUdp).kind,
            Answer::Kind::kForward);
  config_.external_on = false;
  Answer refused = resolver_.answer(query("example.com.", LDNS_RR_TYPE_A), Transport::kUdp);
  EXPECT_EQ(refused.kind, Answer::Kind::kReply);
  EXPECT_EQ(refused.rcode, kRefused);
  // "notmesos." is outside the domain even though it ends with "mesos.".
  EXPECT_EQ(resolver_.answer(query("notmesos.", LDNS_RR_TYPE_A), Transport::kUdp).rcode, kRefused);
}

TEST_F(ResolverTest, RecurseOnSetsTheRaBit) {
  config_.recurse_on = false;
  Parsed p(resolver_.answer(query("web.marathon.mesos.", LDNS_RR_TYPE_A), Transport::kUdp).wire);
  EXPECT_FALSE(ldns_pkt_ra(p.pkt));
}

TEST_F(ResolverTest, MalformedPacketsGetFormerrOrAreDropped) {
  EXPECT_EQ(resolver_.answer("", Transport::kUdp).kind, Answer::Kind::kDrop);
  EXPECT_EQ(resolver_.answer("abc", Transport::kUdp).kind, Answer::Kind::kDrop);
  std::string garbage = query("web.marathon.mesos.", LDNS_RR_TYPE_A);
  garbage.resize(garbage.size() - 3);  // the question cut short
  Answer a = resolver_.answer(garbage, Transport::kUdp);
  ASSERT_EQ(a.kind, Answer::Kind::kReply);
  EXPECT_EQ(a.rcode, kFormErr);
  ASSERT_EQ(a.wire.size(), 12u);
  EXPECT_EQ(a.wire.substr(0, 2), garbage.substr(0, 2));
  // A response (QR set) is never answered.
  std::string response = query("web.marathon.mesos.", LDNS_RR_TYPE_A);
  response[2] = static_cast<char>(response[2] | 0x80);
  EXPECT_EQ(resolver_.answer(response, Transport::kUdp).kind, Answer::Kind::kDrop);
  // Random bytes of every length up to 300 never crash it.
  std::minstd_rand random(7);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes(static_cast<size_t>(random() % 300), '\0');
    for (auto& c : bytes) {
      c = static_cast<char>(random());
    }
    Answer any = resolver_.answer(bytes, Transport::kUdp);
    EXPECT_LE(any.wire.size(), 512u);
  }
}

TEST_F(ResolverTest, ErrorReplyKeepsTheQuestion) {
  std::string q = query("example.com.", LDNS_RR_TYPE_A);
  Parsed p(errorReply(q, kServFail));
  EXPECT_EQ(ldns_pkt_get_rcode(p.pkt), LDNS_RCODE_SERVFAIL);
  EXPECT_EQ(ldns_pkt_qdcount(p.pkt), 1u);
  EXPECT_EQ(ldns_pkt_id(p.pkt), 4242);
}

}  // namespace
}  // namespace plateau::dns
