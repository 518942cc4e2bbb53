// GROW_VOLUME and SHRINK_VOLUME as offer operations inside ACCEPT, as Mesos's scheduler API has
// them: a framework makes a persistent volume of its role's reserved disk, grows it with more of
// that disk, shrinks it back, and hears OPERATION_FINISHED for each (operation feedback, with
// what it converted); operations Mesos refuses answer OPERATION_ERROR with Mesos's reason, and
// change nothing. A real master and agent, protobuf.

#include <algorithm>

#include <gtest/gtest.h>

#include "harness.h"
#include "operation_helpers.h"

namespace plateau::testing {
namespace {

bool isVolume(const v1::Resource& r) { return r.has_disk() && r.disk().has_persistence(); }
bool isPlainDisk(const v1::Resource& r) { return !r.has_disk(); }

v1::Offer::Operation operation(const std::string& id, v1::Offer::Operation::Type type) {
  v1::Offer::Operation op;
  op.set_type(type);
  op.mutable_id()->set_value(id);
  return op;
}

// The size of the volume `vol1` among `resources` (0 when none).
double volumeSize(const google::protobuf::RepeatedPtrField<v1::Resource>& resources) {
  for (const auto& r : resources) {
    if (isVolume(r) && r.disk().persistence().id() == "vol1") return r.scalar().value();
  }
  return 0;
}

// The offer holding the volume at `size` (and plain role1 disk beside it).
v1::Offer offerWithVolume(Scheduler& s, double size) {
  auto offer = offerWhere(s, [&](const v1::Offer& o) {
    return volumeSize(o.resources()) == size && offered(o, "disk", isPlainDisk).has_value();
  });
  EXPECT_TRUE(offer) << "no offer with the volume at " << size;
  return offer.value_or(v1::Offer());
}

bool isReservedDisk(const v1::Resource& r) { return isPlainDisk(r) && r.reservations_size() > 0; }

// CREATE (with an id) of the 64 MB volume vol1 from the role's offered reserved disk; its
// OPERATION_FINISHED is acknowledged.
void createVolume(Scheduler& s) {
  auto first = offerWhere(
      s, [](const v1::Offer& o) { return offered(o, "disk", isReservedDisk).has_value(); });
  ASSERT_TRUE(first);
  v1::Resource volume = *offered(*first, "disk", isReservedDisk);
  volume.mutable_scalar()->set_value(64);
  volume.mutable_disk()->mutable_persistence()->set_id("vol1");
  volume.mutable_disk()->mutable_persistence()->set_principal("ops-principal");
  volume.mutable_disk()->mutable_volume()->set_container_path("data");
  volume.mutable_disk()->mutable_volume()->set_mode(v1::Volume::RW);
  auto create = operation("create", v1::Offer::Operation::CREATE);
  *create.mutable_create()->add_volumes() = volume;
  ASSERT_EQ(acceptWith(s, *first, {create}), 202) << s.lastResponse().body;
  auto created = operationUpdates(s, 1);
  ASSERT_EQ(created["create"].state(), v1::OPERATION_FINISHED) << created["create"].DebugString();
  EXPECT_EQ(acknowledgeOperation(s, created["create"]), 202);
}

// GROW_VOLUME (id "grow") of the 64 MB volume by `size` of the plain disk offered beside it; the
// operation's status update (default when none came).
v1::OperationStatus growVolume(Scheduler& s, double size) {
  v1::Offer offer = offerWithVolume(s, 64);
  auto grow = operation("grow", v1::Offer::Operation::GROW_VOLUME);
  *grow.mutable_grow_volume()->mutable_volume() = *offered(offer, "disk", isVolume);
  *grow.mutable_grow_volume()->mutable_addition() = *offered(offer, "disk", isPlainDisk);
  grow.mutable_grow_volume()->mutable_addition()->mutable_scalar()->set_value(size);
  EXPECT_EQ(acceptWith(s, offer, {grow}), 202) << s.lastResponse().body;
  return operationUpdates(s, 1)["grow"];
}

TEST(OfferVolumeOperations, GrowAndShrinkAVolumeWithFeedback) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256;disk(role1):256");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(operationsFramework("role1")));

  createVolume(s);

  // Grow it by 64 of the plain role1 disk offered beside it.
  auto grown = growVolume(s, 64);
  ASSERT_EQ(grown.state(), v1::OPERATION_FINISHED) << grown.DebugString();
  EXPECT_EQ(grown.uuid().value().size(), 16u);
  EXPECT_EQ(volumeSize(grown.converted_resources()), 128);
  EXPECT_EQ(operationStates(cluster.master())["grow"], "OPERATION_FINISHED");
  EXPECT_EQ(acknowledgeOperation(s, grown), 202);

