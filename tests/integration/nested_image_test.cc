// A command run by `plateau task exec` in a task that runs in a container image: it sees the
// image's root filesystem and the task's sandbox, not the host's.

#include <gtest/gtest.h>

#include "cli_run.h"
#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

TEST_F(ImageTest, TaskExecRunsInTheTasksImage) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  ASSERT_NO_FATAL_FAILURE(
      addImageAgent(cluster, "exec", "NAME=\"Plateau Exec Image\"\nID=plateau-exec\n"));
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(startTask(s, {.id = "boxed",
                            .image = "busybox:exec",
                            .value = "echo ready > $MESOS_SANDBOX/ready; sleep 1000"}));
  ASSERT_TRUE(
      eventually([&] { return sandboxFile(cluster.dir(), "boxed", "ready") == "ready\n"; }));
  auto run =
      runPlateau(cluster, {"task", "exec", "--master=" + cluster.master().toString(), "boxed", "--",
                           "sh", "-c", "cat /etc/os-release; pwd; cat ready"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("ID=plateau-exec"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("/mnt/mesos/sandbox\nready\n"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace plateau::testing
