// The store's garbage collection and listing.

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/images/store.h"
#include "common/json.h"

namespace plateau::agent::images {

namespace fs = std::filesystem;

namespace {

struct RecordFile {
  fs::path path;
  std::string name;
  std::vector<std::string> digests;
};

// Every readable record (an unreadable one is left for the next pull to replace).
std::vector<RecordFile> readRecords(const fs::path& dir) {
  std::vector<RecordFile> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".json") {
      continue;
    }
    std::ifstream in(it->path());
    std::stringstream text;
    text << in.rdbuf();
    auto doc = json::parse(text.str());
    if (!doc || !doc->isObject() || doc->find("layers") == nullptr || !(*doc)["layers"].isArray() ||
        doc->find("name") == nullptr || !(*doc)["name"].isString()) {
      continue;
    }
    RecordFile record{it->path(), (*doc)["name"].asString(), {}};
    for (const auto& d : (*doc)["layers"].asArray()) {
      if (d.isString()) {
        record.digests.push_back(d.asString());
      }
    }
    out.push_back(std::move(record));
  }
  return out;
}

}  // namespace

std::vector<StoredImage> Store::list() const {
  std::vector<StoredImage> out;
  for (const auto& record : readRecords(fs::path(dir_) / "images")) {
    StoredImage image;
    image.name = record.name;
    image.digests = record.digests;
    for (const auto& d : record.digests) {
      image.layers.push_back((fs::path(layerDir(d)) / "rootfs").string());
      uint64_t size = 0;
      std::ifstream(fs::path(layerDir(d)) / "size") >> size;
      image.size_bytes += size;
    }
    out.push_back(std::move(image));
  }
  return out;
}

PruneResult Store::prune(const std::set<std::string>& keep_images,
                         const std::set<std::string>& layers_in_use) {
  PruneResult result;
  std::set<std::string> keep_layers = layers_in_use;
  for (const auto& record : readRecords(fs::path(dir_) / "images")) {
    // A live container's image is one whose layers are all in use (layers alone are shared).
    bool used = !record.digests.empty();
    for (const auto& d : record.digests) {
      used = used && layers_in_use.contains((fs::path(layerDir(d)) / "rootfs").string());
    }
    const bool keep = used || keep_images.contains(record.name);
    if (keep) {
      for (const auto& d : record.digests) {
        keep_layers.insert((fs::path(layerDir(d)) / "rootfs").string());
      }
      continue;
    }
    std::error_code ec;
    fs::remove(record.path, ec);
    if (!ec) {
      result.images_removed.push_back(record.name);
    }
  }
  std::vector<fs::path> unused;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(dir_) / "layers", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!keep_layers.contains((it->path() / "rootfs").string())) {
      unused.push_back(it->path());
    }
  }
  for (const auto& layer : unused) {
    // Renamed first, so a half-removed layer is never taken for a stored one.
    fs::path doomed = fs::path(dir_) / "staging" / ("gc-" + uniqueId());
    std::error_code moved;
    fs::rename(layer, doomed, moved);
    if (!moved) {
      fs::remove_all(doomed, moved);
      result.layers_removed++;
    }
  }
  return result;
}

}  // namespace plateau::agent::images
