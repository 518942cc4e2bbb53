// The agent's container volume flags with a real master and agent (root only: volumes are bound
// in mount namespaces, and given to gids): --default_container_info's volumes reach a task that
// has no ContainerInfo, --host_path_volume_force_creation makes missing host paths below its
// folders only, --docker_ignore_runtime keeps an image's Cmd, Env and WorkingDir out, and
// --volume_gid_range gives a persistent volume used by a non-root task a gid of its own, kept
// across an agent restart and freed when the volume is destroyed.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/resources.h"
#include "common/resources_proto.h"
#include "common/task_state.h"
#include "harness.h"
#include "images_helpers.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHostPathIsolation =
    "--isolation=posix/cpu,posix/mem,filesystem/linux,volume/host_path";

class VolumeFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "HOST_PATH volumes and volume gids need root";
    }
  }
};

v1::FrameworkInfo rootFramework() {
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("volumes");
  return info;
}

void addHostPath(v1::ContainerInfo* container, const std::string& host,
                 const std::string& container_path) {
  container->set_type(v1::ContainerInfo::MESOS);
  auto* volume = container->add_volumes();
  volume->set_container_path(container_path);
  volume->set_mode(v1::Volume::RW);
  volume->mutable_source()->set_type(v1::Volume::Source::HOST_PATH);
  volume->mutable_source()->mutable_host_path()->set_path(host);
}

// A command task (cpus:0.1;mem:32) running `command`, with `container` when given.
v1::TaskInfo commandTask(const v1::Offer& offer, const std::string& id, const std::string& command,
                         const std::optional<v1::ContainerInfo>& container = std::nullopt) {
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_agent_id() = offer.agent_id();
  *task.mutable_resources() = resources("cpus:0.1;mem:32");
  task.mutable_command()->set_value(command);
  if (container) {
    *task.mutable_container() = *container;
  }
  return task;
}

void launchTasks(Scheduler& s, const v1::Offer& offer, const std::vector<v1::TaskInfo>& tasks) {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  for (const auto& task : tasks) {
    *op->mutable_launch()->add_task_infos() = task;
  }
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(VolumeFlagsTest, DefaultContainerInfoGivesItsVolumeToATaskWithoutContainerInfo) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  const fs::path shared = fs::path(cluster.dir()) / "shared";
  fs::create_directories(shared);
  std::ofstream(shared / "greeting") << "hello-from-host\n";
  const std::string info = fmt::format(
      R"({{"type": "MESOS", "volumes": [{{"container_path": "data", "mode": "RW",
          "source": {{"type": "HOST_PATH", "host_path": {{"path": "{}"}}}}}}]}})",
      shared.string());
  cluster.addAgent("cpus:2;mem:512", {kHostPathIsolation, "--default_container_info=" + info});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(rootFramework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  const v1::Offer& offer = offers->offers().offers(0);
  v1::ContainerInfo own;
  own.set_type(v1::ContainerInfo::MESOS);
  launchTasks(s, offer,
              {commandTask(offer, "bare", "cat data/greeting && echo from-task > data/written"),
               // A task with a ContainerInfo of its own does not get the default one.
               commandTask(offer, "own", "test ! -e data", own)});
  auto done = terminalUpdates(s, {"bare", "own"});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["bare"].state(), v1::TASK_FINISHED)
      << done["bare"].message() << sandboxFile(cluster.dir(), "bare", "stderr");
  EXPECT_NE(sandboxFile(cluster.dir(), "bare", "stdout").find("hello-from-host"),
            std::string::npos);
  EXPECT_EQ(readFile(shared / "written"), "from-task\n");
  EXPECT_EQ(done["own"].state(), v1::TASK_FINISHED) << done["own"].message();
}

