// The reservation stack and disk info of Resource: keys, arithmetic, text, protobuf and JSON.

#include <string>

#include <gtest/gtest.h>
#include <mesos/v1/mesos.pb.h>
#include <mesos/v1/quota/quota.pb.h>

#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources.h"
#include "common/resources_proto.h"

namespace plateau {
namespace {

Resources parsed(std::string_view text) {
  auto result = Resources::parse(text);
  EXPECT_TRUE(result.has_value()) << text << ": " << result.error().message();
  return result.value_or(Resources());
}

Reservation dynamic(std::string role, std::string principal) {
  Reservation r;
  r.type = Reservation::Type::kDynamic;
  r.role = std::move(role);
  r.principal = std::move(principal);
  return r;
}

Resource volume(std::string role, std::string id, std::string path, double size) {
  Resource disk = Resource::makeScalar("disk", size);
  disk.pushReservation(dynamic(std::move(role), "ops"));
  disk.disk.persistence_id = std::move(id);
  disk.disk.has_volume = true;
  disk.disk.container_path = std::move(path);
  return disk;
}

TEST(ReservationTest, TextRoleIsAStaticReservation) {
  Resources resources = parsed("cpus(eng):2;mem(eng):1024;cpus:1");
  ASSERT_EQ(resources.size(), 3u);
  const Resource& cpus = resources.entries()[0];
  EXPECT_EQ(cpus.role, "eng");
  ASSERT_EQ(cpus.reservationStack().size(), 1u);
  EXPECT_EQ(cpus.reservationStack()[0].type, Reservation::Type::kStatic);
  EXPECT_FALSE(cpus.dynamicallyReserved());
  EXPECT_EQ(resources.toString(), "cpus(eng):2; mem(eng):1024; cpus:1");
  // An explicit one-entry static stack is the same key as the implicit one.
  Resource explicit_static = Resource::makeScalar("cpus", 1);
  explicit_static.pushReservation(Reservation{Reservation::Type::kStatic, "eng", "", {}});
  resources += explicit_static;
  EXPECT_EQ(resources.scalar("cpus"), 4);
  EXPECT_EQ(resources.reservedTo("eng").scalar("cpus"), 3);
}

TEST(ReservationTest, DynamicReservationIsADifferentKeyThanStatic) {
  Resource dyn = Resource::makeScalar("cpus", 2);
  dyn.pushReservation(dynamic("eng", "alice"));
  Resources resources = parsed("cpus(eng):1");
  resources += dyn;
  EXPECT_EQ(resources.size(), 2u);
  EXPECT_EQ(resources.reservedTo("eng").scalar("cpus"), 3);
  EXPECT_TRUE(resources.contains(dyn));
  Resource other_principal = Resource::makeScalar("cpus", 1);
  other_principal.pushReservation(dynamic("eng", "bob"));
  EXPECT_FALSE(resources.contains(other_principal));
  EXPECT_EQ(dyn.toString(), "cpus(reservations: [(DYNAMIC,eng,alice)]):2");
  // UNRESERVE pops it back to unreserved.
  Resource popped = dyn;
  popped.popReservation();
  EXPECT_EQ(popped.role, "*");
  EXPECT_EQ(popped, Resource::makeScalar("cpus", 2));
  resources -= dyn;
  EXPECT_EQ(resources, parsed("cpus(eng):1"));
}

TEST(ReservationTest, RefinementKeepsTheStackAndTheInnermostRole) {
  Resource cpus = Resource::makeScalar("cpus", 4, "eng");
  cpus.pushReservation(dynamic("eng/ml", "alice"));
  EXPECT_EQ(cpus.role, "eng/ml");
  ASSERT_EQ(cpus.reservations.size(), 2u);
  EXPECT_EQ(cpus.reservations[0].role, "eng");
  EXPECT_EQ(cpus.toString(), "cpus(reservations: [(STATIC,eng),(DYNAMIC,eng/ml,alice)]):4");
  cpus.popReservation();
  EXPECT_EQ(cpus, Resource::makeScalar("cpus", 4, "eng"));
}

TEST(ReservationTest, PersistentVolumesAreTakenWhole) {
  Resources resources;
  resources += volume("eng", "v1", "data", 64);
  resources += Resource::makeScalar("disk", 100);
  EXPECT_EQ(resources.persistentVolumes().size(), 1u);
  EXPECT_TRUE(resources.contains(volume("eng", "v1", "data", 64)));
  EXPECT_FALSE(resources.contains(volume("eng", "v1", "data", 32)));
  EXPECT_FALSE(resources.contains(volume("eng", "v2", "data", 64)));
  Resources partial = resources;
  partial -= volume("eng", "v1", "data", 32);
  EXPECT_EQ(partial, resources);
  resources -= volume("eng", "v1", "data", 64);
  EXPECT_EQ(resources, parsed("disk:100"));
  EXPECT_EQ(volume("eng", "v1", "data", 64).toString(),
            "disk(reservations: [(DYNAMIC,eng,ops)])[v1:data]:64");
}

TEST(ReservationTest, ToUnreservedDropsStacksAndDisk) {
  Resources resources = parsed("cpus(eng):2;cpus:1");
  resources += volume("eng", "v1", "data", 64);
  EXPECT_EQ(resources.toUnreserved(), parsed("cpus:3;disk:64"));
}

TEST(ReservationProtoTest, RoundTripsPostRefinementFormat) {
  Resources resources = parsed("mem:128");
  Resource cpus = Resource::makeScalar("cpus", 2, "eng");
  Reservation refinement = dynamic("eng/ml", "alice");
  refinement.labels = {{"k", "v"}, {"flag", ""}};
  cpus.pushReservation(refinement);
  resources += cpus;
  resources += volume("ops", "v1", "data", 64);

  ProtoResources protos;
  resourcesToProto(resources, &protos, "eng/ml", ResourceFormat::kPost);
  ASSERT_EQ(protos.size(), 3);
  EXPECT_EQ(protos[0].reservations_size(), 0);
  EXPECT_FALSE(protos[0].has_role());
  ASSERT_EQ(protos[1].reservations_size(), 2);
  EXPECT_EQ(protos[1].reservations(0).type(), mesos::v1::Resource::ReservationInfo::STATIC);
  EXPECT_EQ(protos[1].reservations(1).role(), "eng/ml");
  EXPECT_EQ(protos[1].reservations(1).principal(), "alice");
  EXPECT_EQ(protos[1].reservations(1).labels().labels_size(), 2);
  EXPECT_EQ(protos[2].disk().persistence().id(), "v1");
  EXPECT_EQ(protos[2].disk().volume().container_path(), "data");
  EXPECT_EQ(protos[2].disk().volume().mode(), mesos::v1::Volume::RW);
  EXPECT_EQ(protos[1].allocation_info().role(), "eng/ml");
  EXPECT_EQ(allocationRoleOf(protos).value(), "eng/ml");

  auto back = resourcesFromProto(protos);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*back, resources);
}

TEST(ReservationProtoTest, PreRefinementAndEndpointFormats) {
  Resource dyn = Resource::makeScalar("cpus", 1);
  dyn.pushReservation(dynamic("eng", "alice"));
  Resources resources{dyn};
  ProtoResources pre;
  resourcesToProto(resources, &pre, "", ResourceFormat::kPre);
  EXPECT_EQ(pre[0].role(), "eng");
  EXPECT_EQ(pre[0].reservation().principal(), "alice");
  EXPECT_EQ(pre[0].reservations_size(), 0);
  auto back = resourcesFromProto(pre);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, resources);

