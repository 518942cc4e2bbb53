// Container images pulled over the registry v2 protocol by a real agent, from a small registry
// the test starts on loopback (tests/integration/registry_server.py: images built from
// busybox-static, blobs redirected, optional bearer-token auth, request counts).

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "http/client.h"
#include "images_helpers.h"
#include "registry_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

// `plateau agent show` lists the agent's stored images (asked of the agent).
void expectAgentShowsImage(Cluster& cluster, const std::string& line_part) {
  auto slaves = json::parse(cluster.get("/master/slaves"));
  ASSERT_TRUE(slaves && (*slaves)["slaves"].size() == 1);
  std::string log = cluster.dir() + "/agent-show.log";
  Process show("plateau-agent-show",
               {std::string(PLATEAU_BIN_DIR) + "/plateau", "agent", "show",
                (*slaves)["slaves"][0]["id"].asString(),
                fmt::format("--master=127.0.0.1:{}", cluster.master().port)},
               log);
  EXPECT_EQ(show.wait(), 0);
  std::string out = show.log();
  EXPECT_NE(out.find("image"), std::string::npos) << out;
  EXPECT_NE(out.find(line_part), std::string::npos) << out;
}

TEST_F(ImagesRegistryTest, PullsOverHttpReusesLayersAndRefetchesWhenNotCached) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestRegistry registry(cluster.dir());
  auto scheduler = startAgent(cluster, registry);
  ASSERT_TRUE(scheduler);
  Scheduler& s = *scheduler;
  // The image's Cmd prints /etc/motd; the os-release is the image's.
  // Two tasks of one image at once: one pull.
  auto done = runTasks(s, {{.id = "first", .image = "busybox", .shell = false},
                           {.id = "twin", .image = "busybox:latest", .shell = false}});
  ASSERT_TRUE(done.contains("first"));
  EXPECT_EQ(done["first"].state(), v1::TASK_FINISHED) << done["first"].message();
  EXPECT_EQ(done["twin"].state(), v1::TASK_FINISHED) << done["twin"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "first", "stdout"), "one\n");
  EXPECT_EQ(sandboxFile(cluster.dir(), "twin", "stdout"), "one\n");
  EXPECT_NE(cluster.agent(0).log().find("image_layer_pulled image=busybox:latest digest=sha256:"),
            std::string::npos);
  EXPECT_EQ(registry.requests("/v2/busybox/manifests/"), 1);
  EXPECT_EQ(registry.requests("/blobstore/"), 3);  // two layers and the config, redirected

  // The same image again: nothing is asked of the registry.
  done = runTasks(s, {{.id = "second", .image = "busybox:latest", .value = "cat /etc/os-release"}});
  EXPECT_EQ(done["second"].state(), v1::TASK_FINISHED) << done["second"].message();
  EXPECT_NE(sandboxFile(cluster.dir(), "second", "stdout").find("ID=registry-test"),
            std::string::npos);
  EXPECT_EQ(registry.requests("/v2/busybox/manifests/"), 1);
  EXPECT_EQ(registry.requests("/blobstore/"), 3);

  // The tag moves: cached=true keeps the stored image; cached=false fetches the manifest
  // afresh and downloads only what is new (the top layer and the config, not the base).
  ASSERT_TRUE(registry.retag("busybox", "latest", "v2"));
  done = runTasks(s, {{.id = "stale", .image = "busybox", .shell = false}});
  EXPECT_EQ(sandboxFile(cluster.dir(), "stale", "stdout"), "one\n");
  done = runTasks(s, {{.id = "fresh", .image = "busybox", .shell = false, .cached = false}});
  EXPECT_EQ(done["fresh"].state(), v1::TASK_FINISHED) << done["fresh"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "fresh", "stdout"), "two\n");
  EXPECT_EQ(registry.requests("/v2/busybox/manifests/"), 2);
  EXPECT_EQ(registry.requests("/blobstore/"), 5);
  EXPECT_EQ(entries(fs::path(cluster.dir()) / "store" / "layers"), 3u);
  auto snapshot =
      http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/metrics/snapshot"}, 5s);
  ASSERT_TRUE(snapshot);
  auto metrics = json::parse(snapshot->body);
  ASSERT_TRUE(metrics);
  EXPECT_EQ((*metrics)["containerizer/images/pulls"].asDouble(), 2.0);
  EXPECT_GT((*metrics)["containerizer/images/bytes_pulled"].asDouble(), 500000.0);  // busybox
  expectAgentShowsImage(cluster, "busybox:latest (2 layers, ");
}

