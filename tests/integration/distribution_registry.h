#pragma once

// The fixture of the tests against Debian's docker-registry (the distribution registry, started
// on a loopback port, with htpasswd authentication when asked) and images pushed to it with
// Debian's skopeo. Skipped where the two packages are not installed (`./dev deps` installs
// them).

#include <crypt.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.h"
#include "images_helpers.h"

namespace plateau::testing {

class ImagesDistributionTest : public ImageTest {
 protected:
  void SetUp() override {
    ImageTest::SetUp();
    if (!IsSkipped() && (!std::filesystem::exists("/usr/bin/docker-registry") ||
                         !std::filesystem::exists("/usr/bin/skopeo"))) {
      GTEST_SKIP() << "Debian's docker-registry and skopeo are not installed";
    }
  }

  // Writes an htpasswd file of one user (bcrypt, as docker-registry requires; cost 5, the
  // registry checks it on every request); false on error.
  static bool writeHtpasswd(const std::string& path, const std::string& user,
                            const std::string& password) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (::crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof(salt)) == nullptr) {
      return false;
    }
    crypt_data data{};
    const char* hash = ::crypt_r(password.c_str(), salt, &data);
    if (hash == nullptr || hash[0] != '$') {
      return false;
    }
    std::ofstream(path) << user << ':' << hash << '\n';
    return true;
  }

  // Starts docker-registry on a free loopback port (asking for Basic authentication against
  // `htpasswd` when it is not empty); its port, 0 when it did not come up.
  static uint16_t startRegistry(const std::string& dir, std::unique_ptr<Process>* process,
                                const std::string& htpasswd = "") {
    uint16_t port = freePort();
    std::string config = dir + "/docker-registry.yml";
    std::ofstream(config) << fmt::format(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}/docker-registry\n"
        "http:\n  addr: 127.0.0.1:{}\n{}",
        dir, port,
        htpasswd.empty()
            ? std::string()
            : fmt::format("auth:\n  htpasswd:\n    realm: plateau-test\n    path: {}\n", htpasswd));
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

  // skopeo copy of `source` (a skopeo transport: "docker-archive:PATH", "oci:DIR:TAG") to the
  // registry, in `format` (v2s2 or oci), with `credentials` ("user:password") when not empty.
  static bool push(const std::string& dir, const std::string& source, const std::string& format,
                   uint16_t port, const std::string& reference,
                   const std::string& credentials = "") {
    std::vector<std::string> argv = {"/usr/bin/skopeo",
                                     "--insecure-policy",
                                     "copy",
                                     "--dest-tls-verify=false",
                                     "--format",
                                     format,
                                     source,
                                     fmt::format("docker://127.0.0.1:{}/{}", port, reference)};
    if (!credentials.empty()) {
      argv.insert(argv.begin() + 4, "--dest-creds=" + credentials);
    }
    Process skopeo("skopeo", argv, dir + "/skopeo.log");
    int status = skopeo.wait();
    EXPECT_EQ(status, 0) << skopeo.log();
    return status == 0;
  }

  // The file holding blob `digest` in the registry's storage (its filesystem driver's layout).
  static std::string storedBlob(const std::string& dir, const std::string& digest) {
    std::string hex = digest.substr(digest.find(':') + 1);
    return fmt::format("{}/docker-registry/docker/registry/v2/blobs/sha256/{}/{}/data", dir,
                       hex.substr(0, 2), hex);
  }

  // The agent flags pulling from the registry on `port`, plus `extra`.
  static std::vector<std::string> agentFlags(const std::string& dir, uint16_t port,
                                             std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {
        "--image_providers=docker", fmt::format("--docker_registry=http://127.0.0.1:{}", port),
        "--docker_store_dir=" + dir + "/store", "--isolation=filesystem/linux,docker/runtime"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
  }
};

}  // namespace plateau::testing
