// Content negotiation of streamed answers: Accept with application/recordio and Message-Accept,
// the calls allowed to stream, and the headers a RecordIO-framed stream answers with.

#include "http/stream_accept.h"

#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "fakes/fake_http.h"

namespace plateau::http {
namespace {

namespace agent_api = mesos::v1::agent;

Request withHeaders(Headers headers, std::string body = {}) {
  Request request;
  request.method = "POST";
  request.headers = std::move(headers);
  request.body = std::move(body);
  return request;
}

TEST(StreamAccept, PrefersJsonThenProtobufThenRecordio) {
  auto none = streamAcceptType(withHeaders({}));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->recordio);
  EXPECT_EQ(none->message, ContentType::kJson);

  auto both = streamAcceptType(withHeaders({{"accept", "application/recordio, application/json"}}));
  ASSERT_TRUE(both);
  EXPECT_FALSE(both->recordio);  // JSON first, as Mesos's agent picks

  auto protobuf = streamAcceptType(withHeaders({{"accept", "application/x-protobuf"}}));
  ASSERT_TRUE(protobuf);
  EXPECT_EQ(protobuf->message, ContentType::kProtobuf);
  EXPECT_FALSE(protobuf->recordio);
}

TEST(StreamAccept, RecordioTakesItsRecordsTypeFromMessageAccept) {
  auto plain = streamAcceptType(withHeaders({{"accept", "application/recordio"}}));
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->recordio);
  EXPECT_EQ(plain->message, ContentType::kJson);  // no Message-Accept: JSON

  auto protobuf = streamAcceptType(withHeaders(
      {{"accept", "application/recordio"}, {"message-accept", "application/x-protobuf"}}));
  ASSERT_TRUE(protobuf);
  EXPECT_TRUE(protobuf->recordio);
  EXPECT_EQ(protobuf->message, ContentType::kProtobuf);

  auto bad = streamAcceptType(
      withHeaders({{"accept", "application/recordio"}, {"message-accept", "text/plain"}}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("Message-Accept"), std::string::npos);

  auto none = streamAcceptType(withHeaders({{"accept", "text/html"}}));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("application/recordio"), std::string::npos);
}

bool sessionStreams(int type) { return type == agent_api::Call::LAUNCH_NESTED_CONTAINER_SESSION; }

TEST(StreamAccept, OnlyStreamingCallsMayAskForRecordio) {
  Headers recordio{{"content-type", "application/json"}, {"accept", "application/recordio"}};
  agent_api::Call call;
  auto state =
      decodeStreamingCall(withHeaders(recordio, R"({"type":"GET_STATE"})"), &call, &sessionStreams);
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error().status, 406);
  EXPECT_EQ(state.error().body, "Streaming response is not supported for GET_STATE call");

  auto session =
      decodeStreamingCall(withHeaders(recordio, R"({"type":"LAUNCH_NESTED_CONTAINER_SESSION"})"),
                          &call, &sessionStreams);
  ASSERT_TRUE(session);
  EXPECT_TRUE(session->recordio);

  auto untyped = decodeStreamingCall(withHeaders(recordio, "{}"), &call, &sessionStreams);
  ASSERT_FALSE(untyped);
  EXPECT_EQ(untyped.error().status, 400);
}

TEST(StreamAccept, FramedStreamsSayRecordioAndNameTheirRecords) {
  auto exchange = std::make_shared<testing::FakeExchange>();
  Responder framed = framedAs({ContentType::kProtobuf, true}, Responder(exchange));
  auto stream = framed.stream(200, {{"content-type", kProtobufMediaType}});
  ASSERT_TRUE(exchange->response());
  EXPECT_EQ(exchange->response()->header("content-type"), kRecordioMediaType);
  EXPECT_EQ(exchange->response()->header("message-content-type"), kProtobufMediaType);
  stream->write("x");
  EXPECT_EQ(exchange->stream()->written(), "x");

  // Whole answers (errors) go through unchanged, and so does everything without RecordIO.
  auto plain_exchange = std::make_shared<testing::FakeExchange>();
  Responder plain = framedAs({ContentType::kJson, true}, Responder(plain_exchange));
  plain.respond(Response::text(400, "bad"));
  ASSERT_TRUE(plain_exchange->response());
  EXPECT_EQ(plain_exchange->response()->status, 400);
  EXPECT_EQ(plain_exchange->response()->header("message-content-type"), "");

  auto json_exchange = std::make_shared<testing::FakeExchange>();
  Responder json = framedAs({ContentType::kJson, false}, Responder(json_exchange));
  json.stream(200, {{"content-type", kJsonMediaType}});
  EXPECT_EQ(json_exchange->response()->header("content-type"), kJsonMediaType);
}

}  // namespace
}  // namespace plateau::http
