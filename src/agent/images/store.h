#pragma once

// The image store under --docker_store_dir: each layer unpacked once, in a folder named by the
// sha256 of its tar (layers/<hex>/rootfs), shared by every image that has it; each image a
// small record (images/<name>.json: its layers bottom first and its runtime config).
//
// Guarantees:
// - What the store trusts appears only complete: a layer is unpacked in staging/ and renamed
//   into layers/, a record is written beside and renamed; a pull that fails or is killed
//   mid-way leaves only staging/ folders, which the next Store removes.
// - Concurrent get() calls for one image (from any threads) pull it once; the others wait for
//   that pull and share its result. Different images pull in parallel.
// - Thread-safe; no call touches the agent's loop.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/images/image_config.h"
#include "agent/images/image_ref.h"
#include "common/status.h"

namespace plateau::agent::images {

struct StoredImage {
  std::string name;                 // ImageRef::str()
  std::vector<std::string> layers;  // layer rootfs folders, bottom first
  std::vector<std::string> digests;
  ImageConfig config;
};

struct StoreStats {
  uint64_t pulls = 0;            // images pulled from the registry
  uint64_t cache_hits = 0;       // images found in the store
  uint64_t pulls_joined = 0;     // requests that waited for a pull of the same image
  uint64_t pull_failures = 0;    // pulls that failed
  uint64_t layers_unpacked = 0;  // layers written to the store
  uint64_t layers_reused = 0;    // layers an image pull found already stored
};

class Store {
 public:
  // `registry`: a folder of `docker save` tarballs, or an http(s):// registry URL (not pulled
  // from yet: such pulls fail with Unimplemented naming the URL).
  Store(std::string store_dir, std::string registry);

  // Removes staging/ leftovers and creates the store's folders.
  Status initialize();

  // The image, pulled first when it is not stored or when `cached` is false. Errors name the
  // image and the cause: NotFound (no such image), InvalidArgument (a malformed or corrupt
  // tarball, a digest mismatch, a layer escaping its root), Unavailable (disk errors).
  Result<StoredImage> get(const ImageRef& ref, bool cached = true);

  StoreStats stats() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Pull {
    bool done = false;
    std::optional<Result<StoredImage>> result;
  };

  Result<StoredImage> pull(const ImageRef& ref);
  Result<StoredImage> readRecord(const ImageRef& ref) const;
  // Unpacks a layer tar into layers/<hex> unless there already; whether it was there.
  Result<bool> storeLayer(const std::string& tar, const std::string& digest);
  std::string recordPath(const ImageRef& ref) const;
  std::string layerDir(const std::string& digest) const;

  std::string dir_;
  std::string registry_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Pull>> pulls_;  // guarded by mu_
  StoreStats stats_;                                    // guarded by mu_
};

}  // namespace plateau::agent::images
