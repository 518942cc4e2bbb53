// Container images with a real master and agent: test-built images in `docker save` layout in a
// --docker_registry folder (busybox-static inside), pulled into the agent's store, a rootfs per
// container, the task run inside it; bad images fail their task with the cause.

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/task_state.h"
#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOsRelease = "NAME=\"Plateau Test Image\"\nID=plateau-test\n";

class ImagesTest : public ImageTest {
 protected:
  // A two-layer busybox image: the top layer whites out a file and makes a folder opaque.
  static TestImage busybox(const std::string& tag, json::Value config = json::Object{}) {
    TestImage image;
    image.tag = tag;
    auto base = busyboxLayer(kOsRelease);
    base.push_back(fileEntry("etc/removed-above", "gone\n"));
    base.push_back(dirEntry("opq"));
    base.push_back(fileEntry("opq/old", "old\n"));
    image.layers.push_back(base);
    image.layers.push_back({dirEntry("etc"), fileEntry("etc/.wh.removed-above", ""),
                            dirEntry("opq"), fileEntry("opq/.wh..wh..opq", ""),
                            fileEntry("opq/new", "new\n"), fileEntry("etc/motd", "top layer\n")});
    image.config = std::move(config);
    return image;
  }

  size_t startAgent(Cluster& cluster, const std::string& registry,
                    const std::string& backend = "") {
    std::vector<std::string> flags = {"--image_providers=docker", "--docker_registry=" + registry,
                                      "--docker_store_dir=" + cluster.dir() + "/store",
                                      "--isolation=filesystem/linux,docker/runtime"};
    if (!backend.empty()) {
      flags.push_back("--image_provisioner_backend=" + backend);
    }
    return cluster.addAgent("cpus:4;mem:2048", flags);
  }
};

void runsInsideTheImage(Cluster& cluster, Scheduler& s, const v1::Offer& offer) {
  launch(s, offer,
         {{.id = "os",
           .image = "busybox:layers",
           .value = "cat /etc/os-release; test ! -e /etc/removed-above && echo whiteout-ok; "
                    "ls /opq; echo sandbox=$MESOS_SANDBOX; pwd; echo written > "
                    "$MESOS_SANDBOX/from-inside"}});
  auto done = terminalUpdates(s, {"os"});
  ASSERT_TRUE(done.contains("os"));
  std::string out = sandboxFile(cluster.dir(), "os", "stdout");
  EXPECT_EQ(done["os"].state(), v1::TASK_FINISHED) << done["os"].message() << "\nstdout:\n"
                                                   << out << "\nstderr:\n"
                                                   << sandboxFile(cluster.dir(), "os", "stderr");
  EXPECT_NE(out.find("ID=plateau-test"), std::string::npos) << out;
  EXPECT_EQ(out.find("ID=debian"), std::string::npos) << out;
  EXPECT_NE(out.find("whiteout-ok"), std::string::npos) << out;
  EXPECT_NE(out.find("new"), std::string::npos) << out;
  EXPECT_EQ(out.find("old"), std::string::npos) << out;
  EXPECT_NE(out.find("sandbox=/mnt/mesos/sandbox\n/mnt/mesos/sandbox\n"), std::string::npos) << out;
  EXPECT_EQ(sandboxFile(cluster.dir(), "os", "from-inside"), "written\n");
}

TEST_F(ImagesTest, TaskSeesTheImagesFilesNotTheHosts) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  fs::path registry = fs::path(cluster.dir()) / "registry";
  ASSERT_FALSE(writeDockerSave(registry, busybox("layers")).empty());
  startAgent(cluster, registry.string());
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  runsInsideTheImage(cluster, s, offers->offers().offers(0));
}

TEST_F(ImagesTest, CopyBackendAppliesWhiteoutsToo) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  fs::path registry = fs::path(cluster.dir()) / "registry";
  ASSERT_FALSE(writeDockerSave(registry, busybox("layers")).empty());
  startAgent(cluster, registry.string(), "copy");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  runsInsideTheImage(cluster, s, offers->offers().offers(0));
}

