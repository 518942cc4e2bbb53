#pragma once

// One JSON codec for every protobuf message, built on reflection, that writes and reads JSON
// the way Mesos does (stout's JSON::protobuf and protobuf::parse), which is NOT protobuf's own
// JSON mapping:
//   - field names exactly as in the .proto (snake_case), in declaration order;
//   - enums by value name; bytes as standard base64; nested messages as objects;
//     repeated fields as arrays; int64/uint64 as JSON numbers;
//   - output holds the fields that are set, every non-empty repeated field, and unset
//     optional fields that declare an explicit default (unless deprecated), printed with
//     that default, e.g. Filters.refuse_seconds = 5.0.
// Reading is lenient where Mesos is and strict elsewhere; see fromJson().
//
// Only google::protobuf::Message is forward-declared here, so including this header does not
// pull in protobuf's headers.

#include <string>
#include <string_view>

#include "common/json.h"
#include "common/status.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace plateau {

// Compact Mesos-style JSON for `message`. Never fails.
std::string toJson(const google::protobuf::Message& message);

// Writes `message` as one JSON object value into `writer`, so that large documents (e.g.
// /master/state) can embed messages without building a DOM.
void writeJson(json::Writer& writer, const google::protobuf::Message& message);

// Replaces the content of `*message` with the JSON object `value`. Accepts:
//   - numbers for every numeric field, and for integer fields also integral doubles (5.0) and
//     decimal strings ("123"), as 64-bit IDs often arrive; for float/double fields also
//     numeric strings;
//   - enum values by name or by number; an unknown enum value in a required field is an
//     error, in an optional or repeated field it is dropped, as proto2 and Mesos do;
//   - bytes as standard base64; null as "not set"; a single value for a repeated field;
//   - unknown member names, which are ignored.
// Returns InvalidArgument, naming the field path (e.g. "framework_info.capabilities[1].type"),
// for a value of the wrong kind, an integer out of the field's range, invalid base64, or a
// missing required field ("Missing required field 'framework_info.user'"). Never crashes on
// any input; on error `*message` holds whatever was read before the error.
Status fromJson(const json::Value& value, google::protobuf::Message* message);

// Parses `text` (see json::parse, default options) and then reads it as fromJson() above.
Status fromJson(std::string_view text, google::protobuf::Message* message);

// Text overloads, so that a string is parsed as a document rather than converted to a
// json::Value holding a JSON string.
inline Status fromJson(const std::string& text, google::protobuf::Message* message) {
  return fromJson(std::string_view(text), message);
}
inline Status fromJson(const char* text, google::protobuf::Message* message) {
  return fromJson(std::string_view(text), message);
}

}  // namespace plateau
