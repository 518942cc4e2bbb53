#include "agent/images/docker_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "agent/images/layer_unpack.h"
#include "common/fd.h"

namespace plateau::agent::images {

namespace fs = std::filesystem;

namespace {

// libarchive's message of the last error; it may have none (NULL).
const char* archiveError(struct archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown archive error";
}

constexpr size_t kMaxMetadataBytes = 16 << 20;

struct ReadCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

// A layer id or config file name: hex digits, letters and '.', never a path.
bool plainName(const std::string& s) {
  if (s.empty() || s == "." || s == "..") {
    return false;
  }
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Result<std::string> readText(archive* in, const std::string& name) {
  std::string text;
  char buffer[65536];
  while (true) {
    la_ssize_t n = archive_read_data(in, buffer, sizeof(buffer));
    if (n < 0) {
      return invalidArgument(fmt::format("cannot read '{}': {}", name, archiveError(in)));
    }
    if (n == 0) {
      return text;
    }
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxMetadataBytes) {
      return invalidArgument(fmt::format("'{}' is larger than 16 MiB", name));
    }
  }
}

Status writeFile(archive* in, const std::string& name, const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    return {StatusCode::kUnavailable,
            fmt::format("cannot write '{}': {}", path, std::strerror(errno))};
  }
  char buffer[65536];
  while (true) {
    la_ssize_t n = archive_read_data(in, buffer, sizeof(buffer));
    if (n < 0) {
      return {StatusCode::kInvalidArgument,
              fmt::format("cannot read '{}': {}", name, archiveError(in))};
    }
    if (n == 0) {
      return {};
    }
    const char* p = buffer;
    size_t left = static_cast<size_t>(n);
    while (left > 0) {
      ssize_t w = ::write(fd.get(), p, left);
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w < 0) {
        return {StatusCode::kUnavailable,
                fmt::format("cannot write '{}': {}", path, std::strerror(errno))};
      }
      p += w;
      left -= static_cast<size_t>(w);
    }
  }
}

struct ArchiveContents {
  std::optional<json::Value> repositories;
  std::optional<json::Value> manifest;
  std::map<std::string, json::Value> layer_json;
  std::map<std::string, std::string> layer_tar;  // id -> path in scratch
  std::map<std::string, json::Value> configs;    // top-level "<hex>.json" files
};

Result<json::Value> parseJson(const std::string& text, const std::string& name) {
  auto v = json::parse(text);
  if (!v) {
    return invalidArgument(fmt::format("'{}' is not JSON: {}", name, v.error().message()));
  }
  return *v;
}

Result<ArchiveContents> readContents(const std::string& path, const std::string& scratch) {
  std::unique_ptr<archive, ReadCloser> in(archive_read_new());
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return invalidArgument(archiveError(in.get()));
  }
  ArchiveContents out;
  archive_entry* entry = nullptr;
  while (true) {
    int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc < ARCHIVE_WARN) {
      return invalidArgument(archiveError(in.get()));
    }
    if (archive_entry_filetype(entry) != AE_IFREG) {
      continue;
    }
    auto name = checkEntryPath(archive_entry_pathname(entry));
    if (!name) {
      return std::unexpected(name.error());
    }
    size_t slash = name->find('/');
    std::string dir = slash == std::string::npos ? "" : name->substr(0, slash);
    std::string file = slash == std::string::npos ? *name : name->substr(slash + 1);
    if (dir.empty() && (file == "repositories" || file == "manifest.json" ||
                        (file.ends_with(".json") && plainName(file)))) {
      auto text = readText(in.get(), *name);
      if (!text) {
        return std::unexpected(text.error());
      }
      auto v = parseJson(*text, *name);
      if (!v) {
        return std::unexpected(v.error());
      }
      if (file == "repositories") {
        out.repositories = std::move(*v);
      } else if (file == "manifest.json") {
        out.manifest = std::move(*v);
      } else {
        out.configs[file] = std::move(*v);
      }
    } else if (plainName(dir) && file == "json") {
      auto text = readText(in.get(), *name);
      if (!text) {
        return std::unexpected(text.error());
      }
      auto v = parseJson(*text, *name);
      if (!v) {
        return std::unexpected(v.error());
      }
      out.layer_json[dir] = std::move(*v);
    } else if (plainName(dir) && file == "layer.tar") {
      std::string target = (fs::path(scratch) / (dir + ".tar")).string();
      if (Status s = writeFile(in.get(), *name, target); !s.isOk()) {
        return std::unexpected(s);
      }
      out.layer_tar[dir] = target;
    }
  }
  return out;
}

