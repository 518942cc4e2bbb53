// What an agent restarted with more resources comes back with: its reservations and volumes
// kept, what was added taken as given.

#include "common/resource_growth.h"

#include <gtest/gtest.h>

namespace plateau {
namespace {

Resources parsed(std::string_view text) {
  auto result = Resources::parse(text);
  EXPECT_TRUE(result.has_value()) << text << ": " << result.error().message();
  return result.value_or(Resources());
}

Reservation dynamic(std::string role) {
  Reservation r;
  r.type = Reservation::Type::kDynamic;
  r.role = std::move(role);
  r.principal = "ops";
  return r;
}

// cpus:2;mem:512;disk:100 with cpus:1 reserved for "web" and disk:10 made a volume of "db".
Resources converted() {
  Resources total = parsed("cpus:1;mem:512;disk:90");
  Resource cpus = Resource::makeScalar("cpus", 1);
  cpus.pushReservation(dynamic("web"));
  Resource volume = Resource::makeScalar("disk", 10);
  volume.pushReservation(dynamic("db"));
  volume.disk.persistence_id = "v1";
  volume.disk.has_volume = true;
  volume.disk.container_path = "data";
  total += cpus;
  total += volume;
  return total;
}

TEST(ResourceGrowthTest, TheBaseUndoesDynamicReservationsAndVolumesButKeepsStaticOnes) {
  EXPECT_EQ(givenBase(converted()), parsed("cpus:2;mem:512;disk:100"));
  EXPECT_EQ(givenBase(parsed("cpus(eng):2;mem:64")), parsed("cpus(eng):2;mem:64"));
}

TEST(ResourceGrowthTest, AddedResourcesJoinTheTotalAndConversionsStay) {
  auto grown = grownBy(converted(), parsed("cpus:4;mem:512;disk:100;gpus:1"));
  ASSERT_TRUE(grown.has_value());
  EXPECT_EQ(*grown, converted() + parsed("cpus:2;gpus:1"));
  // The agent's own report may carry the same reservations: only its base counts.
  grown = grownBy(converted(), converted() + parsed("mem:256"));
  ASSERT_TRUE(grown.has_value());
  EXPECT_EQ(*grown, converted() + parsed("mem:256"));
  // A static reservation added stays reserved.
  grown = grownBy(parsed("cpus:1"), parsed("cpus:1;cpus(eng):2"));
  ASSERT_TRUE(grown.has_value());
  EXPECT_EQ(*grown, parsed("cpus:1;cpus(eng):2"));
}

TEST(ResourceGrowthTest, NothingAddedKeepsTheTotalAndSomethingTakenAwayIsRefused) {
  EXPECT_EQ(grownBy(converted(), parsed("cpus:2;mem:512;disk:100")), converted());
  EXPECT_EQ(grownBy(converted(), parsed("cpus:2;mem:256;disk:100")), std::nullopt);
  EXPECT_EQ(grownBy(parsed("ports:[31000-31010]"), parsed("ports:[31000-31005]")), std::nullopt);
}

}  // namespace
}  // namespace plateau
