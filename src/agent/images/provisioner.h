#pragma once

// Assembles each container's root filesystem from an image's stored layers, under
// <provisioner_dir>/containers/<container id>/: `rootfs` is either an overlay mount (the layers
// read-only below, `upper` and `work` per container above) or a copy of the layers applied in
// order (whiteouts and opaque folders honoured). The store's layers are never written.
// Thread-safe for distinct container ids.

#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace plateau::agent::images {

enum class Backend { kOverlay, kCopy };

// "overlay" or "copy"; "" picks overlay when the kernel lists it in /proc/filesystems.
// InvalidArgument names the flag for any other value, or for overlay without kernel support.
Result<Backend> chooseBackend(const std::string& flag);
const char* backendName(Backend backend);

class Provisioner {
 public:
  Provisioner(std::string dir, Backend backend) : dir_(std::move(dir)), backend_(backend) {}

  // Builds the rootfs from `layers` (bottom first) and returns its path, and records the
  // layers in the container's folder (`layers`) for layersInUse(). On failure nothing of the
  // container is left.
  Result<std::string> provision(const std::string& container_id,
                                const std::vector<std::string>& layers);

  // Unmounts and removes the container's rootfs, and those nested in it (ids
  // "<container_id>.<name>": a task of its group, an image volume); nothing to do for an
  // unknown id.
  void destroy(const std::string& container_id);

  // Destroys every container folder whose id, or whose outermost id (the part before the
  // first '.'), is not in `alive` (what an earlier agent left).
  void recover(const std::vector<std::string>& alive);

  // The layer folders the containers on disk were built from (their `layers` records, which
  // outlive an agent restart): what image garbage collection must keep.
  std::set<std::string> layersInUse() const;

  // The container's folder (its rootfs is `rootfs` inside).
  std::string containerDir(const std::string& container_id) const;
  Backend backend() const { return backend_; }

 private:
  void destroyOne(const std::string& container_id);

  std::string dir_;
  Backend backend_;
};

// Copies one layer (in the store's overlay form) onto `rootfs`: whiteout devices remove what
// they name, opaque folders are emptied first. Exposed for tests.
Status applyLayerCopy(const std::string& layer, const std::string& rootfs);

}  // namespace plateau::agent::images