  ProtoResources endpoint;
  resourcesToProto(resources, &endpoint, "", ResourceFormat::kEndpoint);
  EXPECT_EQ(endpoint[0].role(), "eng");
  EXPECT_EQ(endpoint[0].reservations_size(), 1);
  EXPECT_TRUE(endpoint[0].has_reservation());
  // What an endpoint prints can be sent back; both forms must then agree.
  auto again = resourcesFromProto(endpoint);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, resources);
  endpoint[0].set_role("ops");
  EXPECT_FALSE(resourcesFromProto(endpoint).has_value());
}

TEST(ReservationProtoTest, RefusesBadStacks) {
  ProtoResources protos;
  auto* r = protos.Add();
  r->set_name("cpus");
  r->set_type(mesos::v1::Value::SCALAR);
  r->mutable_scalar()->set_value(1);
  auto* outer = r->add_reservations();
  outer->set_type(mesos::v1::Resource::ReservationInfo::DYNAMIC);
  outer->set_role("eng");
  auto* inner = r->add_reservations();
  inner->set_type(mesos::v1::Resource::ReservationInfo::DYNAMIC);
  inner->set_role("ops");
  EXPECT_FALSE(resourcesFromProto(protos).has_value());
  inner->set_role("eng/ml");
  EXPECT_TRUE(resourcesFromProto(protos).has_value());
  inner->clear_type();
  EXPECT_FALSE(resourcesFromProto(protos).has_value());

  ProtoResources mixed;
  for (const char* role : {"a", "b"}) {
    auto* m = mixed.Add();
    m->set_name("cpus");
    m->set_type(mesos::v1::Value::SCALAR);
    m->mutable_scalar()->set_value(1);
    m->mutable_allocation_info()->set_role(role);
  }
  EXPECT_FALSE(allocationRoleOf(mixed).has_value());
}

