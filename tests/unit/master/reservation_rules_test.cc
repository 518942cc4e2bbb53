// The rules of reservations and persistent volumes: what each operation converts, and why one
// is refused, for frameworks (offer operations) and operators (calls and form-encoded bodies).

#include "master/reservation_rules.h"

#include <gtest/gtest.h>

#include <mesos/v1/master/master.pb.h>

#include "common/json_codec.h"
#include "fakes/virtual_time.h"

namespace plateau::master {
namespace {

namespace v1 = mesos::v1;
namespace operator_api = mesos::v1::master;

constexpr const char* kReservedCpu =
    R"({"name":"cpus","type":"SCALAR","scalar":{"value":1},
        "reservations":[{"type":"DYNAMIC","role":"eng","principal":"alice"}]})";
constexpr const char* kVolume =
    R"({"name":"disk","type":"SCALAR","scalar":{"value":64},
        "reservations":[{"type":"DYNAMIC","role":"eng","principal":"alice"}],
        "disk":{"persistence":{"id":"data","principal":"alice"},
                "volume":{"container_path":"data","mode":"RW"}}})";

v1::Offer::Operation operation(const std::string& json) {
  v1::Offer::Operation op;
  Status status = fromJson(json, &op);
  EXPECT_TRUE(status.isOk()) << status.message();
  return op;
}

v1::FrameworkInfo framework(const std::string& principal, bool refinement = false) {
  v1::FrameworkInfo info;
  info.set_principal(principal);
  if (refinement) {
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT);
  }
  return info;
}

// Agents as the master's book holds them.
class Agents {
 public:
  Agent& with(const std::string& total) { return with(*Resources::parse(total)); }
  Agent& with(const Resources& total) {
    Agent& agent = book_.admit("a" + std::to_string(book_.size() + 1)).first;
    book_.setTotal(agent, total);
    return agent;
  }

 private:
  plateau::testing::VirtualTime time_;
  AgentBook book_{time_, time_, std::chrono::seconds(15), 5, {}};
};

Agent& agentWith(const std::string& total) {
  static Agents agents;
  return agents.with(total);
}

Status unused(const Resources&) { return {}; }

TEST(ReservationRules, AnOfferedReserveConvertsUnreservedIntoReserved) {
  auto op = operation(std::string(R"({"type":"RESERVE","reserve":{"resources":[)") + kReservedCpu +
                      "]}}");
  auto conversion = offeredConversion(op, framework("alice"), "eng", agentWith("cpus:4"), unused);
  ASSERT_TRUE(conversion.has_value()) << conversion.error().message();
  EXPECT_EQ(conversion->from.toString(), "cpus:1");
  EXPECT_EQ(conversion->to.toString(), "cpus(reservations: [(DYNAMIC,eng,alice)]):1");
}

TEST(ReservationRules, AnOfferedReserveMustMatchThePrincipalAndTheRole) {
  auto op = operation(std::string(R"({"type":"RESERVE","reserve":{"resources":[)") + kReservedCpu +
                      "]}}");
  auto other_principal =
      offeredConversion(op, framework("bob"), "eng", agentWith("cpus:4"), unused);
  ASSERT_FALSE(other_principal.has_value());
  EXPECT_NE(other_principal.error().message().find("principal"), std::string::npos);
  auto other_role = offeredConversion(op, framework("alice"), "ops", agentWith("cpus:4"), unused);
  ASSERT_FALSE(other_role.has_value());
  EXPECT_EQ(other_role.error().code(), StatusCode::kInvalidArgument);
}

TEST(ReservationRules, UnreserveNeedsADynamicReservation) {
  auto bad = operation(
      R"({"type":"UNRESERVE","unreserve":{"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}]}})");
  EXPECT_FALSE(offeredConversion(bad, framework("alice"), "eng", agentWith("cpus:4"), unused));
  auto good = operation(std::string(R"({"type":"UNRESERVE","unreserve":{"resources":[)") +
                        kReservedCpu + "]}}");
  auto conversion = offeredConversion(good, framework("alice"), "eng", agentWith("cpus:4"), unused);
  ASSERT_TRUE(conversion.has_value()) << conversion.error().message();
  EXPECT_EQ(conversion->to.toString(), "cpus:1");
}