  // Shrink it back by 64: the volume is 64 again and 64 plain disk comes back.
  v1::Offer offer = offerWithVolume(s, 128);
  auto shrink = operation("shrink", v1::Offer::Operation::SHRINK_VOLUME);
  *shrink.mutable_shrink_volume()->mutable_volume() = *offered(offer, "disk", isVolume);
  shrink.mutable_shrink_volume()->mutable_subtract()->set_value(64);
  ASSERT_EQ(acceptWith(s, offer, {shrink}), 202) << s.lastResponse().body;
  auto shrunk = operationUpdates(s, 1)["shrink"];
  ASSERT_EQ(shrunk.state(), v1::OPERATION_FINISHED) << shrunk.DebugString();
  EXPECT_EQ(volumeSize(shrunk.converted_resources()), 64);
  EXPECT_TRUE(
      std::any_of(shrunk.converted_resources().begin(), shrunk.converted_resources().end(),
                  [](const v1::Resource& r) { return isPlainDisk(r) && r.scalar().value() == 64; }))
      << shrunk.DebugString();
  EXPECT_EQ(acknowledgeOperation(s, shrunk), 202);
  EXPECT_TRUE(operationStates(cluster.master()).empty());
  offerWithVolume(s, 64);  // the agent's resources hold the shrunk volume
}

TEST(OfferVolumeOperations, RefusedResizesAnswerMesosReasons) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256;disk(role1):256;disk:32");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(operationsFramework("role1")));
  createVolume(s);

  v1::Offer offer = offerWithVolume(s, 64);
  v1::Resource vol = *offered(offer, "disk", isVolume);
  v1::Resource unreserved = *offered(offer, "disk", [](const v1::Resource& r) {
    return isPlainDisk(r) && r.reservations_size() == 0;
  });
  std::map<std::string, std::string> expected;
  std::vector<v1::Offer::Operation> ops;
  auto add = [&](v1::Offer::Operation op, std::string why) {
    expected[op.id().value()] = std::move(why);
    ops.push_back(std::move(op));
  };
  auto elsewhere = operation("grow-unreserved", v1::Offer::Operation::GROW_VOLUME);
  *elsewhere.mutable_grow_volume()->mutable_volume() = vol;
  *elsewhere.mutable_grow_volume()->mutable_addition() = unreserved;
  add(elsewhere,
      "Incompatible resources in the 'GrowVolume.volume' and 'GrowVolume.addition' fields");
  auto plain = operation("grow-plain", v1::Offer::Operation::GROW_VOLUME);
  *plain.mutable_grow_volume()->mutable_volume() = unreserved;
  *plain.mutable_grow_volume()->mutable_addition() = unreserved;
  add(plain, "Invalid persistent volume in the 'GrowVolume.volume' field");
  auto empty = operation("grow-zero", v1::Offer::Operation::GROW_VOLUME);
  *empty.mutable_grow_volume()->mutable_volume() = vol;
  *empty.mutable_grow_volume()->mutable_addition() = unreserved;
  empty.mutable_grow_volume()->mutable_addition()->mutable_scalar()->set_value(0);
  add(empty, "The size of 'GrowVolume.addition' field must be greater than zero");
  auto too_much = operation("shrink-all", v1::Offer::Operation::SHRINK_VOLUME);
  *too_much.mutable_shrink_volume()->mutable_volume() = vol;
  too_much.mutable_shrink_volume()->mutable_subtract()->set_value(64);
  add(too_much,
      "Value of 'ShrinkVolume.subtract' must be smaller than the size of 'ShrinkVolume.volume'");
  auto shared = operation("shrink-shared", v1::Offer::Operation::SHRINK_VOLUME);
  *shared.mutable_shrink_volume()->mutable_volume() = vol;
  shared.mutable_shrink_volume()->mutable_volume()->mutable_shared();
  shared.mutable_shrink_volume()->mutable_subtract()->set_value(8);
  add(shared, "Shrinking a shared persistent volume is not supported");
  ASSERT_EQ(acceptWith(s, offer, ops), 202) << s.lastResponse().body;

  auto answers = operationUpdates(s, expected.size());
  ASSERT_EQ(answers.size(), expected.size());
  for (const auto& [id, why] : expected) {
    EXPECT_EQ(answers[id].state(), v1::OPERATION_ERROR) << id;
    EXPECT_NE(answers[id].message().find(why), std::string::npos)
        << id << ": " << answers[id].message();
    EXPECT_FALSE(answers[id].has_uuid()) << id;  // nothing to acknowledge
  }
  EXPECT_TRUE(operationStates(cluster.master()).empty());
  offerWithVolume(s, 64);  // unchanged
}

// The resize_volumes ACL guards the offer operations too: a refused GROW_VOLUME is dropped.
TEST(OfferVolumeOperations, ResizeVolumesAclRefusesAnOfferedGrow) {
  Cluster cluster({R"(--acls={"resize_volumes": [{"principals": {"values": ["ops-principal"]},
                                                  "roles": {"type": "NONE"}}]})"});
  cluster.addAgent("cpus:1;mem:256;disk(role1):256");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(operationsFramework("role1")));
  createVolume(s);
  auto refused = growVolume(s, 8);
  EXPECT_EQ(refused.state(), v1::OPERATION_ERROR) << refused.DebugString();
  EXPECT_NE(refused.message().find("resize_volumes"), std::string::npos) << refused.message();
  offerWithVolume(s, 64);  // unchanged
}

}  // namespace
}  // namespace plateau::testing
