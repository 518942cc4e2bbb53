// Resource strings and resource JSON: Resources::parse (Mesos's text form and the JSON array of
// --resources), then what parsed through protobuf and back, arithmetic and the JSON model; and
// the input as one Mesos-JSON Resource message through resourcesFromProto.

#include <mesos/v1/mesos.pb.h>

#include <cstdlib>

#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources.h"
#include "common/resources_json.h"
#include "common/resources_proto.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

void exercise(const plateau::Resources& resources) {
  plateau::ProtoResources proto;
  plateau::resourcesToProto(resources, &proto);
  auto back = plateau::resourcesFromProto(proto);
  // What we write as protobuf we must read back.
  if (!back) {
    plateau::fuzz::fail("resources written as protobuf do not read back:", back.error().message());
  }
  plateau::Resources twice = resources + resources;
  // (Persistent volumes are left out: adding a volume to itself merges the two into one
  // larger volume, which then does not contain the original.)
  if (resources.persistentVolumes().empty() && !twice.contains(resources)) {
    plateau::fuzz::fail("a + a does not contain a:", resources.toString());
  }
  twice -= resources;
  (void)twice.unreserved();
  std::string out;
  plateau::json::Writer writer(&out);
  plateau::writeResourcesModel(writer, resources);
  (void)resources.toString();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = plateau::fuzz::text(data, size);
  if (auto parsed = plateau::Resources::parse(input)) {
    exercise(*parsed);
  }
  mesos::v1::Resource resource;
  if (plateau::fromJson(input, &resource).isOk()) {
    plateau::ProtoResources one;
    *one.Add() = resource;
    if (auto parsed = plateau::resourcesFromProto(one)) {
      exercise(*parsed);
    }
  }
  return 0;
}
