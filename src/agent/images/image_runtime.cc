#include "agent/images/image_runtime.h"

#include <fmt/format.h>

#include "agent/images/image_ref.h"

namespace plateau::agent::images {

ImageRuntime::ImageRuntime(std::string store_dir, std::string registry, std::string provisioner_dir,
                           Backend backend, Post post)
    : store_(std::move(store_dir), std::move(registry)),
      provisioner_(std::move(provisioner_dir), backend),
      post_(std::move(post)) {}

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

void ImageRuntime::provision(const std::string& container_id, const std::string& name, bool cached,
                             Done done) {
  reapFinished();
  auto finished = std::make_shared<std::atomic<bool>>(false);
  auto work = [this, container_id, name, cached, done = std::move(done), finished]() mutable {
    Result<Provisioned> result = [&]() -> Result<Provisioned> {
      auto ref = parseImageRef(name);
      if (!ref) {
        return std::unexpected(ref.error());
      }
      auto image = store_.get(*ref, cached);
      if (!image) {
        return std::unexpected(image.error());
      }
      auto rootfs = provisioner_.provision(container_id, image->layers);
      if (!rootfs) {
        return std::unexpected(rootfs.error());
      }
      return Provisioned{image->name, *rootfs, image->config, image->digests};
    }();
    post_([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
    finished->store(true);
  };
  std::lock_guard lock(mu_);
  workers_.push_back({std::thread(std::move(work)), finished});
}

}  // namespace plateau::agent::images
