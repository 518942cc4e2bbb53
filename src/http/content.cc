#include "http/content.h"
#include "http/record.h"
#include "http/stream_accept.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "common/json_codec.h"
#include "common/recordio.h"

namespace plateau::http {

const char* mediaType(ContentType type) {
  return type == ContentType::kJson ? kJsonMediaType : kProtobufMediaType;
}

namespace {

// "application/json; charset=utf-8" -> "application/json"
std::string bareMediaType(const std::string& value) {
  std::string type = toLower(value.substr(0, value.find(';')));
  auto first = type.find_first_not_of(" \t");
  auto last = type.find_last_not_of(" \t");
  return first == std::string::npos ? std::string() : type.substr(first, last - first + 1);
}

}  // namespace

Result<ContentType> bodyType(const Request& request) {
  std::string type = bareMediaType(request.header("content-type"));
  if (type == kJsonMediaType) {
    return ContentType::kJson;
  }
  if (type == kProtobufMediaType) {
    return ContentType::kProtobuf;
  }
  if (type.empty()) {
    return invalidArgument("Expecting 'Content-Type' to be present");
  }
  return invalidArgument(fmt::format(
      "Expecting 'Content-Type' of application/json or application/x-protobuf, got '{}'", type));
}

namespace {

// Which of JSON, protobuf and RecordIO an Accept-style header value allows ("" allows all).
struct Allowed {
  bool json = false;
  bool protobuf = false;
  bool recordio = false;
};

Allowed allowedBy(const std::string& accept) {
  if (accept.empty()) {
    return {true, true, true};
  }
  Allowed allowed;
  size_t pos = 0;
  while (pos <= accept.size()) {
    size_t comma = accept.find(',', pos);
    if (comma == std::string::npos) {
      comma = accept.size();
    }
    std::string item = accept.substr(pos, comma - pos);
    std::string type = bareMediaType(item);
    bool refused = item.find("q=0") != std::string::npos && item.find("q=0.") == std::string::npos;
    if (!refused) {
      bool any = type == "application/*" || type == "*/*";
      allowed.json = allowed.json || any || type == kJsonMediaType;
      allowed.protobuf = allowed.protobuf || type == kProtobufMediaType;
      allowed.recordio = allowed.recordio || any || type == kRecordioMediaType;
    }
    pos = comma + 1;
  }
  return allowed;
}

}  // namespace

Result<ContentType> acceptType(const Request& request) {
  Allowed allowed = allowedBy(request.header("accept"));
  if (allowed.json) {
    return ContentType::kJson;
  }
  if (allowed.protobuf) {
    return ContentType::kProtobuf;
  }
  return invalidArgument(
      "Expecting 'Accept' to allow 'application/json' or 'application/x-protobuf'");
}

Result<StreamAccept> streamAcceptType(const Request& request) {
  Allowed allowed = allowedBy(request.header("accept"));
  if (allowed.json || allowed.protobuf) {
    return StreamAccept{allowed.json ? ContentType::kJson : ContentType::kProtobuf, false};
  }
  if (!allowed.recordio) {
    return invalidArgument(fmt::format("Expecting 'Accept' to allow {} or {} or {}", kJsonMediaType,
                                       kProtobufMediaType, kRecordioMediaType));
  }
  Allowed message = allowedBy(request.header("message-accept"));
  if (!message.json && !message.protobuf) {
    return invalidArgument(fmt::format("Expecting 'Message-Accept' to allow {} or {}",
                                       kJsonMediaType, kProtobufMediaType));
  }
  return StreamAccept{message.json ? ContentType::kJson : ContentType::kProtobuf, true};
}

Status decode(std::string_view body, ContentType type, google::protobuf::Message* message) {
  if (type == ContentType::kJson) {
    return fromJson(body, message);
  }
  if (!message->ParsePartialFromArray(body.data(), static_cast<int>(body.size()))) {
    return {StatusCode::kInvalidArgument, "Failed to parse body as a protobuf message"};
  }
  if (!message->IsInitialized()) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Missing required fields: {}", message->InitializationErrorString())};
  }
  return {};
}

