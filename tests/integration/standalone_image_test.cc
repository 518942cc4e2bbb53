// A standalone container (LAUNCH_CONTAINER without a parent) whose ContainerInfo names a Docker
// image runs its command in that image, with its sandbox at --sandbox_directory.

#include <sys/wait.h>

#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "api_call.h"
#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;

agent_api::Call launchInImage(const std::string& id, const std::string& image,
                              const std::string& shell) {
  agent_api::Call c;
  c.set_type(agent_api::Call::LAUNCH_CONTAINER);
  auto* launch = c.mutable_launch_container();
  launch->mutable_container_id()->set_value(id);
  launch->mutable_command()->set_value(shell);
  auto* container = launch->mutable_container();
  container->set_type(v1::ContainerInfo::MESOS);
  container->mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
  container->mutable_mesos()->mutable_image()->mutable_docker()->set_name(image);
  auto* mem = launch->add_resources();
  mem->set_name("mem");
  mem->set_type(v1::Value::SCALAR);
  mem->mutable_scalar()->set_value(64);
  return c;
}

TEST_F(ImageTest, StandaloneContainerRunsInItsImage) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  ASSERT_NO_FATAL_FAILURE(
      addImageAgent(cluster, "alone", "NAME=\"Plateau Alone\"\nID=plateau-alone\n"));
  auto call = [&](const agent_api::Call& c) {
    return callApi<agent_api::Response>(cluster.agentEndpoint(0), c, http::ContentType::kJson);
  };
  auto launched = call(launchInImage("boxed", "busybox:alone",
                                     "cat /etc/os-release; pwd; echo $MESOS_SANDBOX; exit 7"));
  ASSERT_EQ(launched.status, 200) << launched.body;
  agent_api::Call wait;
  wait.set_type(agent_api::Call::WAIT_CONTAINER);
  wait.mutable_wait_container()->mutable_container_id()->set_value("boxed");
  auto waited = call(wait);
  ASSERT_EQ(waited.status, 200) << waited.body;
  EXPECT_EQ(WEXITSTATUS(waited.response.wait_container().exit_status()), 7);
  std::string out = readWholeFile(cluster.dir() + "/agent0/containers/boxed/stdout");
  EXPECT_NE(out.find("ID=plateau-alone"), std::string::npos) << out;
  EXPECT_NE(out.find("/mnt/mesos/sandbox\n/mnt/mesos/sandbox\n"), std::string::npos) << out;
  // Its rootfs goes with it.
  agent_api::Call remove;
  remove.set_type(agent_api::Call::REMOVE_CONTAINER);
  remove.mutable_remove_container()->mutable_container_id()->set_value("boxed");
  EXPECT_EQ(call(remove).status, 200);
  EXPECT_TRUE(eventually([&] { return MountGuard::mountsUnder(cluster.dir()).empty(); }));
  // An image that cannot be had fails the launch, naming it.
  auto missing = call(launchInImage("missing", "busybox:nowhere", "true"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("busybox:nowhere"), std::string::npos) << missing.body;
}

}  // namespace
}  // namespace plateau::testing
