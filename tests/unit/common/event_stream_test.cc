#include "common/event_stream.h"

#include <gtest/gtest.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

namespace plateau::recordio {
namespace {

using mesos::v1::scheduler::Event;

std::string framed(Event::Type type) {
  Event event;
  event.set_type(type);
  return encode(event.SerializeAsString());
}

TEST(EventStream, DecodesEventsAcrossChunks) {
  Decoder decoder;
  std::string stream = framed(Event::SUBSCRIBED) + framed(Event::HEARTBEAT);
  auto first = decodeEvents<Event>(decoder, stream.substr(0, 3));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->empty());
  auto rest = decodeEvents<Event>(decoder, stream.substr(3));
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].type(), Event::SUBSCRIBED);
  EXPECT_EQ((*rest)[1].type(), Event::HEARTBEAT);
}

TEST(EventStream, AnUndecodableRecordEndsTheStreamNamingTheType) {
  Decoder decoder;
  // A valid frame whose bytes are not an Event (field 1 with a wire type Event does not use).
  auto events = decodeEvents<Event>(decoder, encode("\x0f\xff\xff"));
  ASSERT_FALSE(events);
  EXPECT_NE(events.error().message().find("Undecodable mesos.v1.scheduler.Event"),
            std::string::npos)
      << events.error().message();
}

TEST(EventStream, BrokenFramingIsAnErrorToo) {
  Decoder decoder;
  auto events = decodeEvents<Event>(decoder, "12x\n");
  EXPECT_FALSE(events);
}

}  // namespace
}  // namespace plateau::recordio