std::string encode(const google::protobuf::Message& message, ContentType type) {
  if (type == ContentType::kJson) {
    return toJson(message);
  }
  return message.SerializePartialAsString();
}

std::string encodeRecord(const google::protobuf::Message& message, ContentType type) {
  if (type == ContentType::kJson) {
    return recordio::encode(toJson(message));
  }
  const size_t size = message.ByteSizeLong();
  const fmt::format_int length(size);
  std::string out;
  out.resize(length.size() + 1 + size);
  std::copy_n(length.data(), length.size(), out.data());
  out[length.size()] = '\n';
  message.SerializeWithCachedSizesToArray(
      reinterpret_cast<uint8_t*>(out.data() + length.size() + 1));
  return out;
}

std::expected<ContentType, Response> decodeCall(const Request& request,
                                                google::protobuf::Message* call) {
  if (request.method != "POST") {
    Response r = Response::text(
        405, fmt::format("Expecting a 'POST' request, received '{}'", request.method));
    r.headers["allow"] = "POST";
    return std::unexpected(std::move(r));
  }
  auto type = bodyType(request);
  if (!type) {
    return std::unexpected(Response::text(415, type.error().message()));
  }
  if (Status s = decode(request.body, *type, call); !s.isOk()) {
    return std::unexpected(Response::text(
        400, fmt::format("Failed to parse body into Call protobuf: {}", s.message())));
  }
  return *type;
}

namespace {

// decodeCall, then the call names its type (else 400 "Expecting 'type' to be present"). The
// type's name on success.
std::expected<std::string, Response> decodeTypedCall(const Request& request,
                                                     google::protobuf::Message* call) {
  auto body = decodeCall(request, call);
  if (!body) {
    return std::unexpected(std::move(body.error()));
  }
  const auto* type = call->GetDescriptor()->FindFieldByName("type");
  if (type == nullptr || !call->GetReflection()->HasField(*call, type)) {
    return std::unexpected(Response::text(400, "Expecting 'type' to be present"));
  }
  return call->GetReflection()->GetEnum(*call, type)->name();
}

}  // namespace

std::expected<ContentType, Response> decodeOperatorCall(const Request& request,
                                                        google::protobuf::Message* call) {
  auto typed = decodeTypedCall(request, call);
  if (!typed) {
    return std::unexpected(std::move(typed.error()));
  }
  auto accept = acceptType(request);
  if (!accept) {
    return std::unexpected(Response::text(406, accept.error().message()));
  }
  return *accept;
}

std::expected<StreamAccept, Response> decodeStreamingCall(const Request& request,
                                                          google::protobuf::Message* call,
                                                          bool (*streams)(int type)) {
  auto typed = decodeTypedCall(request, call);
  if (!typed) {
    return std::unexpected(std::move(typed.error()));
  }
  auto accept = streamAcceptType(request);
  if (!accept) {
    return std::unexpected(Response::text(406, accept.error().message()));
  }
  const auto* type = call->GetDescriptor()->FindFieldByName("type");
  if (accept->recordio && !streams(call->GetReflection()->GetEnumValue(*call, type))) {
    return std::unexpected(Response::text(
        406, fmt::format("Streaming response is not supported for {} call", *typed)));
  }
  return *accept;
}

Response messageResponse(const google::protobuf::Message& message, ContentType type) {
  Response r;
  r.status = 200;
  r.headers["content-type"] = mediaType(type);
  r.body = encode(message, type);
  return r;
}

int httpStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kFailedPrecondition:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotLeader:
      return 307;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

Response errorResponse(const Status& status) {
  return Response::text(httpStatus(status), status.message());
}

}  // namespace plateau::http
