#include "dns/config.h"

#include <gtest/gtest.h>

namespace plateau::dns {
namespace {

TEST(DnsConfigTest, DefaultsAreMesosDns) {
  Config c;
  c.masters = {"127.0.0.1:5050"};
  ASSERT_TRUE(finishConfig(c).isOk());
  EXPECT_EQ(c.domain, "mesos");
  EXPECT_EQ(c.port, 53);
  EXPECT_EQ(c.ttl, 60);
  EXPECT_EQ(c.refresh_seconds, 60);
  EXPECT_EQ(c.http_port, 8123);
  EXPECT_EQ(c.soa_mname, "ns1.mesos.");
  EXPECT_EQ(c.soa_rname, "root.ns1.mesos.");
  EXPECT_EQ(c.ip_sources, (std::vector<std::string>{"netinfo", "mesos", "host"}));
  EXPECT_TRUE(c.external_on);
  EXPECT_TRUE(c.recurse_on);
  EXPECT_FALSE(c.enforce_rfc952);
}

TEST(DnsConfigTest, ReadsMesosDnsConfigJsonWithKeysInAnyCase) {
  Config c;
  std::string text = R"({
    "zk": "zk://10.0.0.1:2181/mesos",
    "masters": ["10.0.0.1:5050", "10.0.0.2:5050"],
    "refreshSeconds": 30, "ttl": 5, "domain": "Cluster.Local", "port": 0,
    "resolvers": ["127.0.0.1:5353"], "timeout": 2, "listener": "127.0.0.1",
    "SOAMname": "ns1.cluster.local", "SOARname": "admin@cluster.local",
    "SOARefresh": 1, "SOARetry": 2, "SOAExpire": 3, "SOAMinttl": 4,
    "HttpOn": false, "httpport": 0, "externalon": false, "IPSources": ["host"],
    "recurseon": false, "EnforceRFC952": true, "enumerationOn": false,
    "mesosAuthentication": "", "zoneResolvers": {}, "unknown": [1, 2]
  })";
  ASSERT_TRUE(applyConfigJson(text, c).isOk());
  ASSERT_TRUE(finishConfig(c).isOk());
  EXPECT_EQ(c.zk, "zk://10.0.0.1:2181/mesos");
  EXPECT_EQ(c.masters.size(), 2u);
  EXPECT_EQ(c.refresh_seconds, 30);
  EXPECT_EQ(c.ttl, 5);
  EXPECT_EQ(c.domain, "cluster.local");
  EXPECT_EQ(c.port, 0);
  EXPECT_EQ(c.timeout, 2);
  EXPECT_EQ(c.soa_rname, "admin.cluster.local.");
  EXPECT_EQ(c.soa_expire, 3u);
  EXPECT_FALSE(c.http_on);
  EXPECT_EQ(c.http_port, 0);
  EXPECT_FALSE(c.external_on);
  EXPECT_FALSE(c.recurse_on);
  EXPECT_TRUE(c.enforce_rfc952);
  EXPECT_FALSE(c.enumeration_on);
  EXPECT_EQ(c.labelRules(), LabelRules::kRfc952);
}

std::string errorFor(const std::string& text) {
  Config c;
  Status s = applyConfigJson(text, c);
  if (s.isOk()) {
    s = finishConfig(c);
  }
  return s.message();
}

TEST(DnsConfigTest, BadValuesNameTheField) {
  EXPECT_NE(errorFor(R"({"masters":["a:1"],"ttl":"60"})").find("'ttl'"), std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a:1"],"port":70000})").find("'port'"), std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a:1"],"port":5.5})").find("'port'"), std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":"a:1"})").find("'masters'"), std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a"]})").find("'masters'"), std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a:1","a:1"]})").find("duplicate"), std::string::npos);
  EXPECT_NE(errorFor(R"({})").find("'masters'"), std::string::npos);
  EXPECT_NE(errorFor(R"({"zk":"http://x"})").find("'zk'"), std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a:1"],"IPSources":["bogus"]})").find("'IPSources'"),
            std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a:1"],"IPSources":[]})").find("'IPSources'"),
            std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a:1"],"resolvers":["not an ip"]})").find("'resolvers'"),
            std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a:1"],"domain":"bad_domain"})").find("'domain'"),
            std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a:1"],"httpon":1})").find("'httpon'"), std::string::npos);
  EXPECT_NE(errorFor(R"({"masters":["a:1"],"dnson":false,"httpon":false})").find("dnson"),
            std::string::npos);
  EXPECT_NE(errorFor("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(errorFor("[]").find("object"), std::string::npos);
}

TEST(DnsConfigTest, ConfigJsonUsesMesosDnsFieldNames) {
  Config c;
  c.masters = {"127.0.0.1:5050"};
  ASSERT_TRUE(finishConfig(c).isOk());
  std::string json = configJson(c, 42);
  EXPECT_NE(json.find(R"("Masters":["127.0.0.1:5050"])"), std::string::npos);
  EXPECT_NE(json.find(R"("SOASerial":42)"), std::string::npos);
  EXPECT_NE(json.find(R"("HttpOn":true)"), std::string::npos);
  EXPECT_NE(json.find(R"("Domain":"mesos")"), std::string::npos);
}

TEST(DnsConfigTest, SplitListTrimsAndDropsEmptyItems) {
  EXPECT_EQ(splitList(" a, b ,,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(splitList("").empty());
  EXPECT_EQ(joinList({"a", "b"}), "a,b");
}

}  // namespace
}  // namespace plateau::dns
