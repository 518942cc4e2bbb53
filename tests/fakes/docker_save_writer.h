#pragma once

// Writes test images in `docker save` layout (what a --docker_registry folder holds): tar
// layers made entry by entry (so a test can add whiteouts, or names that escape), wrapped with
// `repositories`, each layer's `json` parent chain, `manifest.json` and an image config whose
// rootfs.diff_ids are the layers' sha256. The base layer carries Debian's busybox-static.

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "agent/images/layer_unpack.h"
#include "common/json.h"

namespace plateau::testing {

struct TarEntry {
  enum class Kind { kFile, kDir, kSymlink, kHardlink };
  std::string name;
  Kind kind = Kind::kFile;
  std::string data;  // kFile: contents; kSymlink/kHardlink: target
  int mode = 0644;
};

inline TarEntry fileEntry(std::string name, std::string data, int mode = 0644) {
  return {std::move(name), TarEntry::Kind::kFile, std::move(data), mode};
}
inline TarEntry dirEntry(std::string name) {
  return {std::move(name), TarEntry::Kind::kDir, "", 0755};
}
inline TarEntry symlinkEntry(std::string name, std::string target) {
  return {std::move(name), TarEntry::Kind::kSymlink, std::move(target), 0777};
}

inline std::string readWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

enum class TarCompression { kNone, kGzip, kZstd };

// Writes a tar (ustar/pax) of the entries at `path`, compressed as asked; false on any
// libarchive error.
inline bool writeTar(const std::filesystem::path& path, const std::vector<TarEntry>& entries,
                     TarCompression compression = TarCompression::kNone) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  bool ok = true;
  if (compression == TarCompression::kGzip) {
    ok = archive_write_add_filter_gzip(a) == ARCHIVE_OK;
  } else if (compression == TarCompression::kZstd) {
    ok = archive_write_add_filter_zstd(a) == ARCHIVE_OK;
  }
  ok = ok && archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK;
  for (const auto& e : entries) {
    if (!ok) {
      break;
    }
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_mtime(entry, 1700000000, 0);
    switch (e.kind) {
      case TarEntry::Kind::kFile:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
        break;
      case TarEntry::Kind::kDir:
        archive_entry_set_filetype(entry, AE_IFDIR);
        break;
      case TarEntry::Kind::kSymlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, e.data.c_str());
        break;
      case TarEntry::Kind::kHardlink:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, e.data.c_str());
        break;
    }
    archive_entry_set_perm(entry, static_cast<mode_t>(e.mode));
    ok = archive_write_header(a, entry) == ARCHIVE_OK;
    if (ok && e.kind == TarEntry::Kind::kFile && !e.data.empty()) {
      ok = archive_write_data(a, e.data.data(), e.data.size()) ==
           static_cast<la_ssize_t>(e.data.size());
    }
    archive_entry_free(entry);
  }
  ok = archive_write_close(a) == ARCHIVE_OK && ok;
  archive_write_free(a);
  return ok;
}

// A base layer: Debian's static busybox with a few applets linked, and /etc/os-release.
inline std::vector<TarEntry> busyboxLayer(const std::string& os_release) {
  std::vector<TarEntry> entries = {dirEntry("bin"), dirEntry("etc"), dirEntry("tmp"),
                                   fileEntry("bin/busybox", readWholeFile("/bin/busybox"), 0755)};
  for (const char* applet :
       {"sh", "cat", "echo", "ls", "sleep", "test", "env", "pwd", "id", "stat", "true"}) {
    entries.push_back(symlinkEntry(std::string("bin/") + applet, "busybox"));
  }
  entries.push_back(fileEntry("etc/os-release", os_release));
  return entries;
}

struct TestImage {
  std::string repository = "busybox";
  std::string tag = "latest";
  std::vector<std::vector<TarEntry>> layers;  // bottom first
  json::Value config = json::Object{};        // the Docker "config" object (Entrypoint, Cmd, ...)
  bool corrupt_diff_id = false;               // the config's last diff_id does not match
};

