// Real parts, as issue 16 asks: Debian's docker-registry (the distribution registry) started on
// a loopback port, test-built images pushed to it with Debian's skopeo, pulled and run by a real
// agent: a two-layer image with a whiteout as Docker schema 2 and as OCI, and an OCI image whose
// base layer is zstd-compressed (application/vnd.oci.image.layer.v1.tar+zstd), whole and with
// its stored bytes corrupted. Skipped where the two packages are not installed.

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "distribution_registry.h"
#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "http/client.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";

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
  ASSERT_TRUE(push(cluster.dir(), "docker-archive:" + tar, "v2s2", port, "busybox:latest"));
  ASSERT_TRUE(push(cluster.dir(), "docker-archive:" + tar, "oci", port, "oci/busybox:latest"));

  cluster.addAgent("cpus:4;mem:2048", agentFlags(cluster.dir(), port));
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

class ImagesDistributionZstdTest : public ImagesDistributionTest {
 protected:
  // An OCI image whose base layer (busybox and a script) is zstd-compressed and whose top layer
  // is gzip, built by the test as an OCI layout; the layer descriptors of `repository`'s manifest
  // as the registry serves it.
  static json::Value pushZstdImage(const std::string& dir, uint16_t port,
                                   const std::string& repository, const std::string& os_release) {
    TestImage image;
    auto base = busyboxLayer(os_release);
    base.push_back(fileEntry("bin/from-zstd", "#!/bin/sh\necho ran from the zstd layer\n", 0755));
    image.layers = {base, {dirEntry("etc"), fileEntry("etc/motd", "gzip above\n")}};
    fs::path layout =
        fs::path(dir) / ("oci-" + std::to_string(std::hash<std::string>{}(repository)));
    if (!writeOciLayout(layout, image, {TarCompression::kZstd, TarCompression::kGzip})) {
      ADD_FAILURE() << "the OCI layout could not be written";
      return json::Array{};
    }
    if (!push(dir, "oci:" + layout.string() + ":latest", "oci", port, repository + ":latest")) {
      return json::Array{};
    }
    http::ClientRequest request{.method = "GET",
                                .path = fmt::format("/v2/{}/manifests/latest", repository)};
    request.headers["accept"] = kOciManifest;
    auto answer = http::fetchSync({"127.0.0.1", port}, std::move(request), 5s);
    auto doc = json::parse(answer ? answer->body : std::string());
    if (!doc || doc->find("layers") == nullptr) {
      ADD_FAILURE() << "no manifest for " << repository;
      return json::Array{};
    }
    return (*doc)["layers"];
  }
};

TEST_F(ImagesDistributionZstdTest, AZstdLayerPushedWithSkopeoRunsAndACorruptOneFailsTheTask) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  std::unique_ptr<Process> registry;
  uint16_t port = startRegistry(cluster.dir(), &registry);
  ASSERT_NE(port, 0) << registry->log();
  json::Value layers = pushZstdImage(cluster.dir(), port, "zstd/busybox", "ID=zstd\n");
  json::Value corrupt = pushZstdImage(cluster.dir(), port, "zstd/corrupt", "ID=corrupt\n");
  ASSERT_EQ(layers.size(), 2u);
  ASSERT_EQ(corrupt.size(), 2u);
  // skopeo kept the layers as they were: the registry serves a zstd one.
  EXPECT_EQ(layers[0]["mediaType"].asString(), "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(layers[1]["mediaType"].asString(), "application/vnd.oci.image.layer.v1.tar+gzip");
  // The second image's zstd layer rots in the registry's storage (same size, one byte changed).
  const std::string bad = corrupt[0]["digest"].asString();
  {
    std::fstream data(storedBlob(cluster.dir(), bad),
                      std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(data.good()) << storedBlob(cluster.dir(), bad);
    const auto middle = static_cast<std::streamoff>(corrupt[0]["size"].asDouble() / 2);
    data.seekg(middle);
    const char byte = static_cast<char>(data.get() ^ 0xff);
    data.seekp(middle);
    data.put(byte);
  }

  cluster.addAgent("cpus:4;mem:2048", agentFlags(cluster.dir(), port));
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto done = runTasks(
      s,
      {{.id = "zstd", .image = "zstd/busybox", .value = "from-zstd; cat /etc/os-release /etc/motd"},
       {.id = "corrupt", .image = "zstd/corrupt", .value = "from-zstd"}});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["zstd"].state(), v1::TASK_FINISHED) << done["zstd"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "zstd", "stdout"),
            "ran from the zstd layer\nID=zstd\ngzip above\n");
  EXPECT_EQ(done["corrupt"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["corrupt"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  const std::string& message = done["corrupt"].message();
  EXPECT_NE(message.find("digest mismatch"), std::string::npos) << message;
  EXPECT_NE(message.find(bad), std::string::npos) << message;
  // Nothing of the corrupt layer was kept, nor a record of its image; the good image's two
  // layers and record are stored.
  fs::path store = fs::path(cluster.dir()) / "store";
  EXPECT_FALSE(fs::exists(store / "layers" / bad.substr(7)));
  EXPECT_EQ(entries(store / "layers"), 2u);
  EXPECT_EQ(entries(store / "images"), 1u);
  EXPECT_EQ(entries(store / "staging"), 0u);
  EXPECT_EQ(entries(store / "partial"), 0u);
}

}  // namespace
}  // namespace plateau::testing