// The host's /etc/hosts, /etc/resolv.conf and /etc/hostname replace the image's own (a file, an
// absolute symbolic link, a folder) in the container only: the stored layer keeps its files, and
// nothing of the pivot to the new root is left in it.
void hostEtcFilesReplaceTheImages(Cluster& cluster, Scheduler& s) {
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0),
         {{.id = "etc",
           .image = "busybox:etc",
           .value = "cat /etc/hosts /etc/hostname; test -f /etc/resolv.conf && echo resolv-file; "
                    "ls -a /"}});
  auto done = terminalUpdates(s, {"etc"});
  std::string out = sandboxFile(cluster.dir(), "etc", "stdout");
  EXPECT_EQ(done["etc"].state(), v1::TASK_FINISHED) << done["etc"].message() << out;
  EXPECT_EQ(out.substr(0, out.find("resolv-file")),
            readWholeFile("/etc/hosts") + readWholeFile("/etc/hostname"));
  EXPECT_NE(out.find("resolv-file\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("pivot"), std::string::npos) << out;
  size_t kept = 0;
  for (const auto& layer : fs::directory_iterator(fs::path(cluster.dir()) / "store" / "layers")) {
    fs::path etc = layer.path() / "rootfs" / "etc";
    if (fs::exists(etc / "hosts")) {
      EXPECT_EQ(readWholeFile(etc / "hosts"), "image's own\n");
      EXPECT_TRUE(fs::is_symlink(etc / "hostname"));
      EXPECT_TRUE(fs::is_directory(etc / "resolv.conf"));
      kept++;
    }
  }
  EXPECT_EQ(kept, 1u);
}

TEST_F(ImagesTest, HostEtcFilesReplaceTheImagesOnOverlayAndCopy) {
  if (!fs::exists("/etc/hosts") || !fs::exists("/etc/hostname")) {
    GTEST_SKIP() << "the host has no /etc/hosts or /etc/hostname";
  }
  for (const char* backend : {"overlay", "copy"}) {
    SCOPED_TRACE(backend);
    Cluster cluster;
    MountGuard guard(cluster.dir());
    fs::path registry = fs::path(cluster.dir()) / "registry";
    TestImage image = busybox("etc");
    image.layers.back().push_back(fileEntry("etc/hosts", "image's own\n"));
    image.layers.back().push_back(symlinkEntry("etc/hostname", "/proc/self/root/etc/shadow"));
    image.layers.back().push_back(dirEntry("etc/resolv.conf"));
    ASSERT_FALSE(writeDockerSave(registry, image).empty());
    startAgent(cluster, registry.string(), backend);
    Scheduler s(cluster.master(), http::ContentType::kJson);
    ASSERT_TRUE(s.subscribe(framework()));
    hostEtcFilesReplaceTheImages(cluster, s);
  }
}

TEST_F(ImagesTest, ImageCmdAndEnvRunForShellFalseWithoutValue) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  fs::path registry = fs::path(cluster.dir()) / "registry";
  json::Value config = json::Object{};
  json::Value cmd = json::Array{};
  for (const char* a : {"/bin/sh", "-c", "echo from-image-cmd $GREETING; pwd"}) {
    cmd.push(a);
  }
  config.set("Cmd", cmd);
  json::Value env = json::Array{};
  env.push("GREETING=hello-from-image-env");
  config.set("Env", env);
  config.set("WorkingDir", "/opq");
  ASSERT_FALSE(writeDockerSave(registry, busybox("cmd", config)).empty());
  startAgent(cluster, registry.string());
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0),
         {{.id = "cmd", .image = "busybox:cmd", .shell = false},
          {.id = "shell-no-value", .image = "busybox:cmd", .shell = true}});
  auto done = terminalUpdates(s, {"cmd", "shell-no-value"});
  ASSERT_EQ(done.size(), 2u);
  std::string out = sandboxFile(cluster.dir(), "cmd", "stdout");
  EXPECT_EQ(done["cmd"].state(), v1::TASK_FINISHED) << done["cmd"].message() << out;
  EXPECT_NE(out.find("from-image-cmd hello-from-image-env\n/opq\n"), std::string::npos) << out;
  // The master refuses it before it reaches the agent, naming what is missing.
  EXPECT_EQ(done["shell-no-value"].state(), v1::TASK_ERROR);
  EXPECT_NE(done["shell-no-value"].message().find("'shell' set but no 'value'"), std::string::npos)
      << done["shell-no-value"].message();
}

