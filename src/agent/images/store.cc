#include "agent/images/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "agent/images/docker_archive.h"
#include "agent/images/layer_unpack.h"
#include "common/json.h"

namespace plateau::agent::images {

namespace fs = std::filesystem;

namespace {

std::string uniqueName() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}-{}", rd(), rd(), ::getpid());
}

// A file name for an image name: '/', ':' and '@' replaced so that it stays one component.
std::string escapeName(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '/') {
      out += "%2F";
    } else if (c == ':') {
      out += "%3A";
    } else if (c == '@') {
      out += "%40";
    } else if (c == '%') {
      out += "%25";
    } else {
      out += c;
    }
  }
  return out;
}

// Removes a scratch folder when the pull that made it ends, however it ends.
struct ScratchDir {
  fs::path dir;
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

Status writeAtomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp-" + uniqueName();
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return {StatusCode::kUnavailable, fmt::format("Failed to write '{}'", tmp.string())};
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return {StatusCode::kUnavailable,
            fmt::format("Failed to write '{}': {}", path.string(), ec.message())};
  }
  return {};
}

}  // namespace

Store::Store(std::string store_dir, std::string registry, std::string docker_config)
    : dir_(std::move(store_dir)),
      registry_(std::move(registry)),
      docker_config_(std::move(docker_config)) {}

Status Store::initialize() {
  std::error_code ec;
  fs::remove_all(fs::path(dir_) / "staging", ec);
  for (const char* sub : {"staging", "partial", "layers", "images"}) {
    fs::create_directories(fs::path(dir_) / sub, ec);
    if (ec) {
      return {StatusCode::kUnavailable, fmt::format("Failed to create '{}': {}",
                                                    (fs::path(dir_) / sub).string(), ec.message())};
    }
  }
  return {};
}

std::string Store::uniqueId() { return uniqueName(); }

std::string Store::recordPath(const ImageRef& ref) const {
  return (fs::path(dir_) / "images" / (escapeName(ref.str()) + ".json")).string();
}

std::string Store::layerDir(const std::string& digest) const {
  std::string hex = digest.starts_with("sha256:") ? digest.substr(7) : digest;
  return (fs::path(dir_) / "layers" / hex).string();
}

StoreStats Store::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Result<StoredImage> Store::readRecord(const ImageRef& ref) const {
  std::ifstream in(recordPath(ref));
  if (!in) {
    return notFound("no record");
  }
  std::stringstream text;
  text << in.rdbuf();
  auto doc = json::parse(text.str());
  if (!doc || !doc->isObject() || doc->find("layers") == nullptr || !(*doc)["layers"].isArray()) {
    return notFound("unreadable record");
  }
  StoredImage image;
  image.name = ref.str();
  for (const auto& d : (*doc)["layers"].asArray()) {
    if (!d.isString()) {
      return notFound("unreadable record");
    }
    std::string rootfs = (fs::path(layerDir(d.asString())) / "rootfs").string();
    std::error_code ec;
    if (!fs::is_directory(rootfs, ec)) {
      return notFound("a layer is missing");
    }
    image.digests.push_back(d.asString());
    image.layers.push_back(rootfs);
  }
  image.config = configFromJson(*doc);
  return image;
}

Result<StoredImage> Store::get(const ImageRef& ref, bool cached, const std::string& docker_config) {
  // Requests with other credentials do not join a pull: they might not be allowed what it got.
  const std::string key = ref.str() + "\n" + docker_config;
  std::shared_ptr<Pull> pull;
  bool leader = false;
  {
    std::unique_lock lock(mu_);
    if (auto it = pulls_.find(key); it != pulls_.end()) {
      pull = it->second;
    } else {
      if (cached) {
        if (auto stored = readRecord(ref)) {
          stats_.cache_hits++;
          return stored;
        }
      }
      pull = std::make_shared<Pull>();
      pulls_[key] = pull;
      leader = true;
    }
    if (!leader) {
      stats_.pulls_joined++;
      cv_.wait(lock, [&] { return pull->done; });
      return *pull->result;
    }
  }
  Result<StoredImage> result = this->pull(ref, docker_config);
  std::lock_guard lock(mu_);
  (result ? stats_.pulls : stats_.pull_failures)++;
  pull->result = result;
  pull->done = true;
  pulls_.erase(key);
  cv_.notify_all();
  return result;
}

