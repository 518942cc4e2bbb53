#include "jobs/task_info.h"

#include <gtest/gtest.h>

namespace plateau::jobs {
namespace {

namespace v1 = mesos::v1;

TEST(JobsTaskInfoTest, ContainersBecomeMesosContainerInfo) {
  JobContainer docker{.type = "DOCKER",
                      .image = "busybox",
                      .force_pull_image = true,
                      .volumes = {{.container_path = "/data", .host_path = "/srv", .mode = "RO"}}};
  v1::ContainerInfo info = containerInfo(docker);
  EXPECT_EQ(info.type(), v1::ContainerInfo::DOCKER);
  EXPECT_EQ(info.docker().image(), "busybox");
  EXPECT_EQ(info.docker().network(), v1::ContainerInfo::DockerInfo::HOST);
  EXPECT_TRUE(info.docker().force_pull_image());
  ASSERT_EQ(info.volumes_size(), 1);
  EXPECT_EQ(info.volumes(0).mode(), v1::Volume::RO);
  EXPECT_EQ(info.volumes(0).host_path(), "/srv");

  v1::ContainerInfo mesos = containerInfo({.type = "MESOS", .image = "alpine:3"});
  EXPECT_EQ(mesos.type(), v1::ContainerInfo::MESOS);
  EXPECT_EQ(mesos.mesos().image().type(), v1::Image::DOCKER);
  EXPECT_EQ(mesos.mesos().image().docker().name(), "alpine:3");
  EXPECT_TRUE(mesos.mesos().image().cached());
  EXPECT_FALSE(containerInfo({.type = "MESOS"}).mesos().has_image());
}

}  // namespace
}  // namespace plateau::jobs
