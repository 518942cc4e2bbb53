// Per-task images in task groups, image volumes and health checks inside images, with a real
// master and agent and test-built `docker save` images: each task of a group runs in its own
// image's rootfs (nested containers of the default executor), a Volume.image is mounted
// read-only where the task asks, a command health check sees the image's files (not the
// host's), and a task whose image cannot be pulled fails with the cause while its group is
// killed.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

class ImagesGroupsTest : public ImageTest {
 protected:
  void startAgent(Cluster& cluster) {
    fs::path registry = fs::path(cluster.dir()) / "registry";
    for (const char* tag : {"one", "two"}) {
      TestImage image;
      image.tag = tag;
      auto layer = busyboxLayer(std::string("ID=image-") + tag + "\n");
      layer.push_back(fileEntry(std::string("etc/only-in-") + tag, "yes\n"));
      image.layers.push_back(layer);
      ASSERT_FALSE(writeDockerSave(registry, image).empty());
    }
    cluster.addAgent("cpus:4;mem:2048",
                     {"--image_providers=docker", "--docker_registry=" + registry.string(),
                      "--docker_store_dir=" + cluster.dir() + "/store",
                      "--isolation=filesystem/linux,docker/runtime"});
  }

  // The provisioner's container folders of agent 0, once at most `at_most` are left (waiting
  // up to 10 s: rootfs are removed on a worker thread).
  static size_t containersLeft(Cluster& cluster, size_t at_most) {
    fs::path containers = fs::path(cluster.dir()) / "agent0" / "provisioner" / "containers";
    for (int i = 0; i < 100 && entries(containers) > at_most; i++) {
      std::this_thread::sleep_for(100ms);
    }
    return entries(containers);
  }

  // A task's file in its group's sandbox (<executor sandbox>/tasks/<task id>/<name>).
  static std::string groupTaskFile(const std::string& root, const std::string& task_id,
                                   const std::string& name) {
    return agentFile(root, "/tasks/" + task_id + "/", name);
  }

  struct GroupTask {
    std::string id;
    std::string image;  // "" for none
    std::string value;
    std::string volume_image;  // a read-only Volume.image at /image-volume
  };

  static void launchGroup(Scheduler& s, const std::vector<GroupTask>& tasks) {
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
    for (const auto& spec : tasks) {
      auto* task = op->mutable_launch_group()->mutable_task_group()->add_tasks();
      task->set_name(spec.id);
      task->mutable_task_id()->set_value(spec.id);
      *task->mutable_agent_id() = offer.agent_id();
      *task->mutable_resources() = resources("cpus:0.1;mem:32");
      task->mutable_command()->set_value(spec.value);
      if (!spec.image.empty()) {
        setMesosImage(task->mutable_container(), spec.image, spec.volume_image);
      }
    }
    ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  }
};

TEST_F(ImagesGroupsTest, EachTaskOfAGroupRunsInItsOwnImageWithItsImageVolume) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  const std::string show =
      "cat /etc/os-release; echo sandbox=$MESOS_SANDBOX; echo x > "
      "$MESOS_SANDBOX/mine";
  launchGroup(s, {{.id = "in-one", .image = "busybox:one", .value = show},
                  {.id = "in-two",
                   .image = "busybox:two",
                   .value = show + "; cat /image-volume/etc/os-release; "
                                   "touch /image-volume/w 2>/dev/null || echo volume-read-only",
                   .volume_image = "busybox:one"},
                  {.id = "on-host", .value = "grep -q '^ID=image' /etc/os-release || echo host"}});
  auto done = terminalUpdates(s, {"in-one", "in-two", "on-host"});
  ASSERT_EQ(done.size(), 3u);
  for (const auto& [id, status] : done) {
    EXPECT_EQ(status.state(), v1::TASK_FINISHED) << id << ": " << status.message() << "\n"
                                                 << groupTaskFile(cluster.dir(), id, "stderr");
  }
  std::string one = groupTaskFile(cluster.dir(), "in-one", "stdout");
  std::string two = groupTaskFile(cluster.dir(), "in-two", "stdout");
  EXPECT_EQ(one, "ID=image-one\nsandbox=/mnt/mesos/sandbox\n");
  EXPECT_EQ(two, "ID=image-two\nsandbox=/mnt/mesos/sandbox\nID=image-one\nvolume-read-only\n");
  EXPECT_EQ(groupTaskFile(cluster.dir(), "in-one", "mine"), "x\n");  // its own sandbox
  EXPECT_EQ(groupTaskFile(cluster.dir(), "on-host", "stdout"), "host\n");
  // The store holds each image once; the nested rootfs go with the executor's container.
  EXPECT_EQ(containersLeft(cluster, 0), 0u);
  EXPECT_TRUE(MountGuard::mountsUnder(cluster.dir()).empty());
}

