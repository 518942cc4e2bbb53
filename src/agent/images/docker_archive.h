#pragma once

// A `docker save` tarball, read as Mesos's local puller reads it: the `repositories` file names
// each repository's tags and their top layer id; each layer is a folder `<id>/` with `json`
// (its parent's id and, on the top layer, the image's runtime config) and `layer.tar`. When the
// tarball also has Docker 1.10's `manifest.json` and image config, the config's
// `rootfs.diff_ids` (sha256 of each layer.tar) are checked against the layers' bytes.

#include <map>
#include <string>
#include <vector>

#include "agent/images/image_config.h"
#include "agent/images/image_ref.h"
#include "common/json.h"
#include "common/status.h"

namespace plateau::agent::images {

// One layer of an image, bottom first: its tar (in a scratch folder) and that tar's digest.
struct LayerFile {
  std::string id;      // the `docker save` folder name
  std::string tar;     // path of the unpacked-from-the-archive layer.tar
  std::string digest;  // "sha256:<hex>" of the tar's bytes
};

struct ResolvedImage {
  std::vector<LayerFile> layers;  // bottom first
  ImageConfig config;
};

// The top layer id `repositories` gives for the reference; NotFound names the repository or
// tag when it is missing, InvalidArgument when the file is not the expected shape.
Result<std::string> topLayer(const json::Value& repositories, const ImageRef& ref);

// The ids from the bottom layer to `top`, following each `json`'s "parent". InvalidArgument on
// a missing layer or a cycle.
Result<std::vector<std::string>> layerChain(const std::string& top,
                                            const std::map<std::string, json::Value>& layer_json);

// Checks each layer's digest against the config's rootfs.diff_ids (in order). InvalidArgument
// ("digest mismatch") naming the layer whose bytes differ.
Status verifyDiffIds(const std::vector<LayerFile>& layers, const json::Value& image_config);

// Reads the tarball at `path`, writing its layer tars into the existing `scratch` folder, and
// resolves `ref` in it. NotFound when the tarball does not exist or lacks the reference.
Result<ResolvedImage> readDockerArchive(const std::string& path, const ImageRef& ref,
                                        const std::string& scratch);

}  // namespace plateau::agent::images
