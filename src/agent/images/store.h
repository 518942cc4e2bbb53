#pragma once

// The image store under --docker_store_dir: each layer unpacked once, in a folder named by the
// sha256 of its tar (layers/<hex>/rootfs), shared by every image that has it; each image a
// small record (images/<name>.json: its layers bottom first and its runtime config).
//
// Guarantees:
// - What the store trusts appears only complete: a layer is unpacked in staging/ and renamed
//   into layers/, a record is written beside and renamed; a pull that fails or is killed
//   mid-way leaves only staging/ folders, which the next Store removes, and the blob it was
//   downloading in partial/<hex>: the next download of that blob asks only for the rest (an
//   HTTP Range) and trusts nothing of it before the whole blob hashes to its digest.
// - Concurrent get() calls for one image with the same credentials (from any threads) pull it
//   once; the others wait for that pull and share its result. Different images pull in
//   parallel.
// - Thread-safe; no call touches the agent's loop.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/images/image_config.h"
#include "agent/images/image_ref.h"
#include "agent/images/registry_client.h"
#include "common/status.h"

namespace plateau::agent::images {

struct StoredImage {
  std::string name;                 // ImageRef::str()
  std::vector<std::string> layers;  // layer rootfs folders, bottom first
  std::vector<std::string> digests;
  ImageConfig config;
  uint64_t size_bytes = 0;  // list() only: the layers' archive sizes, summed
};

struct StoreStats {
  uint64_t pulls = 0;            // images pulled from the registry
  uint64_t cache_hits = 0;       // images found in the store
  uint64_t pulls_joined = 0;     // requests that waited for a pull of the same image
  uint64_t pull_failures = 0;    // pulls that failed
  uint64_t layers_unpacked = 0;  // layers written to the store
  uint64_t layers_reused = 0;    // layers an image pull found already stored
  uint64_t bytes_pulled = 0;     // blob bytes downloaded from registries
};

struct PruneResult {
  std::vector<std::string> images_removed;  // canonical names
  uint64_t layers_removed = 0;
};

class Store {
 public:
  // `registry`: a folder of `docker save` tarballs, or an http(s):// registry URL (registry v2
  // pulls: see registry_client.h). `docker_config`: Docker's config.json text with the
  // credentials used when an image brings none of its own ("" for none).
  Store(std::string store_dir, std::string registry, std::string docker_config = "");

  // Removes staging/ leftovers and creates the store's folders.
  Status initialize();

  // The image, pulled first when it is not stored or when `cached` is false (from a registry:
  // the manifest is fetched afresh; layers already stored are not downloaded again).
  // `docker_config`: the image's own Docker config.json credentials ("" for the store's).
  // Errors name the image and the cause: NotFound (no such image), InvalidArgument (a
  // malformed or corrupt tarball or manifest, a digest mismatch, a layer escaping its root),
  // PermissionDenied (the registry refused), Unavailable (network or disk errors).
  Result<StoredImage> get(const ImageRef& ref, bool cached = true,
                          const std::string& docker_config = "");

  // Image garbage collection: removes the record of every image that is neither in
  // `keep_images` (canonical names) nor in use (all its layers in `layers_in_use`, the layer
  // rootfs folders of live containers), then every layer that no remaining record names and no live
  // container uses. The caller makes sure no get() runs meanwhile (ImageRuntime does).
  PruneResult prune(const std::set<std::string>& keep_images,
                    const std::set<std::string>& layers_in_use);

  // The stored images (name, layers bottom first), for the agent's state.
  std::vector<StoredImage> list() const;

  // Called on the pulling thread after each layer a registry pull downloads (image, digest,
  // bytes, milliseconds): the agent logs it, so large pulls show their progress.
  using LayerPulled = std::function<void(const std::string&, const std::string&, uint64_t, double)>;
  void onLayerPulled(LayerPulled fn) { layer_pulled_ = std::move(fn); }
  // Called on the pulling thread while a layer downloads (image, digest, bytes so far, size),
  // every RegistryClient::kProgressBytes or kProgressInterval: progress within a large layer.
  using LayerProgress =
      std::function<void(const std::string&, const std::string&, uint64_t, uint64_t)>;
  void onLayerProgress(LayerProgress fn) { layer_progress_ = std::move(fn); }

  StoreStats stats() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Pull {
    bool done = false;
    std::optional<Result<StoredImage>> result;
  };

  Result<StoredImage> pull(const ImageRef& ref, const std::string& docker_config);
  Result<StoredImage> pullArchive(const ImageRef& ref);
  Result<StoredImage> pullRegistry(const ImageRef& ref, const std::string& docker_config);
  // Makes sure each blob is a stored layer, downloading the missing ones.
  Status storeBlobs(RegistryClient& client, const ImageRef& ref,
                    const std::vector<std::string>& digests,
                    const std::map<std::string, std::vector<std::string>>& foreign_urls);
  Status writeRecord(const ImageRef& ref, const StoredImage& image);
  Result<StoredImage> readRecord(const ImageRef& ref) const;
  // Unpacks a layer tar into layers/<hex> unless there already; whether it was there.
  Result<bool> storeLayer(const std::string& tar, const std::string& digest);
  std::string recordPath(const ImageRef& ref) const;
  static std::string uniqueId();
  std::string layerDir(const std::string& digest) const;

  std::string dir_;
  std::string registry_;
  std::string docker_config_;
  LayerPulled layer_pulled_;      // set before any get()
  LayerProgress layer_progress_;  // likewise
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Pull>> pulls_;  // guarded by mu_
  std::set<std::string> downloading_;  // blob digests whose partial/ file a pull writes; mu_
  StoreStats stats_;                   // guarded by mu_
};

}  // namespace plateau::agent::images
