#pragma once

// Content negotiation for the v1 APIs: JSON (Mesos's mapping) or binary protobuf, chosen by
// Content-Type for request bodies and by Accept for responses.

#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"

namespace google::protobuf {
class Message;
}

namespace plateau::http {

enum class ContentType { kJson, kProtobuf };

inline constexpr const char* kJsonMediaType = "application/json";
inline constexpr const char* kProtobufMediaType = "application/x-protobuf";

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

// A 200 carrying `message` encoded as `type`, with its Content-Type.
Response messageResponse(const google::protobuf::Message& message, ContentType type);

// The HTTP status that answers a failed Status.
int httpStatus(const Status& status);
// A text/plain answer carrying the status's message.
Response errorResponse(const Status& status);

}  // namespace plateau::http
