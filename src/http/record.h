#pragma once

// One protobuf message as one RecordIO record (common/recordio.h) of an event stream.

#include <string>

#include <google/protobuf/message.h>

#include "http/content.h"

namespace plateau::http {

// `message` encoded as `type` and framed as one record: the same bytes as
// recordio::encode(encode(message, type)). Protobuf is serialized straight into the record
// (one buffer, no copy).
std::string encodeRecord(const google::protobuf::Message& message, ContentType type);

}  // namespace plateau::http