TEST_F(VolumeFlagsTest, ForceCreationMakesMissingHostPathsBelowItsFoldersOnly) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  const fs::path allowed = fs::path(cluster.dir()) / "allowed";
  const fs::path elsewhere = fs::path(cluster.dir()) / "elsewhere";
  fs::create_directories(allowed);
  cluster.addAgent("cpus:2;mem:512", {kHostPathIsolation, "--host_path_volume_force_creation=" +
                                                              allowed.string() + ":/nonexistent"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(rootFramework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  const v1::Offer& offer = offers->offers().offers(0);
  v1::ContainerInfo made;
  addHostPath(&made, (allowed / "a" / "b").string(), "vol");
  v1::ContainerInfo refused;
  addHostPath(&refused, (elsewhere / "c").string(), "vol");
  launchTasks(s, offer,
              {commandTask(offer, "made", "echo ok > vol/f", made),
               commandTask(offer, "refused", "true", refused)});
  auto done = terminalUpdates(s, {"made", "refused"});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done["made"].state(), v1::TASK_FINISHED) << done["made"].message();
  EXPECT_EQ(readFile(allowed / "a" / "b" / "f"), "ok\n");
  EXPECT_EQ(done["refused"].state(), v1::TASK_FAILED);
  EXPECT_EQ(done["refused"].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(done["refused"].message().find("does not exist"), std::string::npos)
      << done["refused"].message();
  EXPECT_NE(done["refused"].message().find("--host_path_volume_force_creation"), std::string::npos)
      << done["refused"].message();
  EXPECT_FALSE(fs::exists(elsewhere));
}

class IgnoreRuntimeTest : public ImageTest {};

TEST_F(IgnoreRuntimeTest, AnImagesCmdEnvAndWorkingDirAreIgnored) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  fs::path registry = fs::path(cluster.dir()) / "registry";
  TestImage image;
  image.tag = "runtime";
  image.layers.push_back(busyboxLayer("ID=plateau-test\n"));
  image.layers.push_back({dirEntry("opq")});
  json::Value config = json::Object{};
  json::Value env = json::Array{};
  env.push("GREETING=hello-from-image-env");
  config.set("Env", env);
  config.set("WorkingDir", "/opq");
  image.config = config;
  ASSERT_FALSE(writeDockerSave(registry, image).empty());
  cluster.addAgent("cpus:2;mem:1024",
                   {"--image_providers=docker", "--docker_registry=" + registry.string(),
                    "--docker_store_dir=" + cluster.dir() + "/store",
                    "--isolation=filesystem/linux,docker/runtime", "--docker_ignore_runtime"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0),
         {{.id = "plain", .image = "busybox:runtime", .value = "echo greeting=$GREETING; pwd"}});
  auto done = terminalUpdates(s, {"plain"});
  ASSERT_TRUE(done.contains("plain"));
  std::string out = sandboxFile(cluster.dir(), "plain", "stdout");
  EXPECT_EQ(done["plain"].state(), v1::TASK_FINISHED) << done["plain"].message() << out;
  EXPECT_NE(out.find("greeting=\n/mnt/mesos/sandbox\n"), std::string::npos) << out;
}

// --volume_gid_range with a single gid: what holds it, and when it is free again.
class VolumeGidsTest : public VolumeFlagsTest {
 protected:
  static Resource volume(const std::string& id) {
    Resource v = dynamicallyReserved(Resource::makeScalar("disk", 32), "eng", "alice");
    v.disk.persistence_id = id;
    v.disk.has_volume = true;
    v.disk.container_path = "data";
    return v;
  }
  static Resources taskResources(const std::string& volume_id) {
    return Resources{dynamicallyReserved(Resource::makeScalar("cpus", 0.1), "eng", "alice"),
                     dynamicallyReserved(Resource::makeScalar("mem", 32), "eng", "alice"),
                     volume(volume_id)};
  }
  // Adds to `accept` a LAUNCH of task `id` as nobody with the volume `volume_id`.
  static void addLaunch(scheduler::Call* accept, const v1::Offer& offer, const std::string& id,
                        const std::string& volume_id, const std::string& command) {
    auto* op = accept->mutable_accept()->add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    auto* task = op->mutable_launch()->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    *task->mutable_agent_id() = offer.agent_id();
    resourcesToProto(taskResources(volume_id), task->mutable_resources(), "eng",
                     ResourceFormat::kPost);
    task->mutable_command()->set_value(command);
    task->mutable_command()->set_user("nobody");
  }
  static scheduler::Call acceptOf(const v1::Offer& offer) {
    scheduler::Call accept;
    accept.set_type(scheduler::Call::ACCEPT);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
    return accept;
  }
  // The task's own terminal update: a restarted agent may send another task's again first.
  static std::optional<v1::TaskStatus> terminal(Scheduler& s, const std::string& task_id) {
    std::optional<v1::TaskStatus> update;
    do {
      update = s.nextUpdate(30s);
    } while (update && (update->task_id().value() != task_id || !isTerminal(update->state())));
    return update;
  }
  static std::optional<v1::Offer> offerWithVolumes(Scheduler& s, size_t count) {
    return offerWith(
        s, [&](const v1::Offer& o) { return offered(o).persistentVolumes().size() == count; }, 30s);
  }
};

TEST_F(VolumeGidsTest, ANonRootTaskGetsItsVolumesGidUntilTheVolumeIsDestroyed) {
  Cluster cluster;
  ::chmod(cluster.dir().c_str(), 0755);  // the task's user walks to its sandbox
  cluster.addAgent("cpus:2;mem:512;disk:256",
                   {"--switch_user", "--volume_gid_range=[30000-30000]"});
  const std::string volumes = cluster.dir() + "/agent0/volumes/roles/eng";
  const std::string checkpoint = cluster.dir() + "/agent0/meta/volume_gids";
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("gids", {"eng"}, "alice")));
  auto first = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(first);
  const v1::Offer& o = first->offers().offers(0);

  // Reserve, make vol1 and vol2, and run a task as nobody on vol1.
  scheduler::Call accept = acceptOf(o);
  *accept.mutable_accept()->add_operations() =
      reserveOp(Resources{dynamicallyReserved(Resource::makeScalar("cpus", 0.5), "eng", "alice"),
                          dynamicallyReserved(Resource::makeScalar("mem", 128), "eng", "alice"),
                          dynamicallyReserved(Resource::makeScalar("disk", 64), "eng", "alice")});
  auto* create = accept.mutable_accept()->add_operations();
  create->set_type(v1::Offer::Operation::CREATE);
  resourceToProto(volume("vol1"), create->mutable_create()->add_volumes(), "",
                  ResourceFormat::kPost);
  resourceToProto(volume("vol2"), create->mutable_create()->add_volumes(), "",
                  ResourceFormat::kPost);
  addLaunch(&accept, o, "a", "vol1", "id -G; echo by-a > data/file");
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  auto a = terminal(s, "a");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->state(), v1::TASK_FINISHED) << a->message();
  EXPECT_NE(sandboxFile(cluster.dir(), "a", "stdout").find("30000"), std::string::npos)
      << sandboxFile(cluster.dir(), "a", "stdout");
  struct stat st;
  ASSERT_EQ(::stat((volumes + "/vol1").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 30000u);
  EXPECT_NE(st.st_mode & S_ISGID, 0u);
  ASSERT_EQ(::stat((volumes + "/vol1/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 30000u);  // the setgid folder's group
  EXPECT_NE(readFile(checkpoint).find("vol1"), std::string::npos) << readFile(checkpoint);

  // The gid stays vol1's across an agent restart: vol2 finds the range exhausted.
  cluster.restartAgent(0);
  // An offer made before the restart may still be queued here, rescinded since: such a launch
  // ends TASK_LOST (REASON_INVALID_OFFERS) and the next offer is tried (a few at most).
  std::optional<v1::TaskStatus> b;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto two = offerWithVolumes(s, 2);
    ASSERT_TRUE(two);
    scheduler::Call second = acceptOf(*two);
    addLaunch(&second, *two, "b", "vol2", "true");
    ASSERT_EQ(s.call(second), 202) << s.lastResponse().body;
    b = terminal(s, "b");
    ASSERT_TRUE(b);
    if (b->reason() != v1::TaskStatus::REASON_INVALID_OFFERS) break;
  }
  EXPECT_EQ(b->state(), v1::TASK_FAILED);
  EXPECT_EQ(b->reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(b->message().find("exhausted"), std::string::npos) << b->message();

  // Destroying vol1 frees the gid: vol2 gets it.
  auto again = offerWithVolumes(s, 2);
  ASSERT_TRUE(again);
  scheduler::Call destroy = acceptOf(*again);
  auto* d = destroy.mutable_accept()->add_operations();
  d->set_type(v1::Offer::Operation::DESTROY);
  resourceToProto(volume("vol1"), d->mutable_destroy()->add_volumes(), "", ResourceFormat::kPost);
  ASSERT_EQ(s.call(destroy), 202) << s.lastResponse().body;
  ASSERT_TRUE(eventually([&] { return readFile(checkpoint).find("vol1") == std::string::npos; }))
      << readFile(checkpoint);
  auto one = offerWithVolumes(s, 1);
  ASSERT_TRUE(one);
  scheduler::Call third = acceptOf(*one);
  addLaunch(&third, *one, "c", "vol2", "echo by-c > data/file");
  ASSERT_EQ(s.call(third), 202) << s.lastResponse().body;
  auto c = terminal(s, "c");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state(), v1::TASK_FINISHED) << c->message();
  ASSERT_EQ(::stat((volumes + "/vol2").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 30000u);
}

}  // namespace
}  // namespace plateau::testing
