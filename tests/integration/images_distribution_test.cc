// Real parts, as issue 16 asks: Debian's docker-registry (the distribution registry) started on
// a loopback port, a test-built two-layer image (busybox-static below, a whiteout above) pushed
// to it with Debian's skopeo as Docker schema 2 and as OCI, and pulled and run by a real agent.
// Skipped where the two packages are not installed (`./dev deps` installs them).

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

class ImagesDistributionTest : public ImageTest {
 protected:
  void SetUp() override {
    ImageTest::SetUp();
    if (!IsSkipped() &&
        (!fs::exists("/usr/bin/docker-registry") || !fs::exists("/usr/bin/skopeo"))) {
      GTEST_SKIP() << "Debian's docker-registry and skopeo are not installed";
    }
  }

  // Starts docker-registry on a free loopback port; its port, 0 when it did not come up.
  static uint16_t startRegistry(const std::string& dir, std::unique_ptr<Process>* process) {
    uint16_t port = freePort();
    std::string config = dir + "/docker-registry.yml";
    std::ofstream(config) << fmt::format(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}/docker-registry\n"
        "http:\n  addr: 127.0.0.1:{}\n",
        dir, port);
    *process = std::make_unique<Process>(
        "docker-registry", std::vector<std::string>{"/usr/bin/docker-registry", "serve", config},
        dir + "/docker-registry.log");
    for (int i = 0; i < 100; i++) {
      if ((*process)->log().find("listening on") != std::string::npos) {
        return port;
      }
      std::this_thread::sleep_for(100ms);
    }
    return 0;
  }

  // skopeo copy of a docker save tarball to the registry, in `format` (v2s2 or oci).
  static bool push(const std::string& dir, const std::string& tar, const std::string& format,
                   uint16_t port, const std::string& reference) {
    Process skopeo(
        "skopeo",
        {"/usr/bin/skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false", "--format",
         format, "docker-archive:" + tar, fmt::format("docker://127.0.0.1:{}/{}", port, reference)},
        dir + "/skopeo.log");
    int status = skopeo.wait();
    EXPECT_EQ(status, 0) << skopeo.log();
    return status == 0;
  }
};

TEST_F(ImagesDistributionTest, AnImagePushedWithSkopeoToDockerRegistryRunsFromIt) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestImage image;
  auto base = busyboxLayer("ID=distribution\n");
  base.push_back(fileEntry("etc/removed-above", "gone\n"));
  image.layers = {
      base,
      {dirEntry("etc"), fileEntry("etc/.wh.removed-above", ""), fileEntry("etc/motd", "pushed\n")}};
  std::string written = writeDockerSave(fs::path(cluster.dir()) / "tars", image);
  ASSERT_FALSE(written.empty());
  std::string tar = cluster.dir() + "/busybox.tar";  // skopeo reads ':' as its own separator
  fs::copy_file(written, tar);
  std::unique_ptr<Process> registry;
  uint16_t port = startRegistry(cluster.dir(), &registry);
  ASSERT_NE(port, 0) << registry->log();
  ASSERT_TRUE(push(cluster.dir(), tar, "v2s2", port, "busybox:latest"));
  ASSERT_TRUE(push(cluster.dir(), tar, "oci", port, "oci/busybox:latest"));

  cluster.addAgent("cpus:4;mem:2048", {"--image_providers=docker",
                                       fmt::format("--docker_registry=http://127.0.0.1:{}", port),
                                       "--docker_store_dir=" + cluster.dir() + "/store",
                                       "--isolation=filesystem/linux,docker/runtime"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  const std::string show = "cat /etc/os-release /etc/motd; test ! -e /etc/removed-above && echo ok";
  auto done = runTasks(s, {{.id = "schema2", .image = "busybox", .value = show},
                           {.id = "oci", .image = "oci/busybox:latest", .value = show}});
  ASSERT_EQ(done.size(), 2u);
  for (const char* id : {"schema2", "oci"}) {
    EXPECT_EQ(done[id].state(), v1::TASK_FINISHED) << id << ": " << done[id].message();
    EXPECT_EQ(sandboxFile(cluster.dir(), id, "stdout"), "ID=distribution\npushed\nok\n") << id;
  }
}

}  // namespace
}  // namespace plateau::testing
