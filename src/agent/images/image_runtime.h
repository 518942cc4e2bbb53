#pragma once

// The agent's image service: the store and the provisioner behind one asynchronous call, so a
// pull never blocks the agent's loop. Each provision() runs on a worker thread of its own and
// reports through `post` (the loop's), exactly once. The destructor waits for running workers.

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/images/container_image.h"
#include "agent/images/enter_rootfs.h"
#include "agent/images/image_config.h"
#include "agent/images/provisioner.h"
#include "agent/images/store.h"
#include "common/status.h"

namespace plateau::agent::images {

struct Provisioned {
  std::string image;   // canonical name
  std::string rootfs;  // host path of the container's root filesystem
  ImageConfig config;
  std::vector<std::string> digests;  // its layers, bottom first
  // The container's image volumes: each volume image's own rootfs (a nested container
  // "<container_id>.volume-<n>") and where it goes.
  std::vector<VolumeMount> mounts;
};

class ImageRuntime {
 public:
  using Post = std::function<void(std::function<void()>)>;
  using Done = std::function<void(Result<Provisioned>)>;

  // `store_dir`: --docker_store_dir; `provisioner_dir`: where rootfs are assembled;
  // `ignore_runtime` (--docker_ignore_runtime): every Provisioned's config is empty, so nothing
  // of an image's Entrypoint, Cmd, Env, WorkingDir or User reaches its containers.
  ImageRuntime(std::string store_dir, std::string registry, std::string docker_config,
               std::string provisioner_dir, Backend backend, Post post,
               bool ignore_runtime = false);
  ~ImageRuntime();

  Status initialize();
  void onLayerPulled(Store::LayerPulled fn) { store_.onLayerPulled(std::move(fn)); }
  void onLayerProgress(Store::LayerProgress fn) { store_.onLayerProgress(std::move(fn)); }

  // Pulls (unless stored and `cached`) and assembles the image's rootfs for the container, then
  // those of its image volumes; `done` runs through `post` with the result. Errors name the
  // image and the cause; on failure nothing of the container is left.
  // `request.image` must be set (its docker_config: the image's own credentials, Docker's
  // config.json, "" for the agent's).
  void provision(const std::string& container_id, ContainerImages request, Done done);

  // Unmounts and removes a container's rootfs (and its nested ones) on a worker thread: an
  // unmount waits for an RCU grace period, milliseconds to tens of them on a busy machine,
  // which the agent's loop must not.
  void destroy(const std::string& container_id);
  void recover(const std::vector<std::string>& alive) { provisioner_.recover(alive); }

  // Image garbage collection on a worker thread: every image but those named in `excluded`
  // (Docker names) and those live containers use is removed, with the layers nothing needs any
  // more; `done` runs through `post`. It waits for pulls and provisioning in flight, and holds
  // new ones until it is over.
  using PruneDone = std::function<void(Result<PruneResult>)>;
  void prune(std::vector<std::string> excluded, PruneDone done);

  // The stored images as of the last pull or prune (kept in memory: no disk reads).
  std::vector<StoredImage> images() const;
  const std::string& storeDir() const { return store_.dir(); }

  StoreStats stats() const { return store_.stats(); }
  Backend backend() const { return provisioner_.backend(); }

 private:
  // One image's rootfs for one container id (the worker thread; gc_mu_ held shared).
  Result<Provisioned> provisionOne(const std::string& container_id, const ImageRequest& request);
  void reapFinished();
  void spawn(std::function<void()> work);
  void refreshImages();

  Store store_;
  Provisioner provisioner_;
  Post post_;
  const bool ignore_runtime_;
  // Shared by each provision() (from its pull to its rootfs), exclusive for prune().
  std::shared_mutex gc_mu_;
  mutable std::mutex mu_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::list<Worker> workers_;        // guarded by mu_
  std::vector<StoredImage> images_;  // guarded by mu_
};

}  // namespace plateau::agent::images