TEST_F(ImagesTest, TasksOfOneImageShareItsLayersAndCleanUp) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  fs::path registry = fs::path(cluster.dir()) / "registry";
  ASSERT_FALSE(writeDockerSave(registry, busybox("shared")).empty());
  startAgent(cluster, registry.string());
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  // Both start together: one pull, two rootfs; each writes only to its own upper layer.
  launch(s, offers->offers().offers(0),
         {{.id = "a", .image = "busybox:shared", .value = "echo a > /etc/motd; cat /etc/motd"},
          {.id = "b", .image = "busybox:shared", .value = "sleep 0.2; cat /etc/motd"}});
  auto done = terminalUpdates(s, {"a", "b"});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["a"].state(), v1::TASK_FINISHED) << done["a"].message();
  EXPECT_EQ(done["b"].state(), v1::TASK_FINISHED) << done["b"].message();
  EXPECT_EQ(sandboxFile(cluster.dir(), "a", "stdout"), "a\n");
  EXPECT_EQ(sandboxFile(cluster.dir(), "b", "stdout"), "top layer\n");
  size_t layers = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(cluster.dir()) / "store" / "layers")) {
    (void)entry;
    layers++;
  }
  EXPECT_EQ(layers, 2u);
  EXPECT_TRUE(fs::is_empty(fs::path(cluster.dir()) / "store" / "staging"));
  // The containers' rootfs are unmounted and removed once they end.
  fs::path containers = fs::path(cluster.dir()) / "agent0" / "provisioner" / "containers";
  bool clean = false;
  for (int i = 0; i < 100 && !clean; i++) {
    clean = MountGuard::mountsUnder(cluster.dir()).empty() &&
            (!fs::exists(containers) || fs::is_empty(containers));
    if (!clean) {
      ::usleep(50000);
    }
  }
  EXPECT_TRUE(clean) << "mounts left: " << MountGuard::mountsUnder(cluster.dir()).size();
  // One pull, the other container found it in the store (or joined the pull).
  auto snapshot =
      http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/metrics/snapshot"}, 5s);
  ASSERT_TRUE(snapshot);
  auto metrics = json::parse(snapshot->body);
  ASSERT_TRUE(metrics);
  EXPECT_EQ((*metrics)["containerizer/images/pulls"].asDouble(), 1.0);
  EXPECT_EQ((*metrics)["containerizer/images/cache_hits"].asDouble(), 1.0);
  EXPECT_EQ((*metrics)["containerizer/images/layers_stored"].asDouble(), 2.0);
}

TEST_F(ImagesTest, BadImagesFailTheirTasksWithTheCauseAndTheAgentGoesOn) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  fs::path registry = fs::path(cluster.dir()) / "registry";
  ASSERT_FALSE(writeDockerSave(registry, busybox("good")).empty());
  TestImage corrupt = busybox("corrupt");
  corrupt.corrupt_diff_id = true;
  ASSERT_FALSE(writeDockerSave(registry, corrupt).empty());
  TestImage climbs = busybox("climbs");
  climbs.layers.back().push_back(fileEntry("../../escaped", "x"));
  ASSERT_FALSE(writeDockerSave(registry, climbs).empty());
  TestImage through_link = busybox("link");
  through_link.layers.back().push_back(symlinkEntry("out", "/tmp"));
  through_link.layers.back().push_back(fileEntry("out/escaped-through-link", "x"));
  ASSERT_FALSE(writeDockerSave(registry, through_link).empty());
  startAgent(cluster, registry.string());
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0),
         {{.id = "unknown", .image = "busybox:nope", .value = "true"},
          {.id = "badname", .image = "Bad Name", .value = "true"},
          {.id = "corrupt", .image = "busybox:corrupt", .value = "true"},
          {.id = "climbs", .image = "busybox:climbs", .value = "true"},
          {.id = "link", .image = "busybox:link", .value = "true"},
          {.id = "bridge",
           .image = "busybox:good",
           .value = "true",
           .docker_type = true,
           .bridge = true},
          {.id = "docker-host",
           .image = "busybox:good",
           .value = "cat /etc/os-release",
           .docker_type = true}});
  auto done = terminalUpdates(
      s, {"unknown", "badname", "corrupt", "climbs", "link", "bridge", "docker-host"});
  ASSERT_EQ(done.size(), 7u);
  auto expectFailed = [&](const std::string& id, const std::string& cause) {
    EXPECT_EQ(done[id].state(), v1::TASK_FAILED) << id;
    EXPECT_EQ(done[id].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED) << id;
    EXPECT_NE(done[id].message().find(cause), std::string::npos)
        << id << ": " << done[id].message();
  };
  expectFailed("unknown", "not found");
  expectFailed("badname", "Invalid image name");
  expectFailed("corrupt", "digest mismatch");
  expectFailed("climbs", "escapes the layer's root");
  expectFailed("link", "escapes the layer's root");
  expectFailed("bridge", "needs a Docker daemon");
  EXPECT_FALSE(fs::exists("/tmp/escaped-through-link"));
  // A DOCKER container on the host network runs in the image the same way.
  EXPECT_EQ(done["docker-host"].state(), v1::TASK_FINISHED) << done["docker-host"].message();
  EXPECT_NE(sandboxFile(cluster.dir(), "docker-host", "stdout").find("ID=plateau-test"),
            std::string::npos);
  // Nothing a failed pull wrote is trusted later: only the good image's layers are stored.
  EXPECT_TRUE(fs::is_empty(fs::path(cluster.dir()) / "store" / "staging"));
  size_t records = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(cluster.dir()) / "store" / "images")) {
    EXPECT_NE(entry.path().filename().string().find("good"), std::string::npos) << entry.path();
    records++;
  }
  EXPECT_EQ(records, 1u);
}

