// Users inside images, with a real master and agent: the task's
// user is looked up in the IMAGE's /etc/passwd and /etc/group (it exists nowhere on the host),
// the task runs with its uid, gid and supplementary groups and can write its sandbox; an
// unknown user fails the task with the cause.

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

}  // namespace
}  // namespace plateau::testing
