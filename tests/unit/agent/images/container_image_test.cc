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

TEST(ContainerImageTest, ImageVolumesAreReadAndDockerVolumesRefusedNotIgnored) {
  v1::ContainerInfo c;
  c.set_type(v1::ContainerInfo::MESOS);
  auto* volume = c.add_volumes();
  volume->set_container_path("/data");
  volume->set_mode(v1::Volume::RO);
  volume->mutable_image()->set_type(v1::Image::DOCKER);
  volume->mutable_image()->mutable_docker()->set_name("busybox:v2");
  auto alone = requestedImages(c);  // mounted in the host's filesystem, as Mesos does
  ASSERT_TRUE(alone);
  EXPECT_FALSE(alone->image);
  EXPECT_FALSE(alone->empty());
  EXPECT_EQ(alone->name(), "busybox:v2");
  c.mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
  c.mutable_mesos()->mutable_image()->mutable_docker()->set_name("busybox");
  auto both = requestedImages(c);
  ASSERT_TRUE(both);
  ASSERT_TRUE(both->image);
  EXPECT_EQ(both->image->name, "busybox");
  ASSERT_EQ(both->volumes.size(), 1u);
  EXPECT_EQ(both->volumes[0].container_path, "/data");
  EXPECT_EQ(both->volumes[0].image.name, "busybox:v2");
  EXPECT_TRUE(both->volumes[0].read_only);
  volume->set_container_path("../out");
  EXPECT_FALSE(requestedImages(c));
  volume->set_container_path("data");
  volume->set_mode(v1::Volume::RW);
  ASSERT_TRUE(requestedImages(c));
  EXPECT_FALSE(requestedImages(c)->volumes[0].read_only);
  volume->clear_image();
  volume->mutable_source()->set_type(v1::Volume::Source::DOCKER_VOLUME);
  volume->mutable_source()->mutable_docker_volume()->set_name("shared");
  auto docker = requestedImages(c);
  ASSERT_FALSE(docker);
  EXPECT_NE(docker.error().message().find("external Docker volume"), std::string::npos);
  volume->clear_source();
  ASSERT_TRUE(requestedImages(c));  // a plain host-path volume is not an image matter
  EXPECT_TRUE(requestedImages(c)->volumes.empty());
}

TEST(ContainerImageTest, GroupsWithPerTaskImagesNeedTheDefaultExecutorAndAnImageAgent) {
  v1::ExecutorInfo executor;
  executor.set_type(v1::ExecutorInfo::DEFAULT);
  v1::TaskGroupInfo group;
  auto* task = group.add_tasks();
  task->mutable_task_id()->set_value("t");
  auto* c = task->mutable_container();
  c->set_type(v1::ContainerInfo::MESOS);
  c->mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
  c->mutable_mesos()->mutable_image()->mutable_docker()->set_name("busybox");
  EXPECT_EQ(groupImageError(executor, group, true), std::nullopt);
  auto no_images = groupImageError(executor, group, false);
  ASSERT_TRUE(no_images);
  EXPECT_NE(no_images->find("--image_providers=docker"), std::string::npos) << *no_images;
  executor.set_type(v1::ExecutorInfo::CUSTOM);
  auto custom = groupImageError(executor, group, true);
  ASSERT_TRUE(custom);
  EXPECT_NE(custom->find("only the default executor"), std::string::npos) << *custom;
  executor.set_type(v1::ExecutorInfo::DEFAULT);
  c->mutable_mesos()->mutable_image()->set_type(v1::Image::APPC);
  auto appc = groupImageError(executor, group, true);
  ASSERT_TRUE(appc);
  EXPECT_NE(appc->find("Task 't': Image of type APPC"), std::string::npos) << *appc;
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
