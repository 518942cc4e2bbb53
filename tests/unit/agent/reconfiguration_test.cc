// --reconfiguration_policy on its own: which AgentInfo changes each policy lets a restarted
// agent make and stay the same agent.

#include "agent/reconfiguration.h"

#include <gtest/gtest.h>

#include "common/resources.h"
#include "common/resources_proto.h"

namespace plateau::agent {
namespace {

mesos::v1::AgentInfo info(const std::string& resources,
                          const std::vector<std::pair<std::string, std::string>>& attributes = {}) {
  mesos::v1::AgentInfo out;
  out.set_hostname("h1");
  out.set_port(5051);
  resourcesToProto(*Resources::parse(resources), out.mutable_resources());
  for (const auto& [name, value] : attributes) {
    auto* attribute = out.add_attributes();
    attribute->set_name(name);
    attribute->set_type(mesos::v1::Value::TEXT);
    attribute->mutable_text()->set_value(value);
  }
  return out;
}

TEST(Reconfiguration, EqualAcceptsOnlyTheSameInfo) {
  auto before = info("cpus:2;mem:512", {{"rack", "r1"}});
  EXPECT_TRUE(
      checkReconfiguration("equal", before, info("mem:512;cpus:2", {{"rack", "r1"}})).isOk());
  Status more = checkReconfiguration("equal", before, info("cpus:4;mem:512", {{"rack", "r1"}}));
  EXPECT_EQ(more.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(more.message().find("resources changed"), std::string::npos) << more.message();
  EXPECT_FALSE(
      checkReconfiguration("equal", before, info("cpus:2;mem:512", {{"rack", "r1"}, {"z", "a"}}))
          .isOk());
  auto moved = before;
  moved.set_hostname("h2");
  EXPECT_NE(checkReconfiguration("equal", before, moved).message().find("hostname"),
            std::string::npos);
  moved = before;
  moved.set_port(5052);
  EXPECT_FALSE(checkReconfiguration("equal", before, moved).isOk());
}

TEST(Reconfiguration, AdditiveAcceptsAdditionsOnly) {
  auto before = info("cpus:2;mem:512;ports:[31000-31010]", {{"rack", "r1"}});
  EXPECT_TRUE(checkReconfiguration("additive", before,
                                   info("cpus:4;mem:512;gpus:1;ports:[31000-31020]",
                                        {{"rack", "r1"}, {"zone", "a"}}))
                  .isOk());
  EXPECT_FALSE(checkReconfiguration("additive", before,
                                    info("cpus:1;mem:512;ports:[31000-31010]", {{"rack", "r1"}}))
                   .isOk());
  EXPECT_FALSE(checkReconfiguration("additive", before, info("cpus:2;mem:512", {{"rack", "r1"}}))
                   .isOk());  // ports removed
  Status changed = checkReconfiguration(
      "additive", before, info("cpus:2;mem:512;ports:[31000-31010]", {{"rack", "r2"}}));
  EXPECT_NE(changed.message().find("attribute 'rack' changed"), std::string::npos)
      << changed.message();
  EXPECT_FALSE(
      checkReconfiguration("additive", before, info("cpus:2;mem:512;ports:[31000-31010]")).isOk());
}

TEST(Reconfiguration, AnotherPolicyIsInvalid) {
  auto same = info("cpus:1");
  EXPECT_EQ(checkReconfiguration("loose", same, same).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plateau::agent
