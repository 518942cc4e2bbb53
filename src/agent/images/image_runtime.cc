#include "agent/images/image_runtime.h"

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "agent/images/image_ref.h"

namespace plateau::agent::images {

ImageRuntime::ImageRuntime(std::string store_dir, std::string registry, std::string docker_config,
                           std::string provisioner_dir, Backend backend, Post post,
                           bool ignore_runtime)
    : store_(std::move(store_dir), std::move(registry), std::move(docker_config)),
      provisioner_(std::move(provisioner_dir), backend),
      post_(std::move(post)),
      ignore_runtime_(ignore_runtime) {}

Status ImageRuntime::initialize() {
  Status s = store_.initialize();
  refreshImages();
  return s;
}

void ImageRuntime::refreshImages() {
  auto images = store_.list();
  std::lock_guard lock(mu_);
  images_ = std::move(images);
}

std::vector<StoredImage> ImageRuntime::images() const {
  std::lock_guard lock(mu_);
  return images_;
}

ImageRuntime::~ImageRuntime() {
  std::list<Worker> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& w : workers) {
    w.thread.join();
  }
}

void ImageRuntime::reapFinished() {
  std::lock_guard lock(mu_);
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->finished->load()) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<Provisioned> ImageRuntime::provisionOne(const std::string& container_id,
                                               const ImageRequest& request) {
  auto ref = parseImageRef(request.name);
  if (!ref) {
    return std::unexpected(ref.error());
  }
  auto image = store_.get(*ref, request.cached, request.docker_config);
  if (!image) {
    return std::unexpected(image.error());
  }
  auto rootfs = provisioner_.provision(container_id, image->layers);
  if (!rootfs) {
    return std::unexpected(rootfs.error());
  }
  return Provisioned{
      image->name, *rootfs, ignore_runtime_ ? ImageConfig{} : image->config, image->digests, {}};
}

namespace {

// A container without an image of its own mounts its image volumes at absolute paths of the
// host, which must be folders there (as Mesos's volume/image isolator requires).
Status checkHostTargets(const ContainerImages& request) {
  if (request.image) {
    return {};
  }
  for (const auto& volume : request.volumes) {
    std::error_code ec;
    if (volume.container_path.starts_with("/") &&
        !std::filesystem::is_directory(volume.container_path, ec)) {
      return Status(
          StatusCode::kFailedPrecondition,
          fmt::format(
              "Volume '{}': the container has no image of its own, so its absolute container_path "
              "must be a folder of the host, and it is not",
              volume.container_path));
    }
  }
  return {};
}

}  // namespace

void ImageRuntime::provision(const std::string& container_id, ContainerImages request, Done done) {
  reapFinished();
  spawn([this, container_id, request = std::move(request), done = std::move(done)]() mutable {
    const uint64_t pulls_before = store_.stats().pulls;
    Result<Provisioned> result = [&]() -> Result<Provisioned> {
      std::shared_lock gc(gc_mu_);
      if (Status s = checkHostTargets(request); !s.isOk()) {
        return std::unexpected(s);
      }
      // Without an image of its own the container stays in the host's filesystem (rootfs "").
      auto main = request.image ? provisionOne(container_id, *request.image)
                                : Result<Provisioned>(Provisioned{});
      for (size_t i = 0; main && i < request.volumes.size(); i++) {
        const auto& volume = request.volumes[i];
        auto rootfs = provisionOne(fmt::format("{}.volume-{}", container_id, i), volume.image);
        if (!rootfs) {
          provisioner_.destroy(container_id);
          return std::unexpected(Status(
              rootfs.error().code(),
              fmt::format("Volume '{}': {}", volume.container_path, rootfs.error().message())));
        }
        main->mounts.push_back({rootfs->rootfs, volume.container_path, volume.read_only});
      }
      return main;
    }();
    if (store_.stats().pulls != pulls_before) {  // the store's list changed: read it again
      refreshImages();
    }
    post_([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
}

void ImageRuntime::destroy(const std::string& container_id) {
  reapFinished();
  spawn([this, container_id] { provisioner_.destroy(container_id); });
}

void ImageRuntime::spawn(std::function<void()> work) {
  auto finished = std::make_shared<std::atomic<bool>>(false);
  std::lock_guard lock(mu_);
  workers_.push_back({std::thread([work = std::move(work), finished] {
                        work();
                        finished->store(true);
                      }),
                      finished});
}

void ImageRuntime::prune(std::vector<std::string> excluded, PruneDone done) {
  reapFinished();
  spawn([this, excluded = std::move(excluded), done = std::move(done)]() mutable {
    std::unique_lock gc(gc_mu_);
    std::set<std::string> keep;
    for (const auto& name : excluded) {
      if (auto ref = parseImageRef(name)) {
        keep.insert(ref->str());
      }
    }
    Result<PruneResult> result = store_.prune(keep, provisioner_.layersInUse());
    refreshImages();
    gc.unlock();
    post_([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
}

}  // namespace plateau::agent::images
