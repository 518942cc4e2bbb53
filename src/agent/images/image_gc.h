#pragma once

// Automatic image garbage collection's configuration, Mesos's ImageGcConfig as the agent's
// --image_gc_config JSON:
//   {"image_disk_headroom": 0.1,
//    "image_disk_watch_interval": {"nanoseconds": 300000000000},
//    "excluded_images": [{"type": "DOCKER", "docker": {"name": "busybox"}}]}
// Every watch interval the agent looks at the store's filesystem; when less than
// `image_disk_headroom` of it is free, unused images and layers are pruned.

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace plateau::agent::images {

struct ImageGcConfig {
  double image_disk_headroom = 0.1;
  std::chrono::nanoseconds image_disk_watch_interval = std::chrono::minutes(5);
  std::vector<std::string> excluded_images;  // Docker names as given
};

// InvalidArgument naming the field (and the flag) when the JSON is not that shape, the
// headroom is outside [0, 1] or the interval is not positive.
Result<ImageGcConfig> parseImageGcConfig(const std::string& text);

// The fraction (0..1) of the filesystem holding `path` that is in use; Unavailable when it
// cannot be read.
Result<double> diskUsage(const std::string& path);

}  // namespace plateau::agent::images
