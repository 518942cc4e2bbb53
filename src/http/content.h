#pragma once

// Content negotiation for the v1 APIs: JSON (Mesos's mapping) or binary protobuf, chosen by
// Content-Type for request bodies and by Accept for responses.

#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"
#include "http/server.h"

namespace google::protobuf {
class Message;
}

namespace plateau::http {

enum class ContentType { kJson, kProtobuf };

inline constexpr const char* kJsonMediaType = "application/json";
inline constexpr const char* kProtobufMediaType = "application/x-protobuf";
inline constexpr const char* kRecordioMediaType = "application/recordio";

const char* mediaType(ContentType type);

// The body's type from Content-Type; an error (for a 415) names what is accepted.
Result<ContentType> bodyType(const Request& request);
// The answer's type from Accept; an error (for a 406) when neither JSON nor protobuf is allowed.
Result<ContentType> acceptType(const Request& request);

Status decode(std::string_view body, ContentType type, google::protobuf::Message* message);
std::string encode(const google::protobuf::Message& message, ContentType type);

// The first steps every v1 API takes: the request is a POST (else 405 with Allow), its
// Content-Type is JSON or protobuf (else 415), and its body decodes into `call` (else 400
// "Failed to parse body into Call protobuf: ..."). The body's type on success, the answer to
// send otherwise.
std::expected<ContentType, Response> decodeCall(const Request& request,
                                                google::protobuf::Message* call);

// The operator APIs' (master's and agent's) first steps: decodeCall, then the call names its
// type (else 400 "Expecting 'type' to be present") and Accept allows JSON or protobuf (else
// 406). The type to answer in on success, the answer to send otherwise.
std::expected<ContentType, Response> decodeOperatorCall(const Request& request,
                                                        google::protobuf::Message* call);

// How a streamed answer is typed: its records are encoded as `message`; with `recordio` (the
// client's Accept asked for application/recordio) the answer's Content-Type says
// application/recordio and its Message-Content-Type names `message`, as Mesos's agent does.
struct StreamAccept {
  ContentType message = ContentType::kJson;
  bool recordio = false;
};

// A streamed answer's type from Accept and Message-Accept, Mesos's order: JSON, then protobuf,
// then application/recordio (its records in what Message-Accept allows, JSON first; JSON
// without it). An error (for a 406) names what is accepted.
Result<StreamAccept> streamAcceptType(const Request& request);

// decodeOperatorCall for an API some of whose calls stream their answer: Accept may also ask
// for application/recordio, which only calls for which `streams(type)` holds may (else 406
// "Streaming response is not supported for <TYPE> call").
std::expected<StreamAccept, Response> decodeStreamingCall(const Request& request,
                                                          google::protobuf::Message* call,
                                                          bool (*streams)(int type));

// `responder`, or (with `accept.recordio`) one whose stream() answers with Content-Type
// application/recordio and Message-Content-Type set to the Content-Type its caller gave.
Responder framedAs(const StreamAccept& accept, Responder responder);

// A 200 carrying `message` encoded as `type`, with its Content-Type.
Response messageResponse(const google::protobuf::Message& message, ContentType type);

// The HTTP status that answers a failed Status.
int httpStatus(const Status& status);
// A text/plain answer carrying the status's message.
Response errorResponse(const Status& status);

}  // namespace plateau::http