TEST_F(ImagesTest, ACustomExecutorWithAnImageRunsInsideIt) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  fs::path registry = fs::path(cluster.dir()) / "registry";
  ASSERT_FALSE(writeDockerSave(registry, busybox("layers")).empty());
  cluster.addAgent(
      "cpus:4;mem:2048",
      {"--image_providers=docker", "--docker_registry=" + registry.string(),
       "--docker_store_dir=" + cluster.dir() + "/store",
       "--isolation=filesystem/linux,docker/runtime", "--executor_registration_timeout=2secs"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  const v1::Offer& offer = offers->offers().offers(0);
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  auto* task = op->mutable_launch()->add_task_infos();
  task->set_name("custom");
  task->mutable_task_id()->set_value("custom");
  *task->mutable_agent_id() = offer.agent_id();
  *task->mutable_resources() = resources("cpus:0.1;mem:32");
  auto* executor = task->mutable_executor();
  executor->mutable_executor_id()->set_value("custom-executor");
  *executor->mutable_resources() = resources("cpus:0.1;mem:32");
  // An "executor" that never subscribes: it records what it sees, then the agent's
  // registration timeout ends it.
  executor->mutable_command()->set_value(
      "cat /etc/os-release > $MESOS_SANDBOX/seen; echo sandbox=$MESOS_SANDBOX >> "
      "$MESOS_SANDBOX/seen; sleep 30");
  auto* container = executor->mutable_container();
  container->set_type(v1::ContainerInfo::MESOS);
  container->mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
  container->mutable_mesos()->mutable_image()->mutable_docker()->set_name("busybox:layers");
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  auto done = terminalUpdates(s, {"custom"});
  ASSERT_TRUE(done.contains("custom"));
  EXPECT_EQ(done["custom"].reason(), v1::TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT)
      << done["custom"].message();
  std::string seen = sandboxFile(cluster.dir(), "custom-executor", "seen");
  EXPECT_NE(seen.find("ID=plateau-test"), std::string::npos) << seen;
  EXPECT_NE(seen.find("sandbox=/mnt/mesos/sandbox"), std::string::npos) << seen;
}

TEST_F(ImagesTest, AnAgentRestartKeepsARunningContainersRootfsAndCleansUpAfterIt) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  fs::path registry = fs::path(cluster.dir()) / "registry";
  ASSERT_FALSE(writeDockerSave(registry, busybox("layers")).empty());
  startAgent(cluster, registry.string());
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info = framework();
  info.set_checkpoint(true);
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0),
         {{.id = "long", .image = "busybox:layers", .value = "sleep 1000"}});
  bool running = false;
  for (int i = 0; i < 10 && !running; i++) {
    auto update = s.nextUpdate(30s);
    ASSERT_TRUE(update);
    s.acknowledge(*update);
    running = update->state() == v1::TASK_RUNNING;
  }
  ASSERT_TRUE(running);
  auto rootfsMounted = [&] {
    for (const auto& point : MountGuard::mountsUnder(cluster.dir())) {
      if (point.find("/provisioner/containers/") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(rootfsMounted());

  cluster.restartAgent(0, SIGKILL);
  ASSERT_TRUE(eventually(
      [&] { return cluster.agent(0).log().find("executor_subscribed") != std::string::npos; }, 30s))
      << cluster.agent(0).log();
  EXPECT_TRUE(rootfsMounted()) << "the recovered container's rootfs was removed";

  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("long");
  ASSERT_EQ(s.call(kill), 202);
  auto done = terminalUpdates(s, {"long"});
  ASSERT_TRUE(done.contains("long"));
  EXPECT_EQ(done["long"].state(), v1::TASK_KILLED) << done["long"].message();
  EXPECT_TRUE(eventually([&] { return !rootfsMounted(); }, 10s));
}

}  // namespace
}  // namespace plateau::testing
