// http::encodeRecord: one message framed as one RecordIO record, the same bytes as framing its
// encoding, in either content type, and read back whole by the decoder.

#include "http/record.h"

#include <string>

#include <gtest/gtest.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

#include "common/recordio.h"

namespace plateau::http {
namespace {

mesos::v1::scheduler::Event update(size_t message_size) {
  mesos::v1::scheduler::Event event;
  event.set_type(mesos::v1::scheduler::Event::UPDATE);
  auto* status = event.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("task-1");
  status->set_state(mesos::v1::TASK_RUNNING);
  status->set_uuid(std::string(16, '\x07'));
  status->set_message(std::string(message_size, 'm'));
  return event;
}

TEST(EncodeRecord, SameBytesAsFramingTheEncoding) {
  // Sizes around the length prefix's digit counts (1, 2, 3, 4 and 6 digits).
  for (size_t size : {0, 1, 80, 200, 5000, 200000}) {
    auto event = update(size);
    for (ContentType type : {ContentType::kProtobuf, ContentType::kJson}) {
      EXPECT_EQ(encodeRecord(event, type), recordio::encode(encode(event, type)))
          << "message of " << size << " bytes";
    }
  }
}

TEST(EncodeRecord, DecodesBackToTheMessage) {
  auto event = update(300);
  recordio::Decoder decoder;
  auto records = decoder.decode(encodeRecord(event, ContentType::kProtobuf));
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 1u);
  mesos::v1::scheduler::Event back;
  ASSERT_TRUE(back.ParseFromString(records->front()));
  EXPECT_EQ(back.update().status().message(), std::string(300, 'm'));
  EXPECT_TRUE(decoder.atRecordBoundary());
}

}  // namespace
}  // namespace plateau::http
