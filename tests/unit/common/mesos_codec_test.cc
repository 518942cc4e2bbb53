// Every message of our Mesos-compatible .proto files survives the JSON codec and binary.

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>
#include <mesos/v1/executor/executor.pb.h>
#include <mesos/v1/mesos.pb.h>
#include <mesos/v1/scheduler/scheduler.pb.h>
#include <plateau/agent.pb.h>

#include "common/json_codec.h"
#include "proto_fill.h"

namespace plateau {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::Message;
using google::protobuf::MessageFactory;
using google::protobuf::util::MessageDifferencer;

class MesosCodec : public ::testing::TestWithParam<const FileDescriptor*> {};

TEST_P(MesosCodec, EveryMessageRoundTripsThroughJsonAndBinary) {
  auto types = testing::allMessageTypes(GetParam());
  ASSERT_GE(types.size(), 5u);
  for (const Descriptor* type : types) {
    if (type->options().map_entry()) {
      continue;  // map entries travel inside their map field
    }
    const Message* prototype = MessageFactory::generated_factory()->GetPrototype(type);
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      SCOPED_TRACE(type->full_name() + " seed " + std::to_string(seed));
      std::unique_ptr<Message> original(prototype->New());
      testing::fillMessage(original.get(), seed, {.max_depth = 3, .repeated_count = 2});
      ASSERT_TRUE(original->IsInitialized()) << original->InitializationErrorString();
      std::string json = toJson(*original);
      std::unique_ptr<Message> decoded(prototype->New());
      Status status = fromJson(json, decoded.get());
      ASSERT_TRUE(status.isOk()) << status.message();
      EXPECT_TRUE(MessageDifferencer::Equals(*original, *decoded)) << type->full_name();
      std::unique_ptr<Message> reparsed(prototype->New());
      ASSERT_TRUE(reparsed->ParseFromString(original->SerializeAsString()));
      EXPECT_TRUE(MessageDifferencer::Equals(*original, *reparsed));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, MesosCodec,
                         ::testing::Values(mesos::v1::TaskInfo::descriptor()->file(),
                                           mesos::v1::scheduler::Call::descriptor()->file(),
                                           mesos::v1::executor::Call::descriptor()->file(),
                                           mesos::v1::agent::Call::descriptor()->file(),
                                           plateau::internal::AgentCall::descriptor()->file()),
                         [](const auto& info) {
                           std::string name = info.param->package();
                           for (auto& c : name) {
                             if (c == '.') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace plateau
