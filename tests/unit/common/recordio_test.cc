#include "common/recordio.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace plateau::recordio {
namespace {

std::vector<std::string> decodeAll(Decoder& decoder, std::string_view data) {
  auto records = decoder.decode(data);
  EXPECT_TRUE(records.has_value()) << records.error().message();
  return records.value_or(std::vector<std::string>{});
}

TEST(RecordIoTest, EncodesLengthNewlineBytes) {
  EXPECT_EQ(encode(""), "0\n");
  EXPECT_EQ(encode("hello"), "5\nhello");
  EXPECT_EQ(encode(std::string(1234, 'x')), "1234\n" + std::string(1234, 'x'));
}

TEST(RecordIoTest, DecodesSeveralRecordsInOneChunk) {
  Decoder decoder;
  auto records = decodeAll(decoder, encode("a") + encode("") + encode("{\"type\":\"HEARTBEAT\"}"));
  EXPECT_EQ(records, (std::vector<std::string>{"a", "", "{\"type\":\"HEARTBEAT\"}"}));
  EXPECT_TRUE(decoder.atRecordBoundary());
}

TEST(RecordIoTest, RecordBytesMayContainNewlinesAndDigits) {
  const std::string record("12\n34\n\0\xff", 8);
  Decoder decoder;
  EXPECT_EQ(decodeAll(decoder, encode(record) + encode(record)),
            (std::vector<std::string>{record, record}));
}

TEST(RecordIoTest, DecodesRecordsSplitAtEveryByteBoundary) {
  const std::vector<std::string> expected = {"first", "", std::string(300, 'z'), "last\n"};
  std::string stream;
  for (const auto& record : expected) {
    stream += encode(record);
  }
  for (size_t split = 0; split <= stream.size(); ++split) {
    Decoder decoder;
    auto records = decodeAll(decoder, std::string_view(stream).substr(0, split));
    auto rest = decodeAll(decoder, std::string_view(stream).substr(split));
    records.insert(records.end(), rest.begin(), rest.end());
    EXPECT_EQ(records, expected) << "split at " << split;
    EXPECT_TRUE(decoder.atRecordBoundary());
  }
}

TEST(RecordIoTest, DecodesOneByteAtATime) {
  std::string stream = encode("abc") + encode("0123456789") + encode("");
  Decoder decoder;
  std::vector<std::string> records;
  for (char c : stream) {
    auto some = decodeAll(decoder, std::string_view(&c, 1));
    records.insert(records.end(), some.begin(), some.end());
  }
  EXPECT_EQ(records, (std::vector<std::string>{"abc", "0123456789", ""}));
}

TEST(RecordIoTest, PartialRecordIsNotABoundary) {
  Decoder decoder;
  EXPECT_TRUE(decodeAll(decoder, "5\nhel").empty());
  EXPECT_FALSE(decoder.atRecordBoundary());
  EXPECT_EQ(decodeAll(decoder, "lo"), (std::vector<std::string>{"hello"}));
  EXPECT_TRUE(decoder.atRecordBoundary());
  EXPECT_TRUE(decodeAll(decoder, "1").empty());
  EXPECT_FALSE(decoder.atRecordBoundary());
}

TEST(RecordIoTest, RejectsNonDigitLength) {
  for (const char* bad : {"x\nabc", " 5\nhello", "5 \nhello", "-1\n", "5\r\nhello", "\n"}) {
    Decoder decoder;
    auto records = decoder.decode(bad);
    ASSERT_FALSE(records.has_value()) << bad;
    EXPECT_EQ(records.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST(RecordIoTest, RejectsLengthOverMaximumBeforeTheNewline) {
  Decoder decoder(100);
  EXPECT_EQ(decodeAll(decoder, encode(std::string(100, 'a'))).size(), 1u);
  auto records = decoder.decode("101");
  ASSERT_FALSE(records.has_value());
  EXPECT_NE(records.error().message().find("maximum"), std::string::npos);

  Decoder huge;
  EXPECT_FALSE(huge.decode("99999999999999999999999999999\n").has_value());
  Decoder zeros;
  EXPECT_FALSE(zeros.decode(std::string(64, '0')).has_value());
}

TEST(RecordIoTest, StaysFailedAfterAnError) {
  Decoder decoder;
  EXPECT_FALSE(decoder.decode("x").has_value());
  auto again = decoder.decode(encode("fine"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), StatusCode::kInvalidArgument);
}

TEST(RecordIoTest, RecordsBeforeAnErrorInTheSameChunkAreDropped) {
  Decoder decoder;
  EXPECT_FALSE(decoder.decode(encode("ok") + "?").has_value());
}

}  // namespace
}  // namespace plateau::recordio
