// An offer operation the agent fails: it cannot checkpoint its new total (here its checkpoint
// directory is a plain file), so it answers OPERATION_FAILED. The master then gives the agent's
// total back what the operation consumed, as if it had never been applied: no volume appears
// in its total or in later offers, and once the agent can write again the same CREATE works.
// A real master, agent and framework, protobuf.

#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "harness.h"
#include "operation_helpers.h"

namespace plateau::testing {
namespace {

bool isVolume(const v1::Resource& r) { return r.has_disk() && r.disk().has_persistence(); }
bool isReservedDisk(const v1::Resource& r) { return !r.has_disk() && r.reservations_size() > 0; }

double scalarWhere(const google::protobuf::RepeatedPtrField<v1::Resource>& resources,
                   const std::function<bool(const v1::Resource&)>& pred) {
  double total = 0;
  for (const auto& r : resources) {
    if (r.name() == "disk" && pred(r)) total += r.scalar().value();
  }
  return total;
}

// CREATE (id `id`) of a 64 MB volume from the reserved disk of the next offer holding it.
v1::OperationStatus create(Scheduler& s, const std::string& id) {
  auto offer = offerWhere(
      s, [](const v1::Offer& o) { return offered(o, "disk", isReservedDisk).has_value(); });
  EXPECT_TRUE(offer);
  if (!offer) return {};
  v1::Resource volume = *offered(*offer, "disk", isReservedDisk);
  volume.mutable_scalar()->set_value(64);
  volume.mutable_disk()->mutable_persistence()->set_id(id);
  volume.mutable_disk()->mutable_persistence()->set_principal("ops-principal");
  volume.mutable_disk()->mutable_volume()->set_container_path("data");
  volume.mutable_disk()->mutable_volume()->set_mode(v1::Volume::RW);
  v1::Offer::Operation op;
  op.set_type(v1::Offer::Operation::CREATE);
  op.mutable_id()->set_value(id);
  *op.mutable_create()->add_volumes() = volume;
  EXPECT_EQ(acceptWith(s, *offer, {op}), 202) << s.lastResponse().body;
  return operationUpdates(s, 1)[id];
}

// The agent's total as the master's GET_AGENTS shows it.
google::protobuf::RepeatedPtrField<v1::Resource> masterTotal(const http::Endpoint& master) {
  google::protobuf::RepeatedPtrField<v1::Resource> out;
  auto agents = operatorCall(master, R"({"type": "GET_AGENTS"})");
  if (!agents) return out;
  for (const auto& r : (*agents)["get_agents"]["agents"][0]["total_resources"].asArray()) {
    v1::Resource resource;
    resource.set_name(r["name"].asString());
    if (r["scalar"].isObject())
      resource.mutable_scalar()->set_value(r["scalar"]["value"].asDouble());
    if (r["reservations"].isArray() && r["reservations"].size() > 0) {
      resource.add_reservations()->set_role(r["reservations"][0]["role"].asString());
    }
    if (r["disk"]["persistence"].isObject()) {
      resource.mutable_disk()->mutable_persistence()->set_id(
          r["disk"]["persistence"]["id"].asString());
    }
    *out.Add() = resource;
  }
  return out;
}

TEST(OperationFailure, AFailedCreateGivesTheDiskBackToTheAgentsTotal) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256;disk(role1):256");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(operationsFramework("role1")));

  // The agent cannot write its checkpoint: where its directory goes stands a plain file.
  namespace fs = std::filesystem;
  const fs::path checkpoints = fs::path(cluster.dir()) / "agent0" / "meta" / "resources";
  fs::remove_all(checkpoints);
  fs::create_directories(checkpoints.parent_path());
  std::ofstream(checkpoints.string()) << "not a directory";

  auto failed = create(s, "vol-a");
  ASSERT_EQ(failed.state(), v1::OPERATION_FAILED) << failed.DebugString();
  EXPECT_NE(failed.message().find("checkpoint"), std::string::npos) << failed.message();
  EXPECT_EQ(operationStates(cluster.master())["vol-a"], "OPERATION_FAILED");
  // The master's total is as before the operation: 256 reserved, no volume.
  ASSERT_TRUE(eventually([&] {
    auto total = masterTotal(cluster.master());
    return scalarWhere(total, isVolume) == 0 && scalarWhere(total, isReservedDisk) == 256;
  })) << masterTotal(cluster.master()).size();
  EXPECT_EQ(acknowledgeOperation(s, failed), 202);

  // Offers hold the whole reserved disk again, and once the agent can write, CREATE works.
  fs::remove(checkpoints);
  auto finished = create(s, "vol-b");
  ASSERT_EQ(finished.state(), v1::OPERATION_FINISHED) << finished.DebugString();
  auto total = masterTotal(cluster.master());
  EXPECT_EQ(scalarWhere(total, isVolume), 64);
  EXPECT_EQ(scalarWhere(total, isReservedDisk), 256 - 64);
  for (const auto& r : total) {
    if (isVolume(r)) {
      EXPECT_EQ(r.disk().persistence().id(), "vol-b");
    }
  }
}

}  // namespace
}  // namespace plateau::testing
