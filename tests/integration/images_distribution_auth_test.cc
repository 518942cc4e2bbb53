// Registry authentication against Debian's docker-registry itself (not only our test registry):
// the registry runs with `auth: htpasswd` (a bcrypt file the test writes), an image is pushed to
// it with skopeo --dest-creds, and the agent pulls it with credentials from --docker_config or
// from the image's own Image.Docker.config; missing or wrong credentials fail the task naming
// the 401 and leave nothing in the store. Skipped where the two packages are not installed.

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "distribution_registry.h"
#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

class ImagesDistributionAuthTest : public ImagesDistributionTest {
 protected:
  // Starts docker-registry behind htpasswd (alice:secret) and pushes team/busybox:latest to it
  // with those credentials; the registry's port, 0 on failure.
  uint16_t startPrivateRegistry(const std::string& dir) {
    TestImage image;
    image.layers = {busyboxLayer("ID=private\n"),
                    {dirEntry("etc"), fileEntry("etc/motd", "behind htpasswd\n")}};
    image.config = json::Object{};
    image.config.set("Cmd", json::Array{"/bin/cat", "/etc/os-release", "/etc/motd"});
    std::string written = writeDockerSave(fs::path(dir) / "tars", image);
    std::string tar = dir + "/busybox.tar";  // skopeo reads ':' as its own separator
    if (written.empty() || !writeHtpasswd(dir + "/htpasswd", "alice", "secret")) {
      ADD_FAILURE() << "the image or the htpasswd file could not be written";
      return 0;
    }
    fs::copy_file(written, tar);
    uint16_t port = startRegistry(dir, &registry_, dir + "/htpasswd");
    if (port == 0) {
      ADD_FAILURE() << "docker-registry did not start:\n" << registry_->log();
      return 0;
    }
    // The registry does ask for credentials: a push without them is refused.
    Process anonymous("skopeo",
                      {"/usr/bin/skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                       "docker-archive:" + tar,
                       fmt::format("docker://127.0.0.1:{}/team/busybox:anonymous", port)},
                      dir + "/skopeo-anonymous.log");
    EXPECT_NE(anonymous.wait(), 0) << anonymous.log();
    if (!push(dir, "docker-archive:" + tar, "v2s2", port, "team/busybox:latest", "alice:secret")) {
      return 0;
    }
    return port;
  }

  std::unique_ptr<Process> registry_;
};

TEST_F(ImagesDistributionAuthTest, TheAgentsDockerConfigPullsFromAnHtpasswdRegistry) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  uint16_t port = startPrivateRegistry(cluster.dir());
  ASSERT_NE(port, 0);
  fs::path config = fs::path(cluster.dir()) / "docker-config.json";
  std::ofstream(config) << dockerConfig(port, "alice:secret");
  cluster.addAgent("cpus:4;mem:2048",
                   agentFlags(cluster.dir(), port, {"--docker_config=" + config.string()}));
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto done = runTasks(s, {{.id = "configured", .image = "team/busybox", .shell = false}});
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done["configured"].state(), v1::TASK_FINISHED) << done["configured"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "configured", "stdout"), "ID=private\nbehind htpasswd\n");
}

TEST_F(ImagesDistributionAuthTest, ImageCredentialsPullAndMissingOrWrongOnesFailCleanly) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  uint16_t port = startPrivateRegistry(cluster.dir());
  ASSERT_NE(port, 0);
  cluster.addAgent("cpus:4;mem:2048", agentFlags(cluster.dir(), port));
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto done = runTasks(s, {{.id = "missing", .image = "team/busybox", .shell = false},
                           {.id = "wrong",
                            .image = "team/busybox",
                            .shell = false,
                            .docker_config = dockerConfig(port, "alice:guess")}});
  ASSERT_EQ(done.size(), 2u);
  for (const char* id : {"missing", "wrong"}) {
    EXPECT_EQ(done[id].state(), v1::TASK_FAILED) << id;
    EXPECT_EQ(done[id].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED) << id;
    EXPECT_NE(done[id].message().find("authentication failed"), std::string::npos)
        << done[id].message();
  }
  EXPECT_NE(done["missing"].message().find("refused access (401); no credentials given"),
            std::string::npos)
      << done["missing"].message();
  EXPECT_NE(done["wrong"].message().find("refused access (401) with the credentials given"),
            std::string::npos)
      << done["wrong"].message();
  // Nothing was stored, half-written or whole.
  fs::path store = fs::path(cluster.dir()) / "store";
  for (const char* part : {"images", "layers", "staging", "partial"}) {
    EXPECT_EQ(entries(store / part), 0u) << part;
  }

  // The image's own credentials, on the same agent.
  done = runTasks(s, {{.id = "own",
                       .image = "team/busybox",
                       .shell = false,
                       .docker_config = dockerConfig(port, "alice:secret")}});
  EXPECT_EQ(done["own"].state(), v1::TASK_FINISHED) << done["own"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "own", "stdout"), "ID=private\nbehind htpasswd\n");
  EXPECT_EQ(entries(store / "images"), 1u);
}

}  // namespace
}  // namespace plateau::testing
