#include "agent/images/docker_archive.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "agent/images/store.h"
#include "fakes/docker_save_writer.h"

namespace plateau::agent::images {
namespace {

namespace fs = std::filesystem;

json::Value layers(const char* text) { return *json::parse(text); }

TEST(DockerArchiveTest, TopLayerComesFromRepositories) {
  auto repos = *json::parse(R"({"busybox":{"latest":"top","1":"old"}})");
  EXPECT_EQ(*topLayer(repos, *parseImageRef("busybox")), "top");
  EXPECT_EQ(*topLayer(repos, *parseImageRef("busybox:1")), "old");
  auto missing = topLayer(repos, *parseImageRef("busybox:2"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find("tag '2'"), std::string::npos);
  EXPECT_FALSE(topLayer(repos, *parseImageRef("nginx")));
}

TEST(DockerArchiveTest, ChainFollowsParentsBottomFirst) {
  std::map<std::string, json::Value> json = {
      {"c", layers(R"({"parent":"b"})")}, {"b", layers(R"({"parent":"a"})")}, {"a", layers("{}")}};
  EXPECT_EQ(*layerChain("c", json), (std::vector<std::string>{"a", "b", "c"}));
  json["a"] = layers(R"({"parent":"c"})");
  EXPECT_FALSE(layerChain("c", json));
  json.erase("a");
  auto missing = layerChain("c", json);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("layer 'a'"), std::string::npos);
}

TEST(DockerArchiveTest, DiffIdsMustMatchTheLayersBytes) {
  std::vector<LayerFile> files = {{"a", "", "sha256:1"}, {"b", "", "sha256:2"}};
  EXPECT_TRUE(
      verifyDiffIds(files, layers(R"({"rootfs":{"diff_ids":["sha256:1","sha256:2"]}})")).isOk());
  Status s = verifyDiffIds(files, layers(R"({"rootfs":{"diff_ids":["sha256:1","sha256:3"]}})"));
  EXPECT_NE(s.message().find("digest mismatch: layer 'b'"), std::string::npos) << s.message();
  EXPECT_FALSE(verifyDiffIds(files, layers(R"({"rootfs":{"diff_ids":["sha256:1"]}})")).isOk());
  EXPECT_TRUE(verifyDiffIds(files, layers("{}")).isOk());
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-store-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(StoreTest, ConcurrentGetsPullOnceAndLayersAreSharedBetweenImages) {
  testing::TestImage one;
  one.tag = "one";
  one.layers = {{testing::fileEntry("base", "b")}, {testing::fileEntry("one", "1")}};
  testing::TestImage two = one;
  two.tag = "two";
  two.layers[1] = {testing::fileEntry("two", "2")};
  ASSERT_FALSE(testing::writeDockerSave(dir_ + "/registry", one).empty());
  ASSERT_FALSE(testing::writeDockerSave(dir_ + "/registry", two).empty());
  Store store(dir_ + "/store", dir_ + "/registry");
  ASSERT_TRUE(store.initialize().isOk());
  std::vector<std::thread> threads;
  std::vector<Result<StoredImage>> results(6, notFound("unset"));
  for (size_t i = 0; i < results.size(); i++) {
    threads.emplace_back(
        [&, i] { results[i] = store.get(*parseImageRef(i % 2 ? "busybox:one" : "busybox:two")); });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().message();
  }
  StoreStats stats = store.stats();
  EXPECT_EQ(stats.pulls, 2u);
  EXPECT_EQ(stats.pulls + stats.cache_hits + stats.pulls_joined, 6u);
  EXPECT_EQ(stats.layers_unpacked + stats.layers_reused, 4u);
  EXPECT_EQ(stats.layers_unpacked, 3u);  // the base layer once
  EXPECT_EQ(results[0]->layers[0], results[1]->layers[0]);
  EXPECT_TRUE(fs::is_empty(dir_ + "/store/staging"));
  // A fresh pull (cached: false) reads the tarball again and reuses the stored layers.
  ASSERT_TRUE(store.get(*parseImageRef("busybox:one"), false));
  EXPECT_EQ(store.stats().pulls, 3u);
}

TEST_F(StoreTest, AFailedPullLeavesNothingTrusted) {
  testing::TestImage bad;
  bad.tag = "bad";
  bad.layers = {{testing::fileEntry("ok", "x")}, {testing::fileEntry("../../up", "x")}};
  ASSERT_FALSE(testing::writeDockerSave(dir_ + "/registry", bad).empty());
  Store store(dir_ + "/store", dir_ + "/registry");
  ASSERT_TRUE(store.initialize().isOk());
  auto r = store.get(*parseImageRef("busybox:bad"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("escapes the layer's root"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir_ + "/store/images"));
  EXPECT_TRUE(fs::is_empty(dir_ + "/store/staging"));
  EXPECT_EQ(store.stats().pull_failures, 1u);
  // Leftovers of a killed pull are dropped by the next store.
  fs::create_directories(dir_ + "/store/staging/half-written/rootfs");
  Store again(dir_ + "/store", dir_ + "/registry");
  ASSERT_TRUE(again.initialize().isOk());
  EXPECT_TRUE(fs::is_empty(dir_ + "/store/staging"));
}

TEST_F(StoreTest, AnUnreachableRegistryFailsThePullNamingIt) {
  Store store(dir_ + "/store", "http://127.0.0.1:1");  // nothing listens on port 1
  ASSERT_TRUE(store.initialize().isOk());
  auto r = store.get(*parseImageRef("busybox"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.error().message().find("Failed to pull image 'busybox:latest': GET "
                                     "http://127.0.0.1:1/v2/busybox/manifests/latest"),
            std::string::npos)
      << r.error().message();
  EXPECT_TRUE(fs::is_empty(dir_ + "/store/staging"));
}

}  // namespace
}  // namespace plateau::agent::images
