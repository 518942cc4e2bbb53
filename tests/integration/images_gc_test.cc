// Image garbage collection with a real agent: the PRUNE_IMAGES operator call (with
// excluded_images) and --image_gc_config's automatic pruning remove the images and layers no
// live container needs, and keep the others.

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "http/client.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

// busybox:<tag>: the shared busybox base layer and a top layer of its own.
TestImage tagged(const std::string& tag) {
  TestImage image;
  image.tag = tag;
  image.layers.push_back(busyboxLayer("ID=gc-test\n"));
  image.layers.push_back({dirEntry("etc"), fileEntry("etc/motd", tag + "\n")});
  return image;
}

int pruneImages(Cluster& cluster, const std::string& excluded_name) {
  std::string body = R"({"type":"PRUNE_IMAGES","prune_images":{"excluded_images":[)";
  if (!excluded_name.empty()) {
    body += fmt::format(R"({{"type":"DOCKER","docker":{{"name":"{}"}}}})", excluded_name);
  }
  body += "]}}";
  auto answer = http::fetchSync(cluster.agentEndpoint(0),
                                {.method = "POST",
                                 .path = "/api/v1",
                                 .headers = {{"content-type", "application/json"}},
                                 .body = body},
                                30s);
  return answer ? answer->status : -1;
}

class ImagesGcTest : public ImageTest {
 protected:
  void startAgent(Cluster& cluster, std::vector<std::string> extra = {}) {
    fs::path registry = fs::path(cluster.dir()) / "registry";
    for (const char* tag : {"keep", "used", "gone"}) {
      ASSERT_FALSE(writeDockerSave(registry, tagged(tag)).empty());
    }
    std::vector<std::string> flags = {"--image_providers=docker",
                                      "--docker_registry=" + registry.string(),
                                      "--docker_store_dir=" + cluster.dir() + "/store",
                                      "--isolation=filesystem/linux,docker/runtime"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    cluster.addAgent("cpus:4;mem:2048", flags);
  }
};

TEST_F(ImagesGcTest, PruneImagesKeepsExcludedAndInUseImages) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  startAgent(cluster);
  const fs::path store = fs::path(cluster.dir()) / "store";
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("images-gc")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0),
         {{.id = "keep", .image = "busybox:keep", .value = "true"},
          {.id = "gone", .image = "busybox:gone", .value = "true"},
          {.id = "used", .image = "busybox:used", .value = "sleep 1000"}});
  auto done = terminalUpdates(s, {"keep", "gone"});
  ASSERT_EQ(done.size(), 2u);
  ASSERT_TRUE(eventually([&] { return entries(store / "images") == 3; }, 30s));
  EXPECT_EQ(entries(store / "layers"), 4u);  // the shared base and three tops
  // Wait until the finished containers are gone (their rootfs no longer hold layers).
  fs::path containers = fs::path(cluster.dir()) / "agent0" / "provisioner" / "containers";
  ASSERT_TRUE(eventually([&] { return entries(containers) == 1; }, 30s));

  EXPECT_EQ(pruneImages(cluster, "busybox:keep"), 200);
  EXPECT_EQ(entries(store / "images"), 2u);
  EXPECT_EQ(entries(store / "layers"), 3u);
  EXPECT_FALSE(fs::exists(store / "images" / "busybox%3Agone.json"));

  // Once the running task ends, nothing is in use and nothing excluded: all goes.
  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("used");
  ASSERT_EQ(s.call(kill), 202);
  ASSERT_TRUE(terminalUpdates(s, {"used"}).contains("used"));
  ASSERT_TRUE(eventually([&] { return entries(containers) == 0; }, 30s));
  EXPECT_EQ(pruneImages(cluster, ""), 200);
  EXPECT_EQ(entries(store / "images"), 0u);
  EXPECT_EQ(entries(store / "layers"), 0u);

  // A pruned image is pulled again when a task names it.
  done = runTasks(s, {{.id = "again", .image = "busybox:gone", .value = "cat /etc/motd"}});
  EXPECT_EQ(done["again"].state(), v1::TASK_FINISHED) << done["again"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "again", "stdout"), "gone\n");
}

TEST_F(ImagesGcTest, ImageGcConfigPrunesWhenTheDiskPassesTheHeadroom) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  // A headroom of 1: the disk is always "full", so each watch prunes.
  startAgent(cluster,
             {R"(--image_gc_config={"image_disk_headroom":1.0,)"
              R"("image_disk_watch_interval":{"nanoseconds":200000000},)"
              R"("excluded_images":[{"type":"DOCKER","docker":{"name":"busybox:keep"}}]})"});
  const fs::path store = fs::path(cluster.dir()) / "store";
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("images-gc")));
  auto done = runTasks(s, {{.id = "keep", .image = "busybox:keep", .value = "cat /etc/motd"},
                           {.id = "gone", .image = "busybox:gone", .value = "cat /etc/motd"}});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["gone"].state(), v1::TASK_FINISHED) << done["gone"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "gone", "stdout"), "gone\n");
  // Only the excluded image and its two layers stay.
  EXPECT_TRUE(eventually(
      [&] { return entries(store / "images") == 1 && entries(store / "layers") == 2; }, 30s))
      << entries(store / "images") << " images, " << entries(store / "layers") << " layers";
  EXPECT_TRUE(fs::exists(store / "images" / "busybox%3Akeep.json"));
  EXPECT_TRUE(eventually(
      [&] { return cluster.agent(0).log().find("image_gc_done") != std::string::npos; }, 10s));
}

TEST(ImagesGcFlags, ABadImageGcConfigNamesTheFlag) {
  Cluster cluster;
  Process agent("agent-bad-gc",
                {std::string(PLATEAU_BIN_DIR) + "/plateau-agent",
                 "--master=" + fmt::format("127.0.0.1:{}", cluster.master().port),
                 "--work_dir=" + cluster.dir() + "/bad-gc", "--port=0",
                 R"(--image_gc_config={"image_disk_headroom":2})"},
                cluster.dir() + "/bad-gc.log");
  int status = agent.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(agent.log().find("Flag '--image_gc_config'"), std::string::npos) << agent.log();
}

// A --docker_store_dir on a full disk (a 1 MiB tmpfs; the busybox layer is larger): the pull
// fails its task naming the cause, nothing half-unpacked stays in the store, and the agent goes
// on serving tasks without images.
TEST_F(ImagesGcTest, AFullStoreDiskFailsThePullWithTheCauseAndTheAgentGoesOn) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  fs::path store = fs::path(cluster.dir()) / "store";
  fs::create_directories(store);
  ASSERT_EQ(::mount("tmpfs", store.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
  startAgent(cluster);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto done = runTasks(s, {{.id = "full", .image = "busybox:keep", .value = "true"},
                           {.id = "bare", .value = "true"}});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["full"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["full"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(done["full"].message().find("busybox:keep"), std::string::npos)
      << done["full"].message();
  EXPECT_NE(done["full"].message().find("No space left on device"), std::string::npos)
      << done["full"].message();
  EXPECT_EQ(done["bare"].state(), v1::TASK_FINISHED) << done["bare"].message();
  EXPECT_TRUE(fs::is_empty(store / "staging"));
  EXPECT_TRUE(fs::is_empty(store / "images"));
  EXPECT_TRUE(fs::is_empty(store / "layers"));
}

}  // namespace
}  // namespace plateau::testing