TEST_F(ImagesRegistryTest, ManifestKindsAndBadImages) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestRegistry registry(cluster.dir());
  auto scheduler = startAgent(cluster, registry);
  ASSERT_TRUE(scheduler);
  Scheduler& s = *scheduler;
  const std::string show = "cat /etc/os-release; echo FROM=$FROM";
  auto done = runTasks(s, {{.id = "oci", .image = "oci", .value = show},
                           {.id = "schema1", .image = "schema1:latest", .value = show},
                           {.id = "corrupt", .image = "corrupt", .value = "true"},
                           {.id = "missing", .image = "nothing:here", .value = "true"}});
  ASSERT_EQ(done.size(), 4u);
  // The index lists arm64 first: amd64 is picked.
  EXPECT_EQ(done["oci"].state(), v1::TASK_FINISHED) << done["oci"].message();
  std::string oci = sandboxFile(cluster.dir(), "oci", "stdout");
  EXPECT_NE(oci.find("ID=registry-test"), std::string::npos) << oci;
  EXPECT_EQ(oci.find("wrong-arm"), std::string::npos) << oci;
  EXPECT_EQ(done["schema1"].state(), v1::TASK_FINISHED) << done["schema1"].message();
  EXPECT_NE(sandboxFile(cluster.dir(), "schema1", "stdout").find("FROM=schema1"),
            std::string::npos);
  EXPECT_EQ(done["corrupt"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["corrupt"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(done["corrupt"].message().find("digest mismatch"), std::string::npos)
      << done["corrupt"].message();
  EXPECT_EQ(done["missing"].state(), v1::TASK_FAILED);
  EXPECT_NE(done["missing"].message().find("not found (404)"), std::string::npos)
      << done["missing"].message();
  // Nothing of the corrupt layer was kept.
  EXPECT_TRUE(fs::is_empty(fs::path(cluster.dir()) / "store" / "staging"));
}

TEST_F(ImagesRegistryTest, BearerTokensAnonymousAndWithCredentials) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestRegistry registry(cluster.dir(), {"--auth", "alice:secret"});
  auto scheduler = startAgent(cluster, registry);
  ASSERT_TRUE(scheduler);
  Scheduler& s = *scheduler;
  auto done = runTasks(s, {{.id = "anonymous", .image = "busybox", .shell = false},
                           {.id = "no-credentials", .image = "private/busybox", .shell = false},
                           {.id = "wrong",
                            .image = "private/busybox",
                            .shell = false,
                            .cached = false,
                            .docker_config = dockerConfig(registry.port(), "alice:guess")}});
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done["anonymous"].state(), v1::TASK_FINISHED) << done["anonymous"].message();
  EXPECT_EQ(done["no-credentials"].state(), v1::TASK_FAILED);
  EXPECT_NE(done["no-credentials"].message().find("refused access (401); no credentials given"),
            std::string::npos)
      << done["no-credentials"].message();
  EXPECT_EQ(done["wrong"].state(), v1::TASK_FAILED);
  EXPECT_NE(done["wrong"].message().find("refused access (401) with the credentials given"),
            std::string::npos)
      << done["wrong"].message();
  // The image's own credentials.
  done = runTasks(s, {{.id = "own",
                       .image = "private/busybox",
                       .shell = false,
                       .docker_config = dockerConfig(registry.port(), "alice:secret")}});
  EXPECT_EQ(done["own"].state(), v1::TASK_FINISHED) << done["own"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "own", "stdout"), "one\n");
}

TEST_F(ImagesRegistryTest, AgentDockerConfigGivesCredentials) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestRegistry registry(cluster.dir(), {"--auth", "alice:secret"});
  fs::path config = fs::path(cluster.dir()) / "docker-config.json";
  std::ofstream(config) << dockerConfig(registry.port(), "alice:secret");
  auto scheduler = startAgent(cluster, registry, {"--docker_config=" + config.string()});
  ASSERT_TRUE(scheduler);
  Scheduler& s = *scheduler;
  auto done = runTasks(s, {{.id = "private", .image = "private/busybox", .shell = false}});
  EXPECT_EQ(done["private"].state(), v1::TASK_FINISHED) << done["private"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "private", "stdout"), "one\n");
}

// An https registry with a certificate made for the test: refused until the agent trusts it
// (OpenSSL's SSL_CERT_FILE), then pulled from.
TEST_F(ImagesRegistryTest, HttpsRegistryIsVerifiedAgainstTheTrustStore) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  const std::string cert = cluster.dir() + "/registry-cert.pem";
  const std::string key = cluster.dir() + "/registry-key.pem";
  std::string command = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout {} -out {} >/dev/null 2>&1",
      key, cert);
  if (std::system(command.c_str()) != 0) {
    GTEST_SKIP() << "the openssl program could not make a certificate";
  }
  TestRegistry registry(cluster.dir(), {"--tls", cert, key});
  auto scheduler = startAgent(cluster, registry);
  ASSERT_TRUE(scheduler);
  auto done = runTasks(*scheduler, {{.id = "untrusted", .image = "busybox", .shell = false}});
  EXPECT_EQ(done["untrusted"].state(), v1::TASK_FAILED);
  EXPECT_NE(done["untrusted"].message().find("TLS handshake failed"), std::string::npos)
      << done["untrusted"].message();

  ::setenv("SSL_CERT_FILE", cert.c_str(), 1);
  cluster.restartAgent(0, SIGTERM);
  ::unsetenv("SSL_CERT_FILE");
  // An offer made before the restart may be rescinded under the launch: then a fresh one.
  std::string id;
  v1::TaskStatus trusted = runAfterRestart(*scheduler, "trusted", "busybox", &id);
  EXPECT_EQ(trusted.state(), v1::TASK_FINISHED) << trusted.message();
  EXPECT_EQ(sandboxFile(cluster.dir(), id, "stdout"), "one\n");
}

}  // namespace
}  // namespace plateau::testing