// The image config named by manifest.json for the reference, when there is one.
const json::Value* manifestConfig(const ArchiveContents& c, const ImageRef& ref) {
  if (!c.manifest || !c.manifest->isArray()) {
    return nullptr;
  }
  std::string wanted = ref.repository + ":" + ref.tag;
  for (const auto& image : c.manifest->asArray()) {
    const json::Value* tags = image.find("RepoTags");
    const json::Value* config = image.find("Config");
    if (tags == nullptr || !tags->isArray() || config == nullptr || !config->isString()) {
      continue;
    }
    for (const auto& t : tags->asArray()) {
      if (t.isString() && t.asString() == wanted) {
        auto it = c.configs.find(config->asString());
        return it == c.configs.end() ? nullptr : &it->second;
      }
    }
  }
  return nullptr;
}

}  // namespace

Result<std::string> topLayer(const json::Value& repositories, const ImageRef& ref) {
  if (!repositories.isObject()) {
    return invalidArgument("'repositories' is not a JSON object");
  }
  const json::Value* repo = repositories.find(ref.repository);
  if (repo == nullptr || !repo->isObject()) {
    return notFound(
        fmt::format("repository '{}' is not in the tarball's 'repositories' file", ref.repository));
  }
  const json::Value* id = repo->find(ref.tag);
  if (id == nullptr || !id->isString()) {
    return notFound(fmt::format("tag '{}' of '{}' is not in the tarball's 'repositories' file",
                                ref.tag, ref.repository));
  }
  return id->asString();
}

Result<std::vector<std::string>> layerChain(const std::string& top,
                                            const std::map<std::string, json::Value>& layer_json) {
  std::vector<std::string> chain;
  std::set<std::string> seen;
  std::string id = top;
  while (!id.empty()) {
    if (!seen.insert(id).second) {
      return invalidArgument(fmt::format("layer '{}' is its own ancestor", id));
    }
    auto it = layer_json.find(id);
    if (it == layer_json.end()) {
      return invalidArgument(fmt::format("layer '{}' has no 'json' file in the tarball", id));
    }
    chain.push_back(id);
    const json::Value* parent = it->second.find("parent");
    id = parent != nullptr && parent->isString() ? parent->asString() : "";
  }
  return std::vector<std::string>(chain.rbegin(), chain.rend());
}

Status verifyDiffIds(const std::vector<LayerFile>& layers, const json::Value& image_config) {
  const json::Value* rootfs = image_config.find("rootfs");
  const json::Value* ids = rootfs != nullptr ? rootfs->find("diff_ids") : nullptr;
  if (ids == nullptr || !ids->isArray()) {
    return {};
  }
  if (ids->size() != layers.size()) {
    return {StatusCode::kInvalidArgument,
            fmt::format("the image config lists {} layers, the tarball's chain has {}", ids->size(),
                        layers.size())};
  }
  for (size_t i = 0; i < layers.size(); i++) {
    const json::Value& want = (*ids)[i];
    if (!want.isString() || want.asString() != layers[i].digest) {
      return {StatusCode::kInvalidArgument,
              fmt::format("digest mismatch: layer '{}' has {} but the image config says {}",
                          layers[i].id, layers[i].digest,
                          want.isString() ? want.asString() : std::string("(not a string)"))};
    }
  }
  return {};
}

Result<ResolvedImage> readDockerArchive(const std::string& path, const ImageRef& ref,
                                        const std::string& scratch) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return notFound(fmt::format("image '{}' not found: no file '{}'", ref.localName(), path));
  }
  auto fail = [&](const Status& s) {
    return std::unexpected(Status(
        s.code(), fmt::format("image '{}' from '{}': {}", ref.localName(), path, s.message())));
  };
  auto contents = readContents(path, scratch);
  if (!contents) {
    return fail(contents.error());
  }
  if (!contents->repositories) {
    return fail(Status(StatusCode::kInvalidArgument, "the tarball has no 'repositories' file"));
  }
  auto top = topLayer(*contents->repositories, ref);
  if (!top) {
    return fail(top.error());
  }
  auto chain = layerChain(*top, contents->layer_json);
  if (!chain) {
    return fail(chain.error());
  }
  ResolvedImage image;
  for (const auto& id : *chain) {
    auto tar = contents->layer_tar.find(id);
    if (tar == contents->layer_tar.end()) {
      return fail(Status(StatusCode::kInvalidArgument,
                         fmt::format("layer '{}' has no 'layer.tar' in the tarball", id)));
    }
    auto digest = sha256File(tar->second);
    if (!digest) {
      return fail(digest.error());
    }
    image.layers.push_back({id, tar->second, *digest});
  }
  if (const json::Value* config = manifestConfig(*contents, ref); config != nullptr) {
    if (Status s = verifyDiffIds(image.layers, *config); !s.isOk()) {
      return fail(s);
    }
  }
  auto config = parseImageConfig(contents->layer_json.at(*top));
  if (!config) {
    return fail(config.error());
  }
  image.config = std::move(*config);
  return image;
}

}  // namespace plateau::agent::images
