// Protobuf call decoding as the HTTP APIs do it (http::decode with a protobuf body): a v1
// scheduler Call and an operator Call, then what was decoded written as JSON.

#include <mesos/v1/master/master.pb.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

#include "common/json_codec.h"
#include "http/content.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = plateau::fuzz::text(data, size);
  mesos::v1::scheduler::Call call;
  if (plateau::http::decode(input, plateau::http::ContentType::kProtobuf, &call).isOk()) {
    (void)plateau::toJson(call);
  }
  mesos::v1::master::Call op;
  if (plateau::http::decode(input, plateau::http::ContentType::kProtobuf, &op).isOk()) {
    (void)plateau::toJson(op);
  }
  return 0;
}
