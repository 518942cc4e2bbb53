// The store's registry side: images pulled over the registry v2 protocol. Layers are keyed by
// their blob digest (layers/<hex of the blob>), so a layer that any image already brought is
// never downloaded again.

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "agent/images/layer_unpack.h"
#include "agent/images/registry_client.h"
#include "agent/images/store.h"
#include "common/json.h"

namespace plateau::agent::images {

namespace fs = std::filesystem;

namespace {

bool isDockerHub(const std::string& host) {
  return host == "registry-1.docker.io" || host == "index.docker.io" || host == "docker.io";
}

Status named(const ImageRef& ref, const Status& cause) {
  return {cause.code(), fmt::format("Failed to pull image '{}': {}", ref.str(), cause.message())};
}

}  // namespace

Status Store::storeBlobs(RegistryClient& client, const ImageRef& ref,
                         const std::vector<std::string>& digests,
                         const std::map<std::string, std::vector<std::string>>& foreign_urls) {
  uint64_t unpacked = 0;
  uint64_t reused = 0;
  uint64_t bytes = 0;
  for (const auto& digest : digests) {
    std::error_code ec;
    if (fs::is_directory(fs::path(layerDir(digest)) / "rootfs", ec)) {
      reused++;
      continue;
    }
    // One pull at a time resumes a blob's partial download; another pull of the same blob
    // at that moment downloads its own copy.
    bool resumable = false;
    {
      std::lock_guard lock(mu_);
      resumable = downloading_.insert(digest).second;
    }
    fs::path blob = resumable ? fs::path(dir_) / "partial" / digest.substr(7)
                              : fs::path(dir_) / "staging" /
                                    (digest.substr(7, 12) + "-" + uniqueId() + ".blob");
    auto done_downloading = [&] {
      if (resumable) {
        std::lock_guard lock(mu_);
        downloading_.erase(digest);
      }
    };
    auto started = std::chrono::steady_clock::now();
    auto foreign = foreign_urls.find(digest);
    auto size =
        client.blob(digest, blob.string(), resumable,
                    foreign == foreign_urls.end() ? std::vector<std::string>() : foreign->second);
    if (!size) {
      if (!resumable || size.error().code() != StatusCode::kUnavailable) {
        fs::remove(blob, ec);  // only a download that broke off is worth resuming
      }
      done_downloading();
      return size.error();
    }
    bytes += *size;
    if (layer_pulled_) {
      layer_pulled_(
          ref.str(), digest, *size,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count());
    }
    auto existed = storeLayer(blob.string(), digest);
    fs::remove(blob, ec);
    done_downloading();
    if (!existed) {
      return {existed.error().code(),
              fmt::format("layer {}: {}", digest, existed.error().message())};
    }
    (*existed ? reused : unpacked)++;
  }
  std::lock_guard lock(mu_);
  stats_.layers_unpacked += unpacked;
  stats_.layers_reused += reused;
  stats_.bytes_pulled += bytes;
  return {};
}

Result<StoredImage> Store::pullRegistry(const ImageRef& ref, const std::string& docker_config) {
  std::string base = registry_;
  if (!ref.registry.empty()) {
    base = "https://" +
           (ref.registry == "docker.io" ? std::string("registry-1.docker.io") : ref.registry);
  }
  auto url = parseRegistryUrl(base);
  if (!url) {
    return std::unexpected(named(ref, url.error()));
  }
  std::string repository = ref.repository;
  if (isDockerHub(url->host) && repository.find('/') == std::string::npos) {
    repository = "library/" + repository;
  }
  std::optional<Credentials> credentials;
  for (const std::string* config :
       {&docker_config, static_cast<const std::string*>(&docker_config_)}) {
    if (config->empty() || credentials) {
      continue;
    }
    auto found = credentialsFor(*config, url->authority());
    if (!found) {
      return std::unexpected(named(ref, found.error()));
    }
    credentials = *found;
  }
  RegistryClient client(*url, repository, credentials);
  if (layer_progress_) {
    client.onProgress(
        [this, name = ref.str()](const std::string& digest, uint64_t received, uint64_t total) {
          layer_progress_(name, digest, received, total);
        });
  }
  auto manifest = client.manifest(ref.digest.empty() ? ref.tag : ref.digest);
  if (!manifest) {
    return std::unexpected(named(ref, manifest.error()));
  }
  StoredImage image;
  image.name = ref.str();
  if (manifest->config) {
    image.config = *manifest->config;
  } else {
    auto blob = client.smallBlob(manifest->config_digest);
    if (!blob) {
      return std::unexpected(named(ref, blob.error()));
    }
    auto doc = json::parse(*blob);
    if (!doc) {
      return std::unexpected(
          named(ref, Status(StatusCode::kInvalidArgument, "its config blob is not JSON")));
    }
    auto config = parseImageConfig(*doc);
    if (!config) {
      return std::unexpected(named(ref, config.error()));
    }
    image.config = *config;
  }
  if (Status s = storeBlobs(client, ref, manifest->layers, manifest->foreign_urls); !s.isOk()) {
    return std::unexpected(named(ref, s));
  }
  for (const auto& digest : manifest->layers) {
    image.digests.push_back(digest);
    image.layers.push_back((fs::path(layerDir(digest)) / "rootfs").string());
  }
  if (Status s = writeRecord(ref, image); !s.isOk()) {
    return std::unexpected(s);
  }
  return image;
}

}  // namespace plateau::agent::images
