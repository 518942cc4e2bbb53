// Users inside images and task groups with images, with a real master and agent: the task's
// user is looked up in the IMAGE's /etc/passwd and /etc/group (it exists nowhere on the host),
// the task runs with its uid, gid and supplementary groups and can write its sandbox; an
// unknown user fails the task with the cause; a task group whose tasks name their own images
// fails with the unsupported feature named instead of running on the host, and so does a task
// with an image volume (Volume.image).

#include <pwd.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

class ImagesUserTest : public ImageTest {
 protected:
  // busybox with a user and groups of its own; "imageuser" is unknown to the host.
  static TestImage withUsers() {
    TestImage image;
    image.tag = "users";
    auto layer = busyboxLayer("ID=plateau-users\n");
    layer.push_back(fileEntry("etc/passwd",
                              "root:x:0:0:root:/root:/bin/sh\n"
                              "imageuser:x:4242:4343:Image user:/home/imageuser:/bin/sh\n"));
    layer.push_back(
        fileEntry("etc/group", "root:x:0:\nimagegrp:x:4343:\nextra:x:5005:someone,imageuser\n"));
    image.layers.push_back(layer);
    return image;
  }

  // The harness starts agents with --switch_user=false unless a test says otherwise.
  void startAgent(Cluster& cluster, std::vector<std::string> more = {"--switch_user=true"}) {
    fs::path registry = fs::path(cluster.dir()) / "registry";
    ASSERT_FALSE(writeDockerSave(registry, withUsers()).empty());
    std::vector<std::string> flags = {"--image_providers=docker",
                                      "--docker_registry=" + registry.string(),
                                      "--docker_store_dir=" + cluster.dir() + "/store",
                                      "--isolation=filesystem/linux,docker/runtime"};
    flags.insert(flags.end(), more.begin(), more.end());
    cluster.addAgent("cpus:4;mem:2048", flags);
  }
};

TEST_F(ImagesUserTest, TheTaskRunsAsTheImagesUserAndAnUnknownUserFailsItsTask) {
  ASSERT_EQ(::getpwnam("imageuser"), nullptr) << "the host must not know the image's user";
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto done = runTasks(
      s, {{.id = "as-user",
           .image = "busybox:users",
           .value = "echo uid=$(id -u) gid=$(id -g) groups=\"$(id -G)\" user=$USER home=$HOME; "
                    "echo mine > $MESOS_SANDBOX/written-by-user && echo wrote",
           .user = "imageuser"},
          {.id = "unknown", .image = "busybox:users", .value = "true", .user = "nosuchuser"}});
  ASSERT_EQ(done.size(), 2u);
  std::string out = sandboxFile(cluster.dir(), "as-user", "stdout");
  EXPECT_EQ(done["as-user"].state(), v1::TASK_FINISHED)
      << done["as-user"].message() << "\n"
      << out << sandboxFile(cluster.dir(), "as-user", "stderr");
  EXPECT_NE(out.find("uid=4242 gid=4343 groups=4343 5005 user=imageuser home=/home/imageuser\n"
                     "wrote\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(sandboxFile(cluster.dir(), "as-user", "written-by-user"), "mine\n");
  EXPECT_EQ(done["unknown"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["unknown"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(done["unknown"].message().find("user 'nosuchuser' is not in the image's /etc/passwd"),
            std::string::npos)
      << done["unknown"].message();
}

TEST_F(ImagesUserTest, WithoutSwitchUserTheTaskRunsAsTheAgentsUser) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster, {"--switch_user=false"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto done = runTasks(s, {{.id = "no-switch",
                            .image = "busybox:users",
                            .value = "echo uid=$(id -u)",
                            .user = "nosuchuser"}});
  ASSERT_TRUE(done.contains("no-switch"));
  EXPECT_EQ(done["no-switch"].state(), v1::TASK_FINISHED) << done["no-switch"].message();
  EXPECT_NE(sandboxFile(cluster.dir(), "no-switch", "stdout").find("uid=0\n"), std::string::npos);
}

TEST_F(ImagesUserTest, AnImageVolumeFailsItsTaskNamingTheUnsupportedFeature) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto done = runTasks(
      s, {{.id = "volume", .image = "busybox:users", .value = "true", .volume_image = "busybox"}});
  ASSERT_TRUE(done.contains("volume"));
  EXPECT_EQ(done["volume"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["volume"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(done["volume"].message().find(
                "Volume '/image-volume' is an image volume (Volume.image), which this agent "
                "does not support yet"),
            std::string::npos)
      << done["volume"].message();
}

TEST_F(ImagesUserTest, ATaskGroupWithPerTaskImagesFailsNamingTheUnsupportedFeature) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers && offers->offers().offers_size() > 0);
  const v1::Offer& offer = offers->offers().offers(0);
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH_GROUP);
  auto* executor = op->mutable_launch_group()->mutable_executor();
  executor->set_type(v1::ExecutorInfo::DEFAULT);
  executor->mutable_executor_id()->set_value("group-executor");
  *executor->mutable_resources() = resources("cpus:0.1;mem:32");
  fs::path marker = fs::path(cluster.dir()) / "ran-on-the-host";
  for (const char* id : {"in-image", "plain"}) {
    auto* task = op->mutable_launch_group()->mutable_task_group()->add_tasks();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    *task->mutable_agent_id() = offer.agent_id();
    *task->mutable_resources() = resources("cpus:0.1;mem:32");
    task->mutable_command()->set_value("echo ran > " + marker.string());
    if (std::string(id) == "in-image") {
      auto* container = task->mutable_container();
      container->set_type(v1::ContainerInfo::MESOS);
      container->mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
      container->mutable_mesos()->mutable_image()->mutable_docker()->set_name("busybox:users");
    }
  }
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  auto done = terminalUpdates(s, {"in-image", "plain"});
  ASSERT_EQ(done.size(), 2u);
  for (const auto& [id, status] : done) {
    EXPECT_EQ(status.state(), v1::TASK_FAILED) << id;
    EXPECT_EQ(status.reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED) << id;
    EXPECT_NE(status.message().find("per-task images in task groups (nested containers) are not "
                                    "supported"),
              std::string::npos)
        << id << ": " << status.message();
  }
  EXPECT_FALSE(fs::exists(marker)) << "a task of the group ran on the host";
}

}  // namespace
}  // namespace plateau::testing
