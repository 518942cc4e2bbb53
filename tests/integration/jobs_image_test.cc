// plateau-jobs runs a job inside a container image (Chronos 3.0's `container`, MESOS and DOCKER
// types) on an agent with image support: the job's command sees the image's /etc/os-release, not
// the host's. Needs root and Debian's busybox-static (the test image's base), as the agent's
// own image tests do.

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "jobs_runs.h"

namespace plateau::testing {
namespace {

TEST(JobsImageTest, AJobRunsInItsContainerImage) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "container images need root (mount namespaces, pivot_root)";
  }
  if (!std::filesystem::exists("/bin/busybox")) {
    GTEST_SKIP() << "Debian's busybox-static is not installed";
  }
  Cluster cluster;
  std::string registry = cluster.dir() + "/registry";
  TestImage image;
  image.tag = "jobs";
  image.layers.push_back(busyboxLayer("ID=jobs-image\n"));
  ASSERT_FALSE(writeDockerSave(registry, image).empty());
  cluster.addAgent("cpus:4;mem:2048", {"--image_providers=docker", "--docker_registry=" + registry,
                                       "--docker_store_dir=" + cluster.dir() + "/store",
                                       "--isolation=filesystem/linux,docker/runtime"});
  Process jobs("jobs",
               {std::string(PLATEAU_BIN_DIR) + "/plateau-jobs",
                fmt::format("--master={}", cluster.master().toString()), "--http_address=127.0.0.1",
                "--http_port=0", "--mesos_task_mem=32", "--mesos_task_disk=0"},
               cluster.dir() + "/jobs.log");
  uint16_t port = jobs.reportedPort("jobs_started");
  ASSERT_NE(port, 0) << jobs.log();

  // Succeeds only where /etc/os-release is the image's.
  const std::string check = R"(test \"$(cat /etc/os-release)\" = ID=jobs-image)";
  for (const char* type : {"MESOS", "DOCKER"}) {
    auto posted = callJobs(port, "POST", "/v1/scheduler/iso8601",
                           fmt::format(R"({{"name": "in-{}", "command": "{}", "retries": 0,
                                           "schedule": "R1//PT1H",
                                           "container": {{"type": "{}", "image": "busybox:jobs"}}}})",
                                       type, check, type));
    ASSERT_EQ(posted.status, 204) << posted.body;
  }
  auto host = callJobs(port, "POST", "/v1/scheduler/iso8601",
                       fmt::format(R"({{"name": "on-host", "command": "{}", "retries": 0,
                                       "schedule": "R1//PT1H"}})",
                                   check));
  ASSERT_EQ(host.status, 204) << host.body;

  auto counts = [&](const std::string& name) {
    auto job = json::parse(callJobs(port, "GET", "/v1/scheduler/job/" + name).body);
    return job ? std::pair{(*job)["successCount"].toInt64().value_or(0),
                           (*job)["errorCount"].toInt64().value_or(0)}
               : std::pair<int64_t, int64_t>{0, 0};
  };
  ASSERT_TRUE(eventually(
      [&] {
        return counts("in-MESOS").first + counts("in-MESOS").second > 0 &&
               counts("in-DOCKER").first + counts("in-DOCKER").second > 0 &&
               counts("on-host").first + counts("on-host").second > 0;
      },
      60s))
      << jobs.log();
  EXPECT_EQ(counts("in-MESOS"), (std::pair<int64_t, int64_t>{1, 0}))
      << callJobs(port, "GET", "/v1/scheduler/job/stat/in-MESOS").body;
  EXPECT_EQ(counts("in-DOCKER"), (std::pair<int64_t, int64_t>{1, 0}))
      << callJobs(port, "GET", "/v1/scheduler/job/stat/in-DOCKER").body;
  EXPECT_EQ(counts("on-host"), (std::pair<int64_t, int64_t>{0, 1})) << "the host's differs";
}

}  // namespace
}  // namespace plateau::testing
