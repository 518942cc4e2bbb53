#include "agent/images/image_gc.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::agent::images {

namespace {

std::unexpected<Status> bad(const std::string& what) {
  return invalidArgument(fmt::format("Flag '--image_gc_config': {}", what));
}

}  // namespace

Result<ImageGcConfig> parseImageGcConfig(const std::string& text) {
  auto doc = json::parse(text);
  if (!doc || !doc->isObject()) {
    return bad("not a JSON object");
  }
  ImageGcConfig config;
  if (const json::Value* headroom = doc->find("image_disk_headroom")) {
    if (!headroom->isNumber() || headroom->asDouble() < 0 || headroom->asDouble() > 1) {
      return bad("'image_disk_headroom' must be a number between 0 and 1");
    }
    config.image_disk_headroom = headroom->asDouble();
  }
  if (const json::Value* interval = doc->find("image_disk_watch_interval")) {
    const json::Value* ns = interval->isObject() ? interval->find("nanoseconds") : nullptr;
    if (ns == nullptr || !ns->isNumber() || ns->asDouble() <= 0) {
      return bad("'image_disk_watch_interval' must be {\"nanoseconds\": N} with N > 0");
    }
    config.image_disk_watch_interval =
        std::chrono::nanoseconds(static_cast<int64_t>(ns->asDouble()));
  }
  if (const json::Value* excluded = doc->find("excluded_images")) {
    if (!excluded->isArray()) {
      return bad("'excluded_images' must be an array of Image objects");
    }
    for (const auto& image : excluded->asArray()) {
      const json::Value* docker = image.isObject() ? image.find("docker") : nullptr;
      const json::Value* name =
          docker != nullptr && docker->isObject() ? docker->find("name") : nullptr;
      if (name == nullptr || !name->isString()) {
        return bad("each of 'excluded_images' needs 'docker.name' (only Docker images are kept)");
      }
      config.excluded_images.push_back(name->asString());
    }
  }
  return config;
}

Result<double> diskUsage(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) {
    return unavailable(fmt::format("statvfs('{}'): {}", path, std::strerror(errno)));
  }
  if (st.f_blocks == 0) {
    return 0.0;
  }
  return 1.0 - static_cast<double>(st.f_bavail) / static_cast<double>(st.f_blocks);
}

}  // namespace plateau::agent::images