TEST_F(ImagesGroupsTest, ATaskWhoseImageFailsFailsWithTheCauseAndItsGroupIsKilled) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  launchGroup(s, {{.id = "missing", .image = "busybox:nosuchtag", .value = "true"},
                  {.id = "waiting", .image = "busybox:one", .value = "sleep 30"}});
  auto done = terminalUpdates(s, {"missing", "waiting"});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["missing"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["missing"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(done["missing"].message().find("busybox:nosuchtag"), std::string::npos)
      << done["missing"].message();
  EXPECT_EQ(done["waiting"].state(), v1::TASK_KILLED) << done["waiting"].message();
}

TEST_F(ImagesGroupsTest, ACommandTaskMountsItsImageVolumeReadOnly) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto done = runTasks(s, {{.id = "volume",
                            .image = "busybox:two",
                            .value = "cat /image-volume/etc/os-release; ls /image-volume/etc | "
                                     "grep only-in; echo > /image-volume/x || echo read-only",
                            .volume_image = "busybox:one"},
                           {.id = "no-image-volume",
                            .image = "busybox:two",
                            .value = "true",
                            .volume_image = "busybox:nosuchtag"}});
  ASSERT_EQ(done.size(), 2u);
  std::string out = sandboxFile(cluster.dir(), "volume", "stdout");
  EXPECT_EQ(done["volume"].state(), v1::TASK_FINISHED) << done["volume"].message();
  EXPECT_EQ(out, "ID=image-one\nonly-in-one\nread-only\n");
  EXPECT_EQ(done["no-image-volume"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["no-image-volume"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(done["no-image-volume"].message().find("Volume '/image-volume'"), std::string::npos)
      << done["no-image-volume"].message();
}

TEST_F(ImagesGroupsTest, ACommandHealthCheckRunsInsideTheTasksImage) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers && offers->offers().offers_size() > 0);
  // The host has the file the second check looks for; the image does not.
  fs::path host_only = fs::path(cluster.dir()) / "host-only";
  std::ofstream(host_only) << "host\n";
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offers->offers().offers(0).id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  for (const auto& [id, probe] : std::vector<std::pair<std::string, std::string>>{
           {"sees-image", "test -f /etc/only-in-one"},
           {"not-host", "test -f " + host_only.string()}}) {
    auto* task = op->mutable_launch()->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    *task->mutable_agent_id() = offers->offers().offers(0).agent_id();
    *task->mutable_resources() = resources("cpus:0.1;mem:32");
    task->mutable_command()->set_value("sleep 20");
    auto* container = task->mutable_container();
    container->set_type(v1::ContainerInfo::MESOS);
    container->mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
    container->mutable_mesos()->mutable_image()->mutable_docker()->set_name("busybox:one");
    auto* check = task->mutable_health_check();
    check->set_type(v1::HealthCheck::COMMAND);
    check->mutable_command()->set_value(probe);
    check->set_delay_seconds(0);
    check->set_interval_seconds(1);
    check->set_grace_period_seconds(0);
    check->set_consecutive_failures(100);
  }
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  std::map<std::string, bool> healthy;
  for (int i = 0; i < 40 && healthy.size() < 2; i++) {
    auto update = s.nextUpdate(30s);
    if (!update) {
      break;
    }
    if (update->state() == v1::TASK_RUNNING && update->has_healthy()) {
      healthy.emplace(update->task_id().value(), update->healthy());
    }
  }
  ASSERT_EQ(healthy.size(), 2u);
  EXPECT_TRUE(healthy["sees-image"]);
  EXPECT_FALSE(healthy["not-host"]);
}

// As Mesos's volume/image isolator: in a container without an image of its own, an image
// volume is mounted in the task's own mount namespace of the host's filesystem, below the
// sandbox for a relative container_path, at that folder of the host for an absolute one (which
// must exist); the host itself never sees the mount.
TEST_F(ImagesGroupsTest, AnImageVolumeInAContainerWithoutAnImageIsMountedInTheHostsView) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  fs::path host_dir = fs::path(cluster.dir()) / "mount-here";
  fs::create_directories(host_dir);
  const std::string absent = (fs::path(cluster.dir()) / "nowhere").string();
  auto done = runTasks(
      s,
      {{.id = "relative",
        .value = "cat image-volume/etc/os-release; test -f /etc/only-in-one || echo host-root; "
                 "echo > image-volume/x || echo read-only",
        .volume_image = "busybox:one",
        .volume_path = "image-volume"},
       {.id = "absolute",
        .value = "cat " + host_dir.string() + "/etc/os-release",
        .volume_image = "busybox:two",
        .volume_path = host_dir.string()},
       {.id = "missing", .value = "true", .volume_image = "busybox:one", .volume_path = absent}});
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done["relative"].state(), v1::TASK_FINISHED) << done["relative"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "relative", "stdout"),
            "ID=image-one\nhost-root\nread-only\n");
  EXPECT_EQ(done["absolute"].state(), v1::TASK_FINISHED) << done["absolute"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "absolute", "stdout"), "ID=image-two\n");
  EXPECT_EQ(entries(host_dir), 0u);  // the mount stayed in the task's namespace
  EXPECT_EQ(done["missing"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["missing"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(done["missing"].message().find("Volume '" + absent + "'"), std::string::npos)
      << done["missing"].message();
  EXPECT_EQ(containersLeft(cluster, 0), 0u);
}

// A group task's own rootfs goes (unmounted and removed) when that task ends, not when the
// whole executor does: the other task, still running, keeps its own.
TEST_F(ImagesGroupsTest, AGroupTasksRootfsGoesWhenThatTaskEnds) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  launchGroup(s, {{.id = "short", .image = "busybox:one", .value = "true"},
                  {.id = "long",
                   .image = "busybox:two",
                   .value = "while [ ! -f $MESOS_SANDBOX/go ]; do sleep 0.1; done"}});
  auto first = terminalUpdates(s, {"short"});
  ASSERT_EQ(first["short"].state(), v1::TASK_FINISHED) << first["short"].message();
  EXPECT_EQ(containersLeft(cluster, 1), 1u);  // the long task's rootfs only
  size_t rootfs_mounts = 0;
  for (const auto& point : MountGuard::mountsUnder(cluster.dir() + "/agent0/provisioner")) {
    rootfs_mounts += point.ends_with("/rootfs") ? 1 : 0;
  }
  EXPECT_EQ(rootfs_mounts, 1u);
  // The long task's sandbox, found on the host, gets the file it waits for.
  fs::path long_sandbox;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(cluster.dir() + "/agent0", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().filename() == "provisioner") {
      it.disable_recursion_pending();
    } else if (it->path().string().ends_with("/tasks/long")) {
      long_sandbox = it->path();
      break;
    }
  }
  ASSERT_FALSE(long_sandbox.empty());
  std::ofstream(long_sandbox / "go") << "go\n";
  auto second = terminalUpdates(s, {"long"});
  EXPECT_EQ(second["long"].state(), v1::TASK_FINISHED) << second["long"].message();
  EXPECT_EQ(containersLeft(cluster, 0), 0u);
}

}  // namespace
}  // namespace plateau::testing
