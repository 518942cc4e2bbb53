// Revocable (oversubscribed) resources in the resource model and on the wire.

#include <gtest/gtest.h>
#include <mesos/v1/mesos.pb.h>

#include "common/json.h"
#include "common/resources.h"
#include "common/resources_json.h"
#include "common/resources_proto.h"

namespace plateau {
namespace {

Resource revocableCpus(double value) {
  Resource r = Resource::makeScalar("cpus", value);
  r.revocable = true;
  return r;
}

TEST(RevocableResourcesTest, RevocableAndPlainEntriesNeverMerge) {
  Resources both{Resource::makeScalar("cpus", 2), revocableCpus(3)};
  EXPECT_EQ(both.size(), 2u);
  EXPECT_EQ(both.scalar("cpus"), 5);
  EXPECT_EQ(both.revocable(), Resources{revocableCpus(3)});
  EXPECT_EQ(both.nonRevocable(), Resources{Resource::makeScalar("cpus", 2)});
  EXPECT_FALSE(Resources{Resource::makeScalar("cpus", 3)}.contains(revocableCpus(1)));
  EXPECT_EQ(revocableCpus(1).toString(), "cpus{REV}:1");
  // Revocable resources are in no total the allocator and the metrics count.
  EXPECT_EQ(ResourceVector::of(both).value(ResourceVector::kCpus), 2);
}

TEST(RevocableResourcesTest, TheRevocableFieldSurvivesTheWire) {
  google::protobuf::RepeatedPtrField<mesos::v1::Resource> protos;
  resourcesToProto(Resources{revocableCpus(1.5)}, &protos);
  ASSERT_EQ(protos.size(), 1);
  EXPECT_TRUE(protos[0].has_revocable());
  auto back = resourcesFromProto(protos);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*back, Resources{revocableCpus(1.5)});
}

TEST(RevocableResourcesTest, RevocableReservationsAndVolumesAreRefused) {
  google::protobuf::RepeatedPtrField<mesos::v1::Resource> protos;
  mesos::v1::Resource* disk = protos.Add();
  disk->set_name("disk");
  disk->set_type(mesos::v1::Value::SCALAR);
  disk->mutable_scalar()->set_value(10);
  disk->mutable_revocable();
  auto* reservation = disk->add_reservations();
  reservation->set_type(mesos::v1::Resource::ReservationInfo::DYNAMIC);
  reservation->set_role("eng");
  EXPECT_FALSE(resourcesFromProto(protos).has_value());
  disk->clear_reservations();
  disk->mutable_disk()->mutable_persistence()->set_id("v1");
  EXPECT_FALSE(resourcesFromProto(protos).has_value());
  disk->clear_disk();
  EXPECT_TRUE(resourcesFromProto(protos).has_value());
}

TEST(RevocableResourcesTest, TheJsonModelShowsRevocableResourcesApartAsMesosDoes) {
  Resources both = Resources::parse("cpus:2;mem:64;ports:[1-2]").value();
  both += revocableCpus(3);
  Resource mem = Resource::makeScalar("mem", 16);
  mem.revocable = true;
  both += mem;
  std::string out;
  json::Writer w(&out);
  writeResourcesModel(w, both);
  auto model = json::parse(out).value();
  EXPECT_EQ(model["cpus"].asDouble(), 2);
  EXPECT_EQ(model["mem"].asDouble(), 64);
  EXPECT_EQ(model["cpus_revocable"].asDouble(), 3);
  EXPECT_EQ(model["mem_revocable"].asDouble(), 16);
  EXPECT_EQ(model["ports"].asString(), "[1-2]");
  EXPECT_TRUE(model["disk_revocable"].isNull());  // only the revocable names present
  std::string plain;
  json::Writer p(&plain);
  writeResourcesModel(p, Resources::parse("cpus:1").value());
  EXPECT_EQ(plain.find("_revocable"), std::string::npos);
}

}  // namespace
}  // namespace plateau
