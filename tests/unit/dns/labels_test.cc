#include "dns/labels.h"

#include <gtest/gtest.h>

namespace plateau::dns {
namespace {

TEST(LabelsTest, LowerCasesAndTurnsSeparatorsIntoHyphens) {
  EXPECT_EQ(label("Api_Server.v2", LabelRules::kRfc1123), "api-server-v2");
  EXPECT_EQ(label("apiserver.myservice", LabelRules::kRfc1123), "apiserver-myservice");
}

TEST(LabelsTest, DropsCharactersOutsideTheAlphabetIncludingNonAscii) {
  EXPECT_EQ(label("my app!#", LabelRules::kRfc1123), "myapp");
  EXPECT_EQ(label("caf\xc3\xa9-bar", LabelRules::kRfc1123), "caf-bar");
  EXPECT_EQ(label("\xff\xfe", LabelRules::kRfc1123), "");
}

TEST(LabelsTest, TrimsLeadingAndTrailingHyphens) {
  EXPECT_EQ(label("--web--", LabelRules::kRfc1123), "web");
  EXPECT_EQ(label("", LabelRules::kRfc1123), "");
  EXPECT_EQ(label("---", LabelRules::kRfc1123), "");
}

TEST(LabelsTest, Rfc952ForbidsLeadingDigitsAndCutsAt24) {
  EXPECT_EQ(label("123web", LabelRules::kRfc952), "web");
  EXPECT_EQ(label("123web", LabelRules::kRfc1123), "123web");
  EXPECT_EQ(label("abcdefghijklmnopqrstuvwxyz", LabelRules::kRfc952), "abcdefghijklmnopqrstuvwx");
  EXPECT_EQ(label(std::string(70, 'a'), LabelRules::kRfc1123), std::string(63, 'a'));
}

TEST(LabelsTest, ACutThatEndsInHyphensIsRefilledFromWhatFollows) {
  // 22 letters, two hyphens at the cut (positions 22, 23), then more letters.
  std::string name = std::string(22, 'a') + "--bcd";
  EXPECT_EQ(label(name, LabelRules::kRfc952), std::string(22, 'a') + "bc");
}

TEST(LabelsTest, DomainFragmentKeepsDotsBetweenLabels) {
  EXPECT_EQ(domainFragment("marathon.prod", LabelRules::kRfc1123), "marathon.prod");
  EXPECT_EQ(domainFragment("Marathon..Prod_1.", LabelRules::kRfc1123), "marathon.prod-1");
  EXPECT_EQ(domainFragment("marathon-0.7.5", LabelRules::kRfc952), "marathon-0");
  EXPECT_EQ(domainFragment("marathon-0.7.5", LabelRules::kRfc1123), "marathon-0.7.5");
}

TEST(LabelsTest, TaskIdHashIsFiveZBase32CharactersOfSha1) {
  EXPECT_EQ(taskIdHash(""), "5eh48");  // SHA-1("") = da39a3ee...
  // The canonical name Mesos-DNS's HTTP documentation shows for this task: nginx-jhy6r-s1.
  std::string hash = taskIdHash("nginx.48dccce7-90bc-11e6-ae70-70b3d5800001");
  EXPECT_EQ(hash, "jhy6r");
  EXPECT_NE(hash, taskIdHash("nginx.48dccce7-90bc-11e6-ae70-70b3d5800002"));
  EXPECT_EQ(hash.find_first_not_of("ybndrfg8ejkmcpqxot1uwisza345h769"), std::string::npos);
}

TEST(LabelsTest, AgentIdTailIsTheLastPartLowerCased) {
  EXPECT_EQ(agentIdTail("20150101-111-222-S12"), "s12");
  EXPECT_EQ(agentIdTail("plain"), "plain");
}

}  // namespace
}  // namespace plateau::dns