TEST(ReservationRules, VolumesAreCreatedOnceAndDestroyedWhenUnused) {
  auto create =
      operation(std::string(R"({"type":"CREATE","create":{"volumes":[)") + kVolume + "]}}");
  auto created = offeredConversion(create, framework("alice"), "eng", agentWith("disk:64"), unused);
  ASSERT_TRUE(created.has_value()) << created.error().message();
  EXPECT_TRUE(created->to.persistentVolumes().size() == 1);

  Agents agents;
  Agent& with_volume = agents.with(created->to);
  auto again = offeredConversion(create, framework("alice"), "eng", with_volume, unused);
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message().find("already exists"), std::string::npos);

  auto destroy =
      operation(std::string(R"({"type":"DESTROY","destroy":{"volumes":[)") + kVolume + "]}}");
  auto in_use = [](const Resources&) {
    return Status(StatusCode::kFailedPrecondition, "in use by task 't1'");
  };
  auto refused = offeredConversion(destroy, framework("alice"), "eng", with_volume, in_use);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(offeredConversion(destroy, framework("alice"), "eng", with_volume, unused));
}

TEST(ReservationRules, AVolumeNeedsARelativePathWithoutParents) {
  std::string escaping = kVolume;
  escaping.replace(escaping.find(R"("container_path":"data")"), 23, R"("container_path":"../x")");
  auto create =
      operation(std::string(R"({"type":"CREATE","create":{"volumes":[)") + escaping + "]}}");
  auto refused = offeredConversion(create, framework("alice"), "eng", agentWith("disk:64"), unused);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("container_path"), std::string::npos);
}

TEST(ReservationRules, AnOperatorCreatingAnExistingVolumeIsAConflict) {
  operator_api::Call call;
  ASSERT_TRUE(fromJson(std::string(R"({"type":"CREATE_VOLUMES","create_volumes":{
                           "agent_id":{"value":"a1"},"volumes":[)") +
                           kVolume + "]}}",
                       &call)
                  .isOk());
  EXPECT_EQ(*operatorCallAgent(call), "a1");
  auto created = operatorConversion(call, agentWith("disk:64"), unused);
  ASSERT_TRUE(created.has_value()) << created.error().message();
  Agents agents;
  Agent& with_volume = agents.with(created->to);
  auto again = operatorConversion(call, with_volume, unused);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), StatusCode::kAlreadyExists);

  operator_api::Call missing;
  missing.set_type(operator_api::Call::CREATE_VOLUMES);
  auto no_field = operatorCallAgent(missing);
  ASSERT_FALSE(no_field.has_value());
  EXPECT_NE(no_field.error().message().find("create_volumes"), std::string::npos);
}

TEST(ReservationRules, FormEncodedBodiesBecomeOperatorCalls) {
  EXPECT_TRUE(isLegacyReservationEndpoint("/master/reserve"));
  EXPECT_TRUE(isLegacyReservationEndpoint("/destroy-volumes"));
  EXPECT_FALSE(isLegacyReservationEndpoint("/master/state"));

  auto call = legacyReservationCall(
      "/master/reserve",
      "slaveId=a1&resources=%5B%7B%22name%22%3A%22cpus%22%2C%22type%22%3A%22SCALAR%22%2C%22"
      "scalar%22%3A%7B%22value%22%3A1%7D%7D%5D");
  ASSERT_TRUE(call.has_value()) << call.error().message();
  EXPECT_EQ(call->type(), operator_api::Call::RESERVE_RESOURCES);
  EXPECT_EQ(call->reserve_resources().agent_id().value(), "a1");
  ASSERT_EQ(call->reserve_resources().resources_size(), 1);

  auto no_agent = legacyReservationCall("/reserve", "resources=%5B%5D");
  ASSERT_FALSE(no_agent.has_value());
  EXPECT_NE(no_agent.error().message().find("slaveId"), std::string::npos);
  auto no_volumes = legacyReservationCall("/create-volumes", "slaveId=a1&resources=%5B%5D");
  ASSERT_FALSE(no_volumes.has_value());
  EXPECT_NE(no_volumes.error().message().find("volumes"), std::string::npos);
  EXPECT_FALSE(legacyReservationCall("/unreserve", "slaveId=a1&resources=not-json").has_value());
}

}  // namespace
}  // namespace plateau::master
