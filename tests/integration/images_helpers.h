#pragma once

// Helpers of the image tests (images*_test.cc): unmounting what a test left, reading a task's
// sandbox files, launching tasks with an image, collecting their terminal updates.

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/task_state.h"
#include "fakes/docker_save_writer.h"
#include "harness.h"

namespace plateau::testing {

// Unmounts whatever is still mounted under the cluster's folder (declared after the Cluster,
// so it runs first when a test ends, even on failure).
class MountGuard {
 public:
  explicit MountGuard(std::string dir) : dir_(std::move(dir)) {}
  ~MountGuard() {
    for (const auto& point : mountsUnder(dir_)) {
      ::umount2(point.c_str(), MNT_DETACH);
    }
  }
  static std::vector<std::string> mountsUnder(const std::string& dir) {
    std::vector<std::string> out;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string id, parent, devno, root, point;
      fields >> id >> parent >> devno >> root >> point;
      if (point.starts_with(dir + "/")) {
        out.push_back(point);
      }
    }
    return out;
  }

 private:
  std::string dir_;
};

// The file `name` of agent 0's sandboxes whose path has `part` (the provisioner's rootfs aside).
inline std::string agentFile(const std::string& root, const std::string& part,
                             const std::string& name) {
  std::error_code ec;
  namespace fs = std::filesystem;
  for (fs::recursive_directory_iterator it(root + "/agent0", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string path = it->path().string();
    if (path.find("/provisioner/") != std::string::npos) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().filename() == name && path.find(part) != std::string::npos) {
      return readWholeFile(it->path());
    }
  }
  return {};
}

// A file of the command executor's task `task_id` in its sandbox.
inline std::string sandboxFile(const std::string& root, const std::string& task_id,
                               const std::string& name) {
  return agentFile(root, "/executors/" + task_id + "/runs/", name);
}

struct TaskSpec {
  std::string id;
  std::string image;  // "" for a bare task (no container)
  std::optional<std::string> value;
  bool shell = true;
  std::vector<std::string> arguments;
  bool docker_type = false;
  bool bridge = false;
  bool cached = true;         // Image.cached
  std::string docker_config;  // Image.Docker.config (a VALUE secret), "" for none
  std::string user;           // CommandInfo.user, "" for none
  std::string volume_image;   // a Volume.image at `volume_path`, "" for none
  std::string volume_path = "/image-volume";
};

// Makes `container` a Mesos container of the Docker image `image` ("" for a container in
// the host's filesystem), with the image `volume_image` ("" for none) mounted read-only at
// `volume_path`; returns the container's image, or nullptr when it has none.
inline v1::Image* setMesosImage(v1::ContainerInfo* container, const std::string& image,
                                const std::string& volume_image,
                                const std::string& volume_path = "/image-volume") {
  container->set_type(v1::ContainerInfo::MESOS);
  if (!volume_image.empty()) {
    auto* volume = container->add_volumes();
    volume->set_container_path(volume_path);
    volume->set_mode(v1::Volume::RO);
    volume->mutable_image()->set_type(v1::Image::DOCKER);
    volume->mutable_image()->mutable_docker()->set_name(volume_image);
  }
  if (image.empty()) {
    return nullptr;
  }
  v1::Image* out = container->mutable_mesos()->mutable_image();
  out->set_type(v1::Image::DOCKER);
  out->mutable_docker()->set_name(image);
  return out;
}

inline void launch(Scheduler& s, const v1::Offer& offer, const std::vector<TaskSpec>& specs) {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  for (const auto& spec : specs) {
    auto* info = op->mutable_launch()->add_task_infos();
    info->set_name(spec.id);
    info->mutable_task_id()->set_value(spec.id);
    *info->mutable_agent_id() = offer.agent_id();
    *info->mutable_resources() = resources("cpus:0.1;mem:32");
    auto* command = info->mutable_command();
    command->set_shell(spec.shell);
    if (!spec.user.empty()) {
      command->set_user(spec.user);
    }
    if (spec.value) {
      command->set_value(*spec.value);
    }
    for (const auto& a : spec.arguments) {
      command->add_arguments(a);
    }
    if (spec.image.empty() && spec.volume_image.empty()) {
      continue;  // a bare task, on the host
    }
    auto* container = info->mutable_container();
    if (spec.docker_type) {
      container->set_type(v1::ContainerInfo::DOCKER);
      container->mutable_docker()->set_image(spec.image);
      if (spec.bridge) {
        container->mutable_docker()->set_network(v1::ContainerInfo::DockerInfo::BRIDGE);
      }
    } else {
      v1::Image* image = setMesosImage(container, spec.image, spec.volume_image, spec.volume_path);
      if (image == nullptr) {
        continue;  // image volumes only: the task stays in the host's filesystem
      }
      if (!spec.cached) {
        image->set_cached(false);
      }
      if (!spec.docker_config.empty()) {
        image->mutable_docker()->mutable_config()->set_type(v1::Secret::VALUE);
        image->mutable_docker()->mutable_config()->mutable_value()->set_data(spec.docker_config);
      }
    }
  }
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
}

