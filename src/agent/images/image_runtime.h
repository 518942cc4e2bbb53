#pragma once

// The agent's image service: the store and the provisioner behind one asynchronous call, so a
// pull never blocks the agent's loop. Each provision() runs on a worker thread of its own and
// reports through `post` (the loop's), exactly once. The destructor waits for running workers.

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
};

class ImageRuntime {
 public:
  using Post = std::function<void(std::function<void()>)>;
  using Done = std::function<void(Result<Provisioned>)>;

  // `store_dir`: --docker_store_dir; `provisioner_dir`: where rootfs are assembled.
  ImageRuntime(std::string store_dir, std::string registry, std::string provisioner_dir,
               Backend backend, Post post);
  ~ImageRuntime();

  Status initialize() { return store_.initialize(); }

  // Pulls (unless stored and `cached`) and assembles the image's rootfs for the container;
  // `done` runs through `post` with the result. Errors name the image and the cause.
  void provision(const std::string& container_id, const std::string& name, bool cached, Done done);

  // Unmounts and removes a container's rootfs (synchronous; quick).
  void destroy(const std::string& container_id) { provisioner_.destroy(container_id); }
  void recover(const std::vector<std::string>& alive) { provisioner_.recover(alive); }

  StoreStats stats() const { return store_.stats(); }
  Backend backend() const { return provisioner_.backend(); }

 private:
  void reapFinished();

  Store store_;
  Provisioner provisioner_;
  Post post_;
  std::mutex mu_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::list<Worker> workers_;  // guarded by mu_
};

}  // namespace plateau::agent::images
