// The --domain flag's JSON as the master and the agent read it.

#include "common/fault_domain.h"

#include <gtest/gtest.h>

namespace plateau {
namespace {

TEST(FaultDomain, ParsesMesossJsonAndNothingForTheEmptyFlag) {
  auto domain = parseDomainFlag(
      R"({"fault_domain": {"region": {"name": "us-east"}, "zone": {"name": "us-east-1a"}}})");
  ASSERT_TRUE(domain) << domain.error().message();
  EXPECT_EQ(domain->fault_domain().region().name(), "us-east");
  EXPECT_EQ(domain->fault_domain().zone().name(), "us-east-1a");
  auto none = parseDomainFlag("");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_fault_domain());
}

TEST(FaultDomain, RefusesADomainWithoutARegionOrZoneNamingTheFlag) {
  for (const char* text : {R"({"fault_domain": {"region": {"name": "r"}}})",
                           R"({"fault_domain": {"region": {"name": ""}, "zone": {"name": "z"}}})",
                           R"({})", R"([1])", "not json"}) {
    auto domain = parseDomainFlag(text);
    ASSERT_FALSE(domain) << text;
    EXPECT_EQ(domain.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(domain.error().message().find("'--domain'"), std::string::npos)
        << domain.error().message();
  }
}

}  // namespace
}  // namespace plateau
