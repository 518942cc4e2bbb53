// --firewall_rules (Mesos's DisabledEndpointsFirewallRule) and the address flags both daemons
// share: parsing, the 403 answer, and the advertised address.

#include "http/firewall.h"

#include <gtest/gtest.h>

#include "http/address_flags.h"

namespace plateau::http {
namespace {

Request get(std::string path) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

TEST(Firewall, DisablesExactlyTheListedPaths) {
  auto fw = Firewall::parse(
      R"({"disabled_endpoints": {"paths": ["/files/browse", "/metrics/snapshot"]}})");
  ASSERT_TRUE(fw.has_value()) << fw.error().message();
  auto refused = fw->check(get("/files/browse"));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->body, "Endpoint '/files/browse' is disabled");
  EXPECT_TRUE(fw->check(get("/metrics/snapshot")).has_value());
  // Exact matches only: no prefixes, no sub-paths.
  EXPECT_FALSE(fw->check(get("/files/browse.json")).has_value());
  EXPECT_FALSE(fw->check(get("/files")).has_value());
  EXPECT_FALSE(fw->check(get("/master/state")).has_value());
  // A percent-encoded spelling of a disabled path is disabled too.
  EXPECT_TRUE(fw->check(get("/files/%62rowse")).has_value());
}

TEST(Firewall, AnEmptyRuleSetDisablesNothing) {
  for (const char* text :
       {"{}", R"({"disabled_endpoints": {}})", R"({"disabled_endpoints": {"paths": []}})"}) {
    auto fw = Firewall::parse(text);
    ASSERT_TRUE(fw.has_value()) << text;
    EXPECT_TRUE(fw->disabledPaths().empty()) << text;
    EXPECT_FALSE(fw->check(get("/master/state")).has_value());
  }
}

TEST(Firewall, BadRulesAreRefusedNamingTheFlag) {
  for (const char* text :
       {"not json", "[]", R"({"disabled_endpoints": []})",
        R"({"disabled_endpoints": {"paths": "/x"}})", R"({"disabled_endpoints": {"paths": [1]}})",
        R"({"disabled_endpoints": {"paths": ["files/browse"]}})"}) {
    auto fw = Firewall::parse(text);
    ASSERT_FALSE(fw.has_value()) << text;
    EXPECT_NE(fw.error().message().find("--firewall_rules"), std::string::npos)
        << fw.error().message();
  }
}

Status resolve(std::vector<const char*> argv, std::string* ip, AddressFlags* flags) {
  flags::FlagSet set("test", "");
  std::string bound_ip = *ip;
  uint16_t port = 0;
  set.add("ip", ip, "");
  set.add("port", &port, "");
  flags->registerWith(set, "test");
  argv.insert(argv.begin(), "test");
  if (Status s = set.parse(static_cast<int>(argv.size()), argv.data()); !s.isOk()) {
    return s;
  }
  return flags->resolve(set, ip);
}

TEST(AddressFlags, AdvertisedAddressDefaultsToTheBoundOne) {
  std::string ip = "127.0.0.1";
  AddressFlags flags;
  ASSERT_TRUE(resolve({}, &ip, &flags).isOk());
  EXPECT_EQ(flags.advertisedIp(ip), "127.0.0.1");
  EXPECT_EQ(flags.advertisedPort(5050), 5050);
  AddressFlags given;
  ASSERT_TRUE(resolve({"--advertise_ip=10.0.0.7", "--advertise_port=31000"}, &ip, &given).isOk());
  EXPECT_EQ(given.advertisedIp(ip), "10.0.0.7");
  EXPECT_EQ(given.advertisedPort(5050), 31000);
  EXPECT_EQ(ip, "127.0.0.1");
}

TEST(AddressFlags, BadAdvertisedValuesNameTheFlag) {
  std::string ip = "127.0.0.1";
  AddressFlags a, b, c;
  Status s = resolve({"--advertise_ip=master.example"}, &ip, &a);
  EXPECT_NE(s.message().find("--advertise_ip"), std::string::npos) << s.message();
  s = resolve({"--advertise_port=70000"}, &ip, &b);
  EXPECT_NE(s.message().find("--advertise_port"), std::string::npos) << s.message();
  s = resolve({"--firewall_rules=[1]"}, &ip, &c);
  EXPECT_NE(s.message().find("--firewall_rules"), std::string::npos) << s.message();
}

TEST(AddressFlags, IpDiscoveryCommandChoosesTheIp) {
  std::string ip = "127.0.0.1";
  AddressFlags flags;
  ASSERT_TRUE(resolve({"--ip_discovery_command=echo '  127.0.0.2 '"}, &ip, &flags).isOk());
  EXPECT_EQ(ip, "127.0.0.2");
  // Not with --ip, a failing command, or output that is no address.
  AddressFlags both, failing, garbage;
  Status s = resolve({"--ip=127.0.0.1", "--ip_discovery_command=echo 127.0.0.2"}, &ip, &both);
  EXPECT_NE(s.message().find("'--ip_discovery_command'"), std::string::npos) << s.message();
  s = resolve({"--ip_discovery_command=exit 3"}, &ip, &failing);
  EXPECT_NE(s.message().find("exit status 3"), std::string::npos) << s.message();
  s = resolve({"--ip_discovery_command=echo nowhere"}, &ip, &garbage);
  EXPECT_NE(s.message().find("not an IPv4 address"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace plateau::http