TEST(ReservationJsonTest, ParsesReservationsAndDeprecatedFields) {
  Resources stacked = parsed(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":2},
      "reservations":[{"type":"STATIC","role":"eng"},
                      {"type":"DYNAMIC","role":"eng/ml","principal":"p",
                       "labels":{"labels":[{"key":"a","value":"b"}]}}]}])");
  ASSERT_EQ(stacked.size(), 1u);
  EXPECT_EQ(stacked.entries()[0].role, "eng/ml");
  EXPECT_EQ(stacked.entries()[0].reservations[1].labels.size(), 1u);

  Resources old = parsed(R"([{"name":"mem","type":"SCALAR","scalar":{"value":64},"role":"eng",
      "reservation":{"principal":"p"}},
      {"name":"disk","type":"SCALAR","scalar":{"value":10},"role":"eng",
       "disk":{"persistence":{"id":"v"},"volume":{"container_path":"d","mode":"RO"}}}])");
  ASSERT_EQ(old.size(), 2u);
  EXPECT_TRUE(old.entries()[0].dynamicallyReserved());
  EXPECT_EQ(old.entries()[0].reservations[0].principal, "p");
  EXPECT_EQ(old.entries()[1].disk.persistence_id, "v");
  EXPECT_EQ(old.entries()[1].disk.mode, DiskInfo::Mode::kRO);

  EXPECT_FALSE(Resources::parse(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},
      "reservations":[{"type":"DYNAMIC","role":"eng"},{"type":"DYNAMIC","role":"ops"}]}])")
                   .has_value());
  EXPECT_FALSE(Resources::parse(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},
      "reservation":{"principal":"p"}}])")
                   .has_value());
}

}  // namespace
}  // namespace plateau

namespace plateau {
namespace {

// Protobuf maps (QuotaConfig.guarantees, FrameworkInfo.offer_filters) read and print as JSON
// objects keyed by the map's keys, as Mesos does.
TEST(MapJsonTest, QuotaConfigMapsAreJsonObjects) {
  mesos::v1::quota::QuotaConfig config;
  ASSERT_TRUE(fromJson(R"({"role":"dev","guarantees":{"cpus":{"value":2}},
                          "limits":{"cpus":{"value":4},"mem":{"value":1024}}})",
                       &config)
                  .isOk());
  EXPECT_EQ(config.guarantees().at("cpus").value(), 2);
  EXPECT_EQ(config.limits().at("mem").value(), 1024);
  auto back = json::parse(toJson(config));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ((*back)["limits"]["cpus"]["value"].asDouble(), 4);
  EXPECT_EQ((*back)["guarantees"]["cpus"]["value"].asDouble(), 2);
}

}  // namespace
}  // namespace plateau
