#pragma once

// Test helper: fills any protobuf message through reflection with deterministic pseudo-random
// values, so round trips can be checked for every message type of a .proto file.

#include <cstdint>
#include <vector>

namespace google::protobuf {
class Descriptor;
class FileDescriptor;
class Message;
}  // namespace google::protobuf

namespace plateau::testing {

struct FillOptions {
  // Messages nested deeper than this get only their required fields and the scalar fields
  // that declare a default, which bounds recursive types while keeping the message
  // initialized and its Mesos-style JSON (which prints defaults) exact.
  int max_depth = 3;
  // Elements added to each repeated field.
  int repeated_count = 2;
};

// Clears `*message` and sets every field: random integers (extremes included), finite doubles
// and floats, valid UTF-8 strings (with quotes, backslashes and control characters), arbitrary
// bytes, and only declared enum values. The same seed always gives the same message.
void fillMessage(google::protobuf::Message* message, uint64_t seed,
                 const FillOptions& options = {});

// Every message type declared in `file`, nested types included, in declaration order.
std::vector<const google::protobuf::Descriptor*> allMessageTypes(
    const google::protobuf::FileDescriptor* file);

}  // namespace plateau::testing