Result<bool> Store::storeLayer(const std::string& tar, const std::string& digest) {
  fs::path final_dir = layerDir(digest);
  std::error_code ec;
  if (fs::is_directory(final_dir / "rootfs", ec)) {
    return true;
  }
  fs::path staging = fs::path(dir_) / "staging" / uniqueName();
  fs::create_directories(staging / "rootfs", ec);
  if (ec) {
    return unavailable(fmt::format("Failed to create '{}': {}", staging.string(), ec.message()));
  }
  if (Status s = unpackLayer(tar, (staging / "rootfs").string()); !s.isOk()) {
    fs::remove_all(staging, ec);
    return std::unexpected(s);
  }
  // The archive's size, for listings (`plateau agent show`).
  std::ofstream(staging / "size") << fs::file_size(tar, ec);
  fs::rename(staging, final_dir, ec);
  if (ec) {
    // Another pull stored the same layer first: theirs is as good as ours.
    fs::remove_all(staging, ec);
    if (fs::is_directory(final_dir / "rootfs", ec)) {
      return true;
    }
    return unavailable(fmt::format("Failed to store layer {}", digest));
  }
  return false;
}

Result<StoredImage> Store::pull(const ImageRef& ref, const std::string& docker_config) {
  const bool remote = registry_.starts_with("http://") || registry_.starts_with("https://");
  if (remote || (!ref.registry.empty() && !fs::is_directory(registry_))) {
    return pullRegistry(ref, docker_config);
  }
  return pullArchive(ref);
}

Status Store::writeRecord(const ImageRef& ref, const StoredImage& image) {
  json::Value record = configToJson(image.config);
  json::Value digests = json::Array{};
  for (const auto& d : image.digests) {
    digests.push(d);
  }
  record.set("layers", std::move(digests));
  record.set("name", image.name);
  return writeAtomically(recordPath(ref), json::stringify(record));
}

Result<StoredImage> Store::pullArchive(const ImageRef& ref) {
  fs::path scratch = fs::path(dir_) / "staging" / uniqueName();
  std::error_code ec;
  fs::create_directories(scratch, ec);
  if (ec) {
    return unavailable(fmt::format("Failed to create '{}': {}", scratch.string(), ec.message()));
  }
  ScratchDir cleanup{scratch};
  std::string tarball = (fs::path(registry_) / (ref.localName() + ".tar")).string();
  auto resolved = readDockerArchive(tarball, ref, scratch.string());
  if (!resolved) {
    return std::unexpected(resolved.error());
  }
  StoredImage image;
  image.name = ref.str();
  image.config = resolved->config;
  uint64_t unpacked = 0;
  uint64_t reused = 0;
  for (const auto& layer : resolved->layers) {
    auto existed = storeLayer(layer.tar, layer.digest);
    if (!existed) {
      return std::unexpected(
          Status(existed.error().code(),
                 fmt::format("image '{}': {}", ref.localName(), existed.error().message())));
    }
    (*existed ? reused : unpacked)++;
    image.digests.push_back(layer.digest);
    image.layers.push_back((fs::path(layerDir(layer.digest)) / "rootfs").string());
  }
  if (Status s = writeRecord(ref, image); !s.isOk()) {
    return std::unexpected(s);
  }
  std::lock_guard lock(mu_);
  stats_.layers_unpacked += unpacked;
  stats_.layers_reused += reused;
  return image;
}

}  // namespace plateau::agent::images
