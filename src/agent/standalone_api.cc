// The agent's side of its standalone containers (agent/nested_containers.h): each runs in a
// container of the containerizer with plateau-container-launch as its first process, which
// records how the command ended; the container is checkpointed under meta/containers
// (agent/standalone_checkpoint.h) so that a restarted agent takes it over. A container whose
// ContainerInfo names an image runs its command in that image, through plateau-rootfs, as an
// executor's container does (agent/images.cc).

#include <signal.h>

#include <filesystem>

#include <fmt/format.h>
#include <mesos/v1/mesos.pb.h>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "agent/images/container_image.h"
#include "agent/images/enter_rootfs.h"
#include "agent/images/image_config.h"
#include "agent/images/image_runtime.h"
#include "agent/images/image_user.h"
#include "agent/nested_containers.h"

namespace plateau::agent {

namespace {

using Spec = NestedContainers::StandaloneSpec;

// The command in the image: plateau-rootfs enters its root filesystem (with the sandbox at
// `sandbox_directory`) and runs the image's command merged with the call's, as `user` inside.
Result<LaunchSpec> inImage(const Spec& spec, const images::Provisioned& image,
                           const std::string& rootfs_helper, const std::string& sandbox_directory,
                           const std::string& user) {
  images::TaskCommand task;
  task.shell = spec.command->shell();
  if (spec.command->has_value()) {
    task.value = spec.command->value();
  }
  task.arguments.assign(spec.command->arguments().begin(), spec.command->arguments().end());
  auto merged = images::mergeCommand(image.config, task);
  if (!merged) {
    return std::unexpected(merged.error());
  }
  if (!user.empty()) {
    if (auto found = images::readImageUser(image.rootfs, user); !found) {
      return std::unexpected(found.error());
    }
  }
  std::vector<std::string> env = {"MESOS_SANDBOX=" + sandbox_directory};
  for (const auto& var : spec.command->environment().variables()) {
    if (var.type() != mesos::v1::Environment::Variable::SECRET) {
      env.push_back(var.name() + "=" + var.value());
    }
  }
  images::EnterOptions enter;
  enter.rootfs = image.rootfs;
  enter.sandbox = spec.sandbox;
  enter.sandbox_directory = sandbox_directory;
  enter.working_dir = image.config.working_dir;
  enter.user = user;
  enter.argv = merged->argv;
  enter.mounts = image.mounts;
  LaunchSpec process;
  process.path = rootfs_helper;
  process.argv = images::enterArgs("plateau-rootfs", enter);
  process.env = images::mergeEnvironment(image.config, env);
  return process;
}

// Why a container that names an image cannot run on this agent.
Status noImages(const std::string& image) {
  return {StatusCode::kFailedPrecondition,
          fmt::format("the container names image '{}', but this agent runs no images (start it "
                      "with --image_providers=docker)",
                      image)};
}

}  // namespace

Result<pid_t> Agent::startStandalone(const Spec& spec, const images::Provisioned* image) {
  const auto bin = std::filesystem::path(executor_path_).parent_path();
  // In an image the user is the image's, switched to by plateau-rootfs inside (as an executor's
  // container's); the container itself starts as the agent's user.
  std::string user = spec.user;
  std::string image_user;
  LaunchSpec process{.path = spec.program, .argv = spec.argv, .env = spec.env};
  if (image != nullptr) {
    image_user = flags_.switch_user && user != "root" ? user : std::string();
    user.clear();
    auto entered = inImage(spec, *image, (bin / "plateau-rootfs").string(),
                           flags_.sandbox_directory, image_user);
    if (!entered) {
      return std::unexpected(entered.error());
    }
    process = std::move(*entered);
  }
  auto status_file = standalone_checkpoint_.prepare(spec.container_id, user);
  if (!status_file) {
    return std::unexpected(status_file.error());
  }
  ContainerConfig config{
      .container_id = spec.container_id,
      .directory = spec.sandbox,
      .cpus = spec.cpus,
      .mem_mb = spec.mem_mb,
      .disk_mb = spec.disk_mb,
      .share_pid_namespace = spec.container && spec.container->linux_info().share_pid_namespace()};
  // plateau-container-launch STATUS_FILE PROGRAM ARGV0 [ARG...]
  process.argv.insert(process.argv.begin(),
                      {"plateau-container-launch", *status_file, process.path});
  process.path = (bin / "plateau-container-launch").string();
  process.working_dir = spec.sandbox;
  process.stdout_path = spec.sandbox + "/stdout";
  process.stderr_path = spec.sandbox + "/stderr";
  auto pid = containerizer_->launch(config, process, user);
  if (!pid) {
    standalone_checkpoint_.remove(spec.container_id);
    return pid;
  }
  checkpointed(standalone_checkpoint_.write({.container_id = spec.container_id,
                                             .sandbox = spec.sandbox,
                                             .pid = *pid,
                                             .cpus = spec.cpus,
                                             .mem_mb = spec.mem_mb,
                                             .disk_mb = spec.disk_mb}),
               "standalone container " + spec.container_id);
  return pid;
}

void Agent::launchStandalone(const Spec& spec, NestedContainers::Standalone::Launched done) {
  auto request = spec.container ? images::requestedImages(*spec.container)
                                : Result<images::ContainerImages>(images::ContainerImages{});
  if (!request) {
    return done(std::unexpected(request.error()));
  }
  if (request->empty()) {
    return done(startStandalone(spec, nullptr));
  }
  if (!images_) {
    return done(std::unexpected(noImages(request->name())));
  }
  log_->info("image_provision_started container_id={} image={}", spec.container_id,
             request->name());
  images_->provision(spec.container_id, std::move(*request),
                     [this, spec, done](Result<images::Provisioned> image) {
                       auto pid = image ? startStandalone(spec, &*image)
                                        : Result<pid_t>(std::unexpected(image.error()));
                       if (!pid) {
                         releaseImage(spec.container_id);
                       }
                       done(pid);
                     });
}

void Agent::prepareNestedImage(const std::string& key, const std::string& sandbox,
                               const mesos::v1::CommandInfo& command,
                               const mesos::v1::ContainerInfo& info, const std::string& user,
                               NestedContainers::Images::Prepared done) {
  auto request = images::requestedImages(info);
  if (!request) {
    return done(std::unexpected(request.error()));
  }
  if (!images_) {
    return done(std::unexpected(noImages(request->name())));
  }
  Spec spec{.container_id = key,
            .sandbox = sandbox,
            .command = std::make_shared<const mesos::v1::CommandInfo>(command)};
  std::string image_user = flags_.switch_user && user != "root" ? user : std::string();
  images_->provision(
      key, std::move(*request), [this, spec, image_user, done](Result<images::Provisioned> image) {
        const auto bin = std::filesystem::path(executor_path_).parent_path();
        auto entered = image ? inImage(spec, *image, (bin / "plateau-rootfs").string(),
                                       flags_.sandbox_directory, image_user)
                             : Result<LaunchSpec>(std::unexpected(image.error()));
        if (!entered) {
          releaseImage(spec.container_id);
          return done(std::unexpected(entered.error()));
        }
        done(NestedContainers::ImageCommand{
            .program = entered->path, .argv = entered->argv, .env = entered->env});
      });
}

void Agent::initStandalone() {
  nested_->setStandalone(
      {.launch = [this](
                     const Spec& spec,
                     NestedContainers::Standalone::Launched done) { launchStandalone(spec, done); },
       .destroy =
           [this](const std::string& id) {
             containerizer_->destroy(id);
             releaseImage(id);
           },
       .exit_status =
           [this](const std::string& id) { return standalone_checkpoint_.exitStatus(id); },
       .forget = [this](const std::string& id) { standalone_checkpoint_.remove(id); },
       .root = flags_.work_dir + "/containers",
       .outlive_agent = flags_.recover == "reconnect"});
}

void Agent::recoverStandalone(std::vector<ContainerConfig>* alive) {
  std::vector<std::string> errors;
  std::vector<StandaloneRecord> records = standalone_checkpoint_.recover(&errors);
  for (const auto& error : errors) {
    log_->warn("checkpoint_skipped reason=\"{}\"", error);
  }
  std::vector<NestedContainers::RecoveredStandalone> recovered;
  for (const auto& record : records) {
    Liveness liveness = processLiveness(record.pid, record.sandbox);
    if (flags_.recover == "cleanup") {
      if (liveness != Liveness::kReused) {
        signalTree(record.pid, SIGKILL);
      }
      standalone_checkpoint_.remove(record.container_id);
      continue;
    }
    if (liveness == Liveness::kAlive) {
      alive->push_back({.container_id = record.container_id,
                        .directory = record.sandbox,
                        .cpus = record.cpus,
                        .mem_mb = record.mem_mb,
                        .disk_mb = record.disk_mb,
                        .pid = record.pid});
    }
    recovered.push_back({.container_id = record.container_id,
                         .sandbox = record.sandbox,
                         .pid = record.pid,
                         .liveness = liveness});
  }
  nested_->recoverStandalone(recovered);
}

}  // namespace plateau::agent
