#include "executor/task_image.h"

#include <filesystem>

#include "agent/images/enter_rootfs.h"
#include "agent/images/image_config.h"
#include "common/json.h"
#include "common/task_state.h"

namespace plateau::executor {

namespace {

constexpr const char* kVariables[] = {"PLATEAU_ROOTFS",        "PLATEAU_SANDBOX_DIRECTORY",
                                      "PLATEAU_IMAGE_CONFIG",  "PLATEAU_CONTAINER_USER",
                                      "PLATEAU_ROOTFS_MOUNTS", "PLATEAU_IMAGE_ERROR"};

}  // namespace

TaskImage TaskImage::from(const std::function<std::string(const std::string&)>& get) {
  TaskImage image;
  image.rootfs = get("PLATEAU_ROOTFS");
  image.sandbox_directory = get("PLATEAU_SANDBOX_DIRECTORY");
  image.image_config = get("PLATEAU_IMAGE_CONFIG");
  image.container_user = get("PLATEAU_CONTAINER_USER");
  image.mounts = get("PLATEAU_ROOTFS_MOUNTS");
  image.error = get("PLATEAU_IMAGE_ERROR");
  return image;
}

TaskImage TaskImage::fromCommand(const mesos::v1::CommandInfo& command) {
  return from([&](const std::string& name) {
    for (const auto& var : command.environment().variables()) {
      if (var.name() == name) {
        return var.value();
      }
    }
    return std::string();
  });
}

bool TaskImage::isVariable(const std::string& name) {
  for (const char* v : kVariables) {
    if (name == v) {
      return true;
    }
  }
  return false;
}

Status TaskImage::enter(const mesos::v1::CommandInfo& command, const std::string& sandbox,
                        LaunchSpec& spec) const {
  namespace images = agent::images;
  auto parsed = json::parse(image_config);
  auto config = parsed ? images::parseImageConfig(*parsed)
                       : Result<images::ImageConfig>(images::ImageConfig{});
  if (!config) {
    return config.error();
  }
  auto mount_list = images::mountsFromJson(mounts);
  if (!mount_list) {
    return mount_list.error();
  }
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::string helper = (self.parent_path() / "plateau-rootfs").string();
  if (rootfs.empty()) {
    images::EnterOptions enter;
    enter.sandbox = sandbox;
    enter.working_dir = spec.working_dir;
    enter.user = container_user;
    enter.program = spec.path;
    enter.argv = spec.argv;
    enter.mounts = std::move(*mount_list);
    spec.path = helper;
    spec.argv = images::enterArgs("plateau-rootfs", enter);
    return {};
  }
  images::TaskCommand task;
  task.shell = command.shell();
  if (command.has_value()) {
    task.value = command.value();
  }
  task.arguments.assign(command.arguments().begin(), command.arguments().end());
  auto merged = images::mergeCommand(*config, task);
  if (!merged) {
    return merged.error();
  }
  std::vector<std::string> task_env;
  for (const auto& e : spec.env) {
    if (e.starts_with("MESOS_") && !e.starts_with("MESOS_SANDBOX=")) {
      task_env.push_back(e);
    }
  }
  for (const auto& var : command.environment().variables()) {
    if (!isVariable(var.name())) {
      task_env.push_back(var.name() + "=" + environmentValue(var));
    }
  }
  task_env.push_back("MESOS_SANDBOX=" + sandbox_directory);
  images::EnterOptions enter;
  enter.rootfs = rootfs;
  enter.sandbox = sandbox;
  enter.sandbox_directory = sandbox_directory;
  enter.working_dir = config->working_dir;
  enter.argv = merged->argv;
  enter.user = container_user;  // the agent found it in the image
  enter.mounts = std::move(*mount_list);
  spec.path = helper;
  spec.argv = images::enterArgs("plateau-rootfs", enter);
  spec.env = images::mergeEnvironment(*config, task_env);
  return {};
}

}  // namespace plateau::executor
