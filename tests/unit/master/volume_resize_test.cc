// GROW_VOLUME and SHRINK_VOLUME as offer operations: what they convert, and Mesos's reasons for
// refusing one (master/reservation_rules.h, volume_resize.cc).

#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json_codec.h"
#include "common/resources_proto.h"
#include "master/reservation_rules.h"

namespace plateau::master {
namespace {

namespace v1 = mesos::v1;

constexpr const char* kReserved = R"("reservations":[{"type":"DYNAMIC","role":"eng"}])";

v1::Resource disk(double size, const std::string& extra = "") {
  v1::Resource r;
  Status s = fromJson(fmt::format(R"({{"name":"disk","type":"SCALAR","scalar":{{"value":{}}},
                                       {}{}}})",
                                  size, kReserved, extra),
                      &r);
  EXPECT_TRUE(s.isOk()) << s.message();
  return r;
}

v1::Resource volume(double size, const std::string& extra = "") {
  return disk(size, R"(,"disk":{"persistence":{"id":"v1"},"volume":{"container_path":"d",
                      "mode":"RW"}})" +
                        extra);
}

v1::Resource sharedVolume(double size) {
  v1::Resource r = volume(size);
  r.mutable_shared();
  return r;
}

std::string refusal(const Result<Conversion>& r) {
  return r ? std::string("(accepted)") : r.error().message();
}

// The one persistent volume of `resources` (its size), and the size of the rest, all of which
// must be plain disk reserved to "eng".
std::pair<double, double> volumeAndRest(const Resources& resources) {
  Resources volumes = resources.persistentVolumes();
  EXPECT_EQ(volumes.size(), 1u) << resources.toString();
  double rest = 0;
  for (const Resource& r : resources - volumes) {
    EXPECT_EQ(r.name, "disk");
    EXPECT_EQ(r.role, "eng");
    EXPECT_TRUE(r.disk.empty());
    rest += r.scalar();
  }
  return {volumes.empty() ? 0 : volumes.begin()->scalar(), rest};
}

TEST(OfferedVolumeResize, GrowMakesOneLargerVolume) {
  v1::Offer::Operation::GrowVolume grow;
  *grow.mutable_volume() = volume(64);
  *grow.mutable_addition() = disk(32);
  auto converted = offeredGrow(grow);
  ASSERT_TRUE(converted) << refusal(converted);
  EXPECT_EQ(volumeAndRest(converted->from), std::pair(64.0, 32.0));
  EXPECT_EQ(volumeAndRest(converted->to), std::pair(96.0, 0.0));
}

TEST(OfferedVolumeResize, ShrinkGivesTheDifferenceBackAsReservedDisk) {
  v1::Offer::Operation::ShrinkVolume shrink;
  *shrink.mutable_volume() = volume(64);
  shrink.mutable_subtract()->set_value(16);
  auto converted = offeredShrink(shrink);
  ASSERT_TRUE(converted) << refusal(converted);
  EXPECT_EQ(volumeAndRest(converted->from), std::pair(64.0, 0.0));
  EXPECT_EQ(volumeAndRest(converted->to), std::pair(48.0, 16.0));
}

TEST(OfferedVolumeResize, RefusalsNameMesosReasons) {
  auto grow = [](v1::Resource v, v1::Resource addition) {
    v1::Offer::Operation::GrowVolume g;
    *g.mutable_volume() = std::move(v);
    *g.mutable_addition() = std::move(addition);
    return refusal(offeredGrow(g));
  };
  auto shrink = [](v1::Resource v, double subtract) {
    v1::Offer::Operation::ShrinkVolume s;
    *s.mutable_volume() = std::move(v);
    s.mutable_subtract()->set_value(subtract);
    return refusal(offeredShrink(s));
  };
  EXPECT_EQ(grow(volume(64), disk(0)),
            "The size of 'GrowVolume.addition' field must be greater than zero");
  EXPECT_EQ(grow(volume(64, R"(,"provider_id":{"value":"rp"})"), disk(8)),
            "Growing a volume from a resource provider is not supported");
  EXPECT_NE(grow(disk(64), disk(8)).find("Invalid persistent volume in the 'GrowVolume.volume'"),
            std::string::npos);
  EXPECT_EQ(grow(sharedVolume(64), disk(8)), "Growing a shared persistent volume is not supported");
  v1::Resource unreserved = disk(8);
  unreserved.clear_reservations();
  EXPECT_EQ(grow(volume(64), unreserved),
            "Incompatible resources in the 'GrowVolume.volume' and 'GrowVolume.addition' fields");
  EXPECT_EQ(shrink(volume(64), 0), "Value of 'ShrinkVolume.subtract' must be greater than zero");
  EXPECT_EQ(shrink(volume(64), 64),
            "Value of 'ShrinkVolume.subtract' must be smaller than the size of "
            "'ShrinkVolume.volume'");
  EXPECT_EQ(shrink(sharedVolume(64), 8), "Shrinking a shared persistent volume is not supported");
  v1::Resource mount = volume(64);
  mount.mutable_disk()->mutable_source()->set_type(v1::Resource::DiskInfo::Source::MOUNT);
  EXPECT_EQ(shrink(mount, 8), "Shrinking a volume on a MOUNT disk is not supported");
}

}  // namespace
}  // namespace plateau::master