// Terminal updates for every task in `ids` (others skipped), by task id.
inline std::map<std::string, v1::TaskStatus> terminalUpdates(Scheduler& s,
                                                             std::set<std::string> ids) {
  std::map<std::string, v1::TaskStatus> out;
  for (int i = 0; i < 40 && out.size() < ids.size(); i++) {
    auto update = s.nextUpdate(30s);
    if (!update) {
      break;
    }
    if (!update->uuid().empty()) {
      s.acknowledge(*update);
    }
    if (ids.contains(update->task_id().value()) && isTerminal(update->state())) {
      out[update->task_id().value()] = *update;
    }
  }
  return out;
}

// A Docker config.json giving `user_password` ("user:password") for the registry at
// 127.0.0.1:`port`.
inline std::string dockerConfig(uint16_t port, const std::string& user_password) {
  return fmt::format(R"({{"auths":{{"127.0.0.1:{}":{{"auth":"{}"}}}}}})", port,
                     base64::encode(user_password));
}

// Entries in a folder (0 when it does not exist).
inline size_t entries(const std::filesystem::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    n++;
  }
  return n;
}

// The image tests' fixture: skipped without root or busybox-static.
class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "container images need root (mount namespaces, pivot_root)";
    }
    if (!std::filesystem::exists("/bin/busybox")) {
      GTEST_SKIP() << "Debian's busybox-static is not installed";
    }
  }

  // Writes the image busybox:<tag> (busybox with `os_release` as /etc/os-release) to a folder
  // of tarballs under the cluster's, and starts an agent that runs images from it.
  static void addImageAgent(Cluster& cluster, const std::string& tag,
                            const std::string& os_release) {
    std::string registry = cluster.dir() + "/registry";
    TestImage image;
    image.tag = tag;
    image.layers.push_back(busyboxLayer(os_release));
    ASSERT_FALSE(writeDockerSave(registry, image).empty());
    cluster.addAgent("cpus:2;mem:1024",
                     {"--image_providers=docker", "--docker_registry=" + registry,
                      "--docker_store_dir=" + cluster.dir() + "/store",
                      "--isolation=filesystem/linux,docker/runtime"});
  }

  static v1::FrameworkInfo framework(const std::string& name = "images") {
    v1::FrameworkInfo info;
    info.set_user("root");
    info.set_name(name);
    return info;
  }

  // Subscribes `s` (as `info`) and launches the task on its first offer: its TASK_RUNNING update
  // (nullopt, with a failure recorded, when it does not run).
  static std::optional<v1::TaskStatus> startTask(Scheduler& s, const TaskSpec& spec,
                                                 const v1::FrameworkInfo& info = framework()) {
    if (!s.subscribe(info)) {
      ADD_FAILURE() << "cannot subscribe";
      return std::nullopt;
    }
    auto offers = s.next(scheduler::Event::OFFERS);
    if (!offers || offers->offers().offers_size() == 0) {
      ADD_FAILURE() << "no offer";
      return std::nullopt;
    }
    launch(s, offers->offers().offers(0), {spec});
    auto running = s.nextUpdate();
    if (!running || running->state() != v1::TASK_RUNNING) {
      ADD_FAILURE() << "task " << spec.id
                    << " is not running: " << (running ? running->DebugString() : "no update");
      return std::nullopt;
    }
    return running;
  }

  // Launches the tasks on the scheduler's next offer; their terminal updates by task id.
  static std::map<std::string, v1::TaskStatus> runTasks(Scheduler& s,
                                                        const std::vector<TaskSpec>& specs) {
    auto offers = s.next(scheduler::Event::OFFERS);
    if (!offers || offers->offers().offers_size() == 0) {
      ADD_FAILURE() << "no offer";
      return {};
    }
    launch(s, offers->offers().offers(0), specs);
    std::set<std::string> ids;
    for (const auto& spec : specs) {
      ids.insert(spec.id);
    }
    return terminalUpdates(s, ids);
  }
};

}  // namespace plateau::testing