// Writes `<dir>/<repository>:<tag>.tar` (a '/' in the repository makes sub-folders); returns
// the tarball's path, or "" on error.
inline std::string writeDockerSave(const std::filesystem::path& dir, const TestImage& image) {
  namespace fs = std::filesystem;
  fs::path work = dir / fmt::format(".build-{}-{}", image.tag, image.layers.size());
  fs::remove_all(work);
  fs::create_directories(work);
  std::vector<std::string> ids;
  json::Value diff_ids = json::Array{};
  json::Value layer_paths = json::Array{};
  std::vector<TarEntry> outer;
  for (size_t i = 0; i < image.layers.size(); i++) {
    std::string id =
        fmt::format("{:064x}", (std::hash<std::string>{}(image.repository + image.tag) + i) &
                                   0xffffffffffffULL);
    fs::path tar = work / (id + ".tar");
    if (!writeTar(tar, image.layers[i])) {
      return "";
    }
    auto digest = agent::images::sha256File(tar.string());
    if (!digest) {
      return "";
    }
    std::string d = *digest;
    if (image.corrupt_diff_id && i + 1 == image.layers.size()) {
      d = "sha256:" + std::string(64, '0');
    }
    diff_ids.push(d);
    layer_paths.push(id + "/layer.tar");
    json::Value layer_json = json::Object{};
    layer_json.set("id", id);
    if (!ids.empty()) {
      layer_json.set("parent", ids.back());
    }
    if (i + 1 == image.layers.size()) {
      layer_json.set("config", image.config);
    }
    outer.push_back(dirEntry(id));
    outer.push_back(fileEntry(id + "/VERSION", "1.0"));
    outer.push_back(fileEntry(id + "/json", json::stringify(layer_json)));
    outer.push_back(fileEntry(id + "/layer.tar", readWholeFile(tar)));
    ids.push_back(id);
  }
  json::Value rootfs = json::Object{};
  rootfs.set("type", "layers");
  rootfs.set("diff_ids", diff_ids);
  json::Value config_blob = json::Object{};
  config_blob.set("config", image.config);
  config_blob.set("rootfs", rootfs);
  std::string config_name = fmt::format("{:064x}.json", std::hash<std::string>{}(image.tag));
  outer.push_back(fileEntry(config_name, json::stringify(config_blob)));
  json::Value manifest_entry = json::Object{};
  manifest_entry.set("Config", config_name);
  json::Value tags = json::Array{};
  tags.push(image.repository + ":" + image.tag);
  manifest_entry.set("RepoTags", tags);
  manifest_entry.set("Layers", layer_paths);
  json::Value manifest = json::Array{};
  manifest.push(manifest_entry);
  outer.push_back(fileEntry("manifest.json", json::stringify(manifest)));
  json::Value repo_tags = json::Object{};
  repo_tags.set(image.tag, ids.empty() ? std::string() : ids.back());
  json::Value repositories = json::Object{};
  repositories.set(image.repository, repo_tags);
  outer.push_back(fileEntry("repositories", json::stringify(repositories)));
  fs::path out = dir / (image.repository + ":" + image.tag + ".tar");
  fs::create_directories(out.parent_path());
  bool ok = writeTar(out, outer);
  fs::remove_all(work);
  return ok ? out.string() : "";
}

// Writes `image` as an OCI image layout at `dir` (`oci-layout`, `index.json` naming the
// manifest by `image.tag`, `blobs/sha256/...`), layer i compressed as `compression[i]` (none
// when the list is shorter) with the OCI media type that says so; false on error. Skopeo copies
// it as it is (`oci:DIR:TAG`), compressed layers kept as they are.
inline bool writeOciLayout(const std::filesystem::path& dir, const TestImage& image,
                           const std::vector<TarCompression>& compression) {
  namespace fs = std::filesystem;
  fs::path blobs = dir / "blobs" / "sha256";
  fs::create_directories(blobs);
  // Stores a blob; its descriptor ({mediaType, digest, size}), or null on error.
  auto blob = [&](const std::string& bytes, const std::string& media) {
    std::string digest = agent::images::sha256Bytes(bytes);
    std::ofstream(blobs / digest.substr(7), std::ios::binary) << bytes;
    json::Value out = json::Object{};
    out.set("mediaType", media);
    out.set("digest", digest);
    out.set("size", static_cast<uint64_t>(bytes.size()));
    return out;
  };
  json::Value layers = json::Array{};
  json::Value diff_ids = json::Array{};
  for (size_t i = 0; i < image.layers.size(); i++) {
    TarCompression how = i < compression.size() ? compression[i] : TarCompression::kNone;
    fs::path plain = dir / "layer.tar";
    fs::path packed = dir / "layer.packed";
    if (!writeTar(plain, image.layers[i]) || !writeTar(packed, image.layers[i], how)) {
      return false;
    }
    diff_ids.push(agent::images::sha256Bytes(readWholeFile(plain)));
    const char* suffix = how == TarCompression::kGzip   ? "+gzip"
                         : how == TarCompression::kZstd ? "+zstd"
                                                        : "";
    layers.push(blob(readWholeFile(packed),
                     std::string("application/vnd.oci.image.layer.v1.tar") + suffix));
    fs::remove(plain);
    fs::remove(packed);
  }
  json::Value rootfs = json::Object{};
  rootfs.set("type", "layers");
  rootfs.set("diff_ids", diff_ids);
  json::Value config = json::Object{};
  config.set("architecture", "amd64");
  config.set("os", "linux");
  config.set("config", image.config);
  config.set("rootfs", rootfs);
  json::Value manifest = json::Object{};
  manifest.set("schemaVersion", 2);
  manifest.set("mediaType", "application/vnd.oci.image.manifest.v1+json");
  manifest.set("config", blob(json::stringify(config), "application/vnd.oci.image.config.v1+json"));
  manifest.set("layers", layers);
  json::Value entry = blob(json::stringify(manifest), "application/vnd.oci.image.manifest.v1+json");
  json::Value annotations = json::Object{};
  annotations.set("org.opencontainers.image.ref.name", image.tag);
  entry.set("annotations", annotations);
  json::Value manifests = json::Array{};
  manifests.push(entry);
  json::Value index = json::Object{};
  index.set("schemaVersion", 2);
  index.set("manifests", manifests);
  std::ofstream(dir / "index.json") << json::stringify(index);
  std::ofstream(dir / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  return true;
}

}  // namespace plateau::testing
