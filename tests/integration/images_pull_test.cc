// Pulls that break off and foreign layers, with a real agent and the test registry
// (tests/integration/registry_server.py): an agent killed in the middle of a layer resumes that
// download after its restart (an HTTP Range for the rest; nothing of the partial blob trusted
// before it hashes to its digest), a download the registry cuts fails its task with the cause
// and the next pull resumes it, a layer over 16 MiB streams to its file, and a foreign layer is
// fetched from its `urls` (or fails naming them).

#include <csignal>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.h"
#include "images_helpers.h"
#include "registry_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

constexpr size_t kCutAt = 200000;  // bytes of the base layer (busybox, about 1 MB gzip)

// The size of the store's partial download of `digest` (0 when there is none).
uint64_t partialBytes(const std::string& store, const std::string& digest) {
  std::error_code ec;
  auto size = fs::file_size(fs::path(store) / "partial" / digest.substr(7), ec);
  return ec ? 0 : size;
}

TEST_F(ImagesRegistryTest, AnAgentKilledMidLayerResumesThatDownloadAfterItsRestart) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestRegistry registry(cluster.dir());
  auto scheduler = startAgent(cluster, registry);
  ASSERT_TRUE(scheduler);
  const std::string store = cluster.dir() + "/store";
  auto layers = registry.layers("busybox", "latest");
  ASSERT_EQ(layers.size(), 2u);
  ASSERT_TRUE(registry.cut(layers[0], kCutAt, "stall"));
  auto offers = scheduler->next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers && offers->offers().offers_size() > 0);
  launch(*scheduler, offers->offers().offers(0),
         {{.id = "killed", .image = "busybox", .shell = false}});
  for (int i = 0; i < 300 && partialBytes(store, layers[0]) < kCutAt; i++) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(partialBytes(store, layers[0]), kCutAt) << "the download did not get to the cut";
  cluster.restartAgent(0, SIGKILL);
  ASSERT_TRUE(registry.release());
  // Nothing of the broken layer is trusted: no layer folder, only the partial blob.
  EXPECT_FALSE(fs::exists(fs::path(store) / "layers" / layers[0].substr(7)));
  EXPECT_EQ(partialBytes(store, layers[0]), kCutAt);

  std::string id;
  v1::TaskStatus status = runAfterRestart(*scheduler, "resumed", "busybox", &id);
  EXPECT_EQ(status.state(), v1::TASK_FINISHED) << status.message();
  EXPECT_EQ(sandboxFile(cluster.dir(), id, "stdout"), "one\n");
  EXPECT_EQ(registry.ranges(), std::vector<std::string>{fmt::format("bytes={}-", kCutAt)});
  EXPECT_EQ(partialBytes(store, layers[0]), 0u);
  EXPECT_TRUE(fs::is_directory(fs::path(store) / "layers" / layers[0].substr(7) / "rootfs"));
}

TEST_F(ImagesRegistryTest, ACutDownloadFailsItsTaskAndTheNextPullResumesIt) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestRegistry registry(cluster.dir());
  auto scheduler = startAgent(cluster, registry);
  ASSERT_TRUE(scheduler);
  auto layers = registry.layers("busybox", "latest");
  ASSERT_EQ(layers.size(), 2u);
  ASSERT_TRUE(registry.cut(layers[0], kCutAt, "close"));
  auto done = runTasks(*scheduler, {{.id = "cut", .image = "busybox", .shell = false}});
  EXPECT_EQ(done["cut"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["cut"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(done["cut"].message().find("Failed to pull image 'busybox:latest'"), std::string::npos)
      << done["cut"].message();
  EXPECT_EQ(partialBytes(cluster.dir() + "/store", layers[0]), kCutAt);
  done = runTasks(*scheduler, {{.id = "again", .image = "busybox", .shell = false}});
  EXPECT_EQ(done["again"].state(), v1::TASK_FINISHED) << done["again"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "again", "stdout"), "one\n");
  EXPECT_EQ(registry.ranges(), std::vector<std::string>{fmt::format("bytes={}-", kCutAt)});
}

TEST_F(ImagesRegistryTest, ALayerOverSixteenMebibytesIsPulled) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestRegistry registry(cluster.dir());
  auto scheduler = startAgent(cluster, registry);
  ASSERT_TRUE(scheduler);
  auto done = runTasks(*scheduler, {{.id = "large", .image = "large", .shell = false}});
  EXPECT_EQ(done["large"].state(), v1::TASK_FINISHED) << done["large"].message();
  EXPECT_NE(sandboxFile(cluster.dir(), "large", "stdout").find(" 17825792 "), std::string::npos)
      << sandboxFile(cluster.dir(), "large", "stdout");
  // Its progress within the layer is in the agent's log (at 16 MiB at the latest).
  std::string log = readWholeFile(cluster.dir() + "/agent0.log");
  size_t line = log.find("image_layer_progress image=large:latest ");
  ASSERT_NE(line, std::string::npos) << log;
  EXPECT_NE(log.substr(line, log.find('\n', line) - line).find(" percent="), std::string::npos);
}

TEST_F(ImagesRegistryTest, AForeignLayerIsFetchedFromItsUrlsOrFailsNamingThem) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestRegistry registry(cluster.dir());
  auto scheduler = startAgent(cluster, registry);
  ASSERT_TRUE(scheduler);
  auto done = runTasks(*scheduler, {{.id = "foreign", .image = "foreign", .shell = false},
                                    {.id = "gone", .image = "foreign-gone", .shell = false}});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["foreign"].state(), v1::TASK_FINISHED) << done["foreign"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "foreign", "stdout"), "foreign\n");
  EXPECT_EQ(registry.requests("/foreign/sha256:"), 1);  // from its URL, not as a blob
  EXPECT_EQ(done["gone"].state(), v1::TASK_FAILED);
  EXPECT_NE(done["gone"].message().find("could not be fetched from its URLs (http://127.0.0.1:"),
            std::string::npos)
      << done["gone"].message();
  EXPECT_NE(done["gone"].message().find("/nowhere/sha256:"), std::string::npos)
      << done["gone"].message();
}

}  // namespace
}  // namespace plateau::testing
