// The Mesos-JSON codec: JSON text -> a v1 scheduler Call and an operator Call through the
// reflection codec, and each accepted message back to JSON and again to a message.

#include <mesos/v1/master/master.pb.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

#include <cstdlib>

#include "common/json_codec.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

template <typename Message>
void roundTrip(std::string_view input) {
  Message message;
  if (!plateau::fromJson(input, &message).isOk()) {
    return;
  }
  std::string json = plateau::toJson(message);
  Message again;
  // What the codec writes it must read back.
  if (!plateau::fromJson(json, &again).isOk()) {
    plateau::fuzz::fail("the codec does not read what it wrote:", json);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = plateau::fuzz::text(data, size);
  roundTrip<mesos::v1::scheduler::Call>(input);
  roundTrip<mesos::v1::master::Call>(input);
  return 0;
}
