#include "agent/images/container_image.h"

#include <gtest/gtest.h>

namespace plateau::agent::images {
namespace {

TEST(ContainerImageTest, MesosContainerWithADockerImage) {
  v1::ContainerInfo c;
  EXPECT_FALSE(*requestedImage(c));  // no type given: not a DOCKER container
  c.set_type(v1::ContainerInfo::MESOS);
  EXPECT_FALSE(*requestedImage(c));
  c.mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
  c.mutable_mesos()->mutable_image()->mutable_docker()->set_name("busybox");
  c.mutable_mesos()->mutable_image()->set_cached(false);
  auto r = requestedImage(c);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->name, "busybox");
  EXPECT_FALSE((*r)->cached);
  c.mutable_mesos()->mutable_image()->set_type(v1::Image::APPC);
  EXPECT_FALSE(requestedImage(c));
}

TEST(ContainerImageTest, ImageAndDockerVolumesAreRefusedNotIgnored) {
  v1::ContainerInfo c;
  c.set_type(v1::ContainerInfo::MESOS);
  auto* volume = c.add_volumes();
  volume->set_container_path("/data");
  volume->set_mode(v1::Volume::RO);
  volume->mutable_image()->set_type(v1::Image::DOCKER);
  volume->mutable_image()->mutable_docker()->set_name("busybox");
  auto image = requestedImage(c);
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().message(),
            "Volume '/data' is an image volume (Volume.image), which this agent does not "
            "support yet");
  volume->clear_image();
  volume->mutable_source()->set_type(v1::Volume::Source::DOCKER_VOLUME);
  volume->mutable_source()->mutable_docker_volume()->set_name("shared");
  auto docker = requestedImage(c);
  ASSERT_FALSE(docker);
  EXPECT_NE(docker.error().message().find("external Docker volume"), std::string::npos);
  volume->clear_source();
  EXPECT_TRUE(requestedImage(c));  // a plain host-path volume is not an image matter
}

TEST(ContainerImageTest, DockerContainersRunOnTheHostNetworkOnly) {
  v1::ContainerInfo c;
  c.set_type(v1::ContainerInfo::DOCKER);
  c.mutable_docker()->set_image("nginx:1.25");
  c.mutable_docker()->set_force_pull_image(true);
  auto r = requestedImage(c);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->name, "nginx:1.25");
  EXPECT_FALSE((*r)->cached);
  c.mutable_docker()->set_network(v1::ContainerInfo::DockerInfo::BRIDGE);
  auto bridge = requestedImage(c);
  ASSERT_FALSE(bridge);
  EXPECT_NE(bridge.error().message().find("network BRIDGE needs a Docker daemon"),
            std::string::npos)
      << bridge.error().message();
  c.mutable_docker()->set_network(v1::ContainerInfo::DockerInfo::HOST);
  c.mutable_docker()->add_parameters()->set_key("volume-driver");
  EXPECT_FALSE(requestedImage(c));
}

}  // namespace
}  // namespace plateau::agent::images
