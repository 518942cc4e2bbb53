#include "agent/images/registry_protocol.h"

#include <gtest/gtest.h>

#include "common/base64.h"

namespace plateau::agent::images {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

TEST(RegistryUrl, ParsesSchemesPortsAndPaths) {
  auto https = parseRegistryUrl("https://registry-1.docker.io");
  ASSERT_TRUE(https);
  EXPECT_TRUE(https->https);
  EXPECT_EQ(https->port, "443");
  EXPECT_EQ(https->path, "/");
  EXPECT_EQ(https->authority(), "registry-1.docker.io");
  auto http = parseRegistryUrl("http://127.0.0.1:5000/token?x=1");
  ASSERT_TRUE(http);
  EXPECT_FALSE(http->https);
  EXPECT_EQ(http->authority(), "127.0.0.1:5000");
  EXPECT_EQ(http->path, "/token?x=1");
  EXPECT_FALSE(parseRegistryUrl("ftp://host"));
  EXPECT_FALSE(parseRegistryUrl("http://host:x/"));
  EXPECT_FALSE(parseRegistryUrl("http:///path"));
  auto moved = resolveLocation(*http, "/blobstore/x");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->str(), "http://127.0.0.1:5000/blobstore/x");
  auto away = resolveLocation(*http, "https://cdn.example/b");
  ASSERT_TRUE(away);
  EXPECT_EQ(away->str(), "https://cdn.example/b");
}

TEST(RegistryChallenge, ParsesBearerAndBasic) {
  auto bearer = parseChallenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->scheme, "bearer");
  EXPECT_EQ(bearer->params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(bearer->params["service"], "registry.docker.io");
  EXPECT_EQ(bearer->params["scope"], "repository:library/busybox:pull");
  auto basic = parseChallenge("Basic realm=registry");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_EQ(basic->params["realm"], "registry");
  EXPECT_FALSE(parseChallenge("  "));
}

TEST(RegistryCredentials, FindsAuthByRegistry) {
  std::string config = R"({"auths":{"https://index.docker.io/v1/":{"auth":")" +
                       base64::encode("hub:pw") + R"("},"127.0.0.1:5000":{"auth":")" +
                       base64::encode("me:p:w") +
                       R"("},"https://other.example":{"username":"u","password":"v"}}})";
  auto local = credentialsFor(config, "127.0.0.1:5000");
  ASSERT_TRUE(local && *local);
  EXPECT_EQ((*local)->username, "me");
  EXPECT_EQ((*local)->password, "p:w");
  auto hub = credentialsFor(config, "registry-1.docker.io");
  ASSERT_TRUE(hub && *hub);
  EXPECT_EQ((*hub)->username, "hub");
  auto other = credentialsFor(config, "other.example");
  ASSERT_TRUE(other && *other);
  EXPECT_EQ((*other)->password, "v");
  auto none = credentialsFor(config, "127.0.0.1:6000");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_FALSE(credentialsFor("not json", "x"));
  EXPECT_FALSE(credentialsFor(R"({"auths":{"x":{"auth":"bm9jb2xvbg=="}}})", "x"));  // "nocolon"
}

TEST(RegistryToken, ReadsTokenOrAccessToken) {
  EXPECT_EQ(*tokenFromResponse(R"({"token":"t1"})"), "t1");
  EXPECT_EQ(*tokenFromResponse(R"({"access_token":"t2"})"), "t2");
  EXPECT_FALSE(tokenFromResponse(R"({"other":1})"));
}

TEST(RegistryManifest, Schema2AndOciListLayersBottomFirst) {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"digest":")" +
      kC + R"("},"layers":[{"digest":")" + kA + R"("},{"digest":")" + kB + R"("}]})";
  auto m = parseManifest("application/vnd.docker.distribution.manifest.v2+json", body);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_FALSE(m->platform_manifest);
  EXPECT_EQ(m->layers, (std::vector<std::string>{kA, kB}));
  EXPECT_EQ(m->config_digest, kC);
  // Without a useful Content-Type the mediaType decides.
  auto oci = parseManifest("application/json", body);
  ASSERT_TRUE(oci);
  EXPECT_EQ(oci->layers.size(), 2u);
  EXPECT_FALSE(parseManifest("", R"({"schemaVersion":2,"layers":[]})"));
  EXPECT_FALSE(parseManifest("", R"({"schemaVersion":2,"config":{"digest":"md5:x"},"layers":[]})"));
}

TEST(RegistryManifest, ForeignLayersKeepTheirUrls) {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"digest":")" +
      kC + R"("},"layers":[{"digest":")" + kA +
      R"(","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","urls":["http://x/a"]},
    {"digest":")" +
      kB +
      R"(","mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
     "urls":["https://cdn.example/b", 7]}]})";
  auto m = parseManifest("application/vnd.oci.image.manifest.v1+json", body);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->layers, (std::vector<std::string>{kA, kB}));
  // Only a foreign (non-distributable) layer is fetched from its URLs; strings only.
  ASSERT_EQ(m->foreign_urls.size(), 1u);
  EXPECT_EQ(m->foreign_urls[kB], (std::vector<std::string>{"https://cdn.example/b"}));
}

TEST(RegistryManifest, IndexPicksThePlatform) {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
    "manifests":[{"digest":")" +
                     kA + R"(","platform":{"os":"linux","architecture":"arm64"}},
                 {"digest":")" +
                     kB + R"(","platform":{"os":"linux","architecture":"amd64"}}]})";
  auto m = parseManifest("application/vnd.oci.image.index.v1+json", body);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->platform_manifest, kB);
  auto missing = parseManifest("application/vnd.oci.image.index.v1+json", body, "linux", "s390x");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find("linux/arm64, linux/amd64"), std::string::npos)
      << missing.error().message();
}

TEST(RegistryManifest, Schema1ReversesLayersAndReadsTheConfig) {
  std::string body = R"({"schemaVersion":1,"fsLayers":[{"blobSum":")" + kB + R"("},{"blobSum":")" +
                     kA + R"("},{"blobSum":")" + kB + R"("}],
    "history":[{"v1Compatibility":"{\"config\":{\"Cmd\":[\"/bin/sh\"],\"Env\":[\"A=1\"]}}"}]})";
  auto m = parseManifest("application/vnd.docker.distribution.manifest.v1+prettyjws", body);
  ASSERT_TRUE(m) << m.error().message();
  // Bottom first; the repeated digest keeps its topmost place.
  EXPECT_EQ(m->layers, (std::vector<std::string>{kA, kB}));
  ASSERT_TRUE(m->config);
  EXPECT_EQ(m->config->cmd, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_EQ(m->config->env, (std::vector<std::string>{"A=1"}));
}

TEST(RegistryManifest, DigestsMustBeSha256Hex) {
  EXPECT_TRUE(isSha256Digest(kA));
  EXPECT_FALSE(isSha256Digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(isSha256Digest("sha256:abc"));
  EXPECT_FALSE(isSha256Digest("sha512:" + std::string(64, 'a')));
}

}  // namespace
}  // namespace plateau::agent::images
