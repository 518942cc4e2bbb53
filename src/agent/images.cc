// Containers with an image (agent/images): the image is pulled and the rootfs assembled on a
// worker thread between the sandbox and the fetch; the process then starts inside it.
// - The command executor runs on the host (it is built for the host, not the image) and starts
//   the task's command through plateau-rootfs in the image: the agent hands it the rootfs and
//   the image's runtime config (PLATEAU_ROOTFS, PLATEAU_SANDBOX_DIRECTORY,
//   PLATEAU_IMAGE_CONFIG), and the executor merges them with the task's CommandInfo.
// - A custom executor with an image in ExecutorInfo.container runs inside the image itself:
//   the agent starts it through plateau-rootfs with the merged command.

#include <filesystem>

#include <mesos/v1/agent/agent.pb.h>

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/images/container_image.h"
#include "agent/images/enter_rootfs.h"
#include "agent/images/image_gc.h"
#include "agent/images/image_runtime.h"
#include "agent/images/image_user.h"

namespace plateau::agent {

namespace fs = std::filesystem;

void Agent::initImages() {
  if (flags_.image_providers.empty()) {
    return;
  }
  auto backend = images::chooseBackend(flags_.image_provisioner_backend);
  images_ = std::make_unique<images::ImageRuntime>(
      flags_.docker_store_dir, flags_.docker_registry, flags_.docker_config,
      (fs::path(flags_.work_dir) / "provisioner").string(),
      backend ? *backend : images::Backend::kCopy,
      [this](std::function<void()> fn) { timers_.post(std::move(fn)); },
      flags_.docker_ignore_runtime);
  images_->onLayerPulled(
      [log = log_](const std::string& image, const std::string& digest, uint64_t bytes, double ms) {
        log->info("image_layer_pulled image={} digest={} bytes={} elapsed_ms={:.1f}", image, digest,
                  bytes, ms);
      });
  images_->onLayerProgress([log = log_](const std::string& image, const std::string& digest,
                                        uint64_t received, uint64_t total) {
    log->info("image_layer_progress image={} digest={} bytes={} total={} percent={:.0f}", image,
              digest, received, total, total > 0 ? 100.0 * received / total : 0.0);
  });
  if (Status s = images_->initialize(); !s.isOk()) {
    log_->error("image_store_unavailable dir={} error=\"{}\"", flags_.docker_store_dir,
                s.message());
  }
  log_->info("image_store store_dir={} registry={} backend={}", flags_.docker_store_dir,
             flags_.docker_registry, images::backendName(images_->backend()));
  if (!flags_.image_gc_config.empty()) {
    auto gc = images::parseImageGcConfig(flags_.image_gc_config);  // validated with the flags
    if (gc) {
      image_gc_ = std::make_unique<images::ImageGcConfig>(*gc);
      timers_.after(image_gc_->image_disk_watch_interval, [this] { imageGcTick(); });
    }
  }
}

void Agent::imageGcTick() {
  timers_.after(image_gc_->image_disk_watch_interval, [this] { imageGcTick(); });
  auto usage = images::diskUsage(images_->storeDir());
  if (image_gc_running_ || !usage || *usage < 1.0 - image_gc_->image_disk_headroom) {
    return;
  }
  image_gc_running_ = true;
  log_->info("image_gc_started disk_usage={:.3f} headroom={}", *usage,
             image_gc_->image_disk_headroom);
  images_->prune(image_gc_->excluded_images, [this](Result<images::PruneResult> result) {
    image_gc_running_ = false;
    if (result) {
      log_->info("image_gc_done images_removed={} layers_removed={}", result->images_removed.size(),
                 result->layers_removed);
    }
  });
}

void Agent::pruneImagesCall(const agent_api::Call& call, http::Responder responder) {
  std::vector<std::string> excluded;
  for (const auto& image : call.prune_images().excluded_images()) {
    if (image.type() != v1::Image::DOCKER || !image.has_docker()) {
      return responder.respond(
          http::Response::text(400, "PRUNE_IMAGES: 'excluded_images' may name Docker images only"));
    }
    excluded.push_back(image.docker().name());
  }
  if (!images_) {  // as Mesos: nothing stored, nothing to prune
    return responder.respond(http::Response{.status = 200, .headers = {}, .body = {}});
  }
  auto shared = std::make_shared<http::Responder>(std::move(responder));
  images_->prune(std::move(excluded), [this, shared](const Result<images::PruneResult>& result) {
    if (!result) {
      return shared->respond(http::errorResponse(result.error()));
    }
    log_->info("images_pruned images_removed={} layers_removed={}", result->images_removed.size(),
               result->layers_removed);
    shared->respond(http::Response{.status = 200, .headers = {}, .body = {}});
  });
}

bool Agent::provisionImage(Executor& executor) {
  const v1::ContainerInfo* container = launchContainer(executor);
  if (container == nullptr) {
    return false;
  }
  if (!executor.commandExecutor()) {
    for (const auto& [task_id, task] : executor.queuedTasks()) {
      auto own = images::requestedImages(task.container());
      if (own && !own->empty()) {
        failLaunch(executor, fmt::format("Task '{}' names its own image, which only tasks "
                                         "run by the command executor may do here",
                                         task_id));
        return true;
      }
    }
  }
  auto request = images::requestedImages(*container);
  if (!request) {
    failLaunch(executor, request.error().message());
    return true;
  }
  auto host_paths = hostPathMounts(*container);
  if (!host_paths) {
    failLaunch(executor, host_paths.error().message());
    return true;
  }
  if (request->empty()) {
    if (!host_paths->empty()) {  // the host's filesystem, with the volumes bound in it
      channel(executor).image =
          std::make_shared<images::Provisioned>(images::Provisioned{.mounts = *host_paths});
    }
    return false;
  }
  if (!images_) {
    failLaunch(executor, fmt::format("The task names image '{}', but this agent runs no images "
                                     "(start it with --image_providers=docker)",
                                     request->name()));
    return true;
  }
  startProvisioning(executor, std::move(*request), std::move(*host_paths));
  return true;
}

void Agent::startProvisioning(Executor& executor, images::ContainerImages request,
                              std::vector<images::VolumeMount> host_paths) {
  const std::string fw_id = executor.frameworkId();
  const std::string ex_id = executor.id();
  const std::string container_id = executor.containerId();
  const std::string name = request.name();
  log_->info("image_provision_started framework_id={} executor_id={} image={} cached={}", fw_id,
             ex_id, name, !request.image || request.image->cached);
  auto started = clock_.now();
  images_->provision(
      container_id, std::move(request),
      [this, fw_id, ex_id, container_id, name, started,
       host_paths = std::move(host_paths)](Result<images::Provisioned> result) {
        auto ms = std::chrono::duration<double, std::milli>(clock_.now() - started).count();
        Executor* e = book_.find(fw_id, ex_id);
        if (e == nullptr || e->containerId() != container_id) {
          images_->destroy(container_id);
          return;
        }
        if (!result) {
          log_->warn("image_provision_failed framework_id={} executor_id={} image={} error=\"{}\"",
                     fw_id, ex_id, name, result.error().message());
          images_->destroy(container_id);
          return failLaunch(*e, result.error().message());
        }
        log_->info(
            "image_provisioned framework_id={} executor_id={} image={} layers={} volumes={} "
            "rootfs={} elapsed_ms={:.1f}",
            fw_id, ex_id, result->image, result->digests.size(), result->mounts.size(),
            result->rootfs, ms);
        if (e->state() == ExecutorState::kTerminating) {
          return executorTerminated(
              fw_id, ex_id, "Executor shut down while its image was provisioned", std::nullopt);
        }
        result->mounts.insert(result->mounts.end(), host_paths.begin(), host_paths.end());
        channel(*e).image = std::make_shared<images::Provisioned>(std::move(*result));
        continueLaunch(*e);
      });
}

Status Agent::enterImage(const Executor& executor, LaunchSpec& spec, std::string& user) {
  auto it = channels_.find(executor.containerId());
  if (it == channels_.end() || !it->second.image) {
    return {};
  }
  const images::Provisioned& image = *it->second.image;
  // As the host's: without --switch_user everything runs as the agent's user. Root, which
  // images need not list, is the agent's own (images run only when the agent is root).
  std::string image_user = flags_.switch_user && user != "root" ? user : std::string();
  user.clear();
  if (!image_user.empty()) {
    // plateau-rootfs looks it up again from inside; this early look fails the launch with the
    // cause instead of a program that exits at once.
    if (auto found = images::readImageUser(image.rootfs.empty() ? "/" : image.rootfs, image_user);
        !found) {
      return found.error();
    }
  }
  if (image.rootfs.empty() && !executor.commandExecutor()) {
    return enterVolumesOnly(executor, image, image_user, spec);
  }
  if (executor.commandExecutor()) {
    if (!image_user.empty()) {
      spec.env.push_back("PLATEAU_CONTAINER_USER=" + image_user);
    }
    spec.env.push_back("PLATEAU_ROOTFS=" + image.rootfs);
    spec.env.push_back("PLATEAU_SANDBOX_DIRECTORY=" + flags_.sandbox_directory);
    spec.env.push_back("PLATEAU_IMAGE_CONFIG=" +
                       json::stringify(images::configToJson(image.config)));
    if (!image.mounts.empty()) {
      spec.env.push_back("PLATEAU_ROOTFS_MOUNTS=" + images::mountsToJson(image.mounts));
    }
    return {};
  }
  const v1::CommandInfo& command = executor.info().command();
  images::TaskCommand task;
  task.shell = command.shell();
  if (command.has_value()) {
    task.value = command.value();
  }
  task.arguments.assign(command.arguments().begin(), command.arguments().end());
  auto merged = images::mergeCommand(image.config, task);
  if (!merged) {
    return merged.error();
  }
  std::vector<std::string> env;
  for (const auto& e : spec.env) {
    if (e.starts_with("MESOS_") || e.starts_with("CUDA_")) {
      env.push_back(e);
    }
  }
  env.push_back("MESOS_SANDBOX=" + flags_.sandbox_directory);
  for (const auto& var : command.environment().variables()) {
    env.push_back(var.name() + "=" + var.value());
  }
  images::EnterOptions enter;
  enter.rootfs = image.rootfs;
  enter.sandbox = executor.directory();
  enter.sandbox_directory = flags_.sandbox_directory;
  enter.working_dir = image.config.working_dir;
  enter.user = image_user;
  enter.argv = merged->argv;
  enter.mounts = image.mounts;
  std::string helper = (fs::path(executor_path_).parent_path() / "plateau-rootfs").string();
  spec.path = helper;
  spec.argv = images::enterArgs("plateau-rootfs", enter);
  spec.env = images::mergeEnvironment(image.config, env);
  return {};
}

Status Agent::enterVolumesOnly(const Executor& executor, const images::Provisioned& image,
                               const std::string& user, LaunchSpec& spec) {
  images::EnterOptions enter;
  enter.sandbox = executor.directory();
  enter.working_dir = spec.working_dir;
  enter.user = user;
  enter.program = spec.path;
  enter.argv = spec.argv;
  enter.mounts = image.mounts;
  spec.path = (fs::path(executor_path_).parent_path() / "plateau-rootfs").string();
  spec.argv = images::enterArgs("plateau-rootfs", enter);
  return {};
}

void Agent::releaseImage(const std::string& container_id) {
  if (images_) {
    images_->destroy(container_id);
  }
}

}  // namespace plateau::agent

namespace plateau::agent {

void Agent::writeImages(json::Writer& w) const {
  w.key("images");
  w.beginArray();
  for (const auto& image : images_->images()) {
    w.beginObject();
    w.key("name");
    w.value(image.name);
    w.key("layers");
    w.value(static_cast<double>(image.digests.size()));
    w.key("size_bytes");
    w.value(static_cast<double>(image.size_bytes));
    w.endObject();
  }
  w.endArray();
}

}  // namespace plateau::agent
