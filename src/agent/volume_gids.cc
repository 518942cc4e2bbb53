#include "agent/volume_gids.h"

#include <limits>

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::agent {

Result<Ranges> parseVolumeGidRange(const std::string& text) {
  // As Mesos: the value is read as the ranges of a resource named "gids".
  auto parsed = Resources::parse("gids:" + text);
  if (!parsed) {
    return invalidArgument(fmt::format("'{}' is not a range of gids such as [10000-20000]: {}",
                                       text, parsed.error().message()));
  }
  Ranges gids;
  for (const Resource& resource : *parsed) {
    if (resource.type != ResourceType::kRanges) {
      return invalidArgument(
          fmt::format("'{}' is not a range of gids such as [10000-20000]", text));
    }
    gids.add(resource.ranges);
  }
  if (gids.empty()) {
    return invalidArgument(fmt::format("'{}' holds no gid", text));
  }
  if (gids.intervals().back().end > std::numeric_limits<uint32_t>::max() - 1) {
    return invalidArgument(fmt::format("'{}' goes beyond the largest gid, {}", text,
                                       std::numeric_limits<uint32_t>::max() - 1));
  }
  return gids;
}

VolumeGidAllocator::VolumeGidAllocator(Ranges total) : total_(std::move(total)), free_(total_) {}

Result<VolumeGidAllocator::Allocation> VolumeGidAllocator::allocate(const std::string& path,
                                                                    Kind kind) {
  if (auto held = held_.find(path); held != held_.end()) {
    return Allocation{held->second.gid, false};
  }
  if (free_.empty()) {
    return failedPrecondition(
        fmt::format("Failed to allocate a gid to the volume '{}': the range of --volume_gid_range "
                    "({}) is exhausted",
                    path, total_.toString()));
  }
  auto gid = static_cast<gid_t>(free_.intervals().front().begin);
  free_.subtract(Range{gid, gid});
  held_[path] = Entry{path, kind, gid};
  return Allocation{gid, true};
}

namespace {

// `path` itself, or a path below it (component-wise: "/a/b" is below "/a", "/ab" is not).
bool within(const std::string& path, const std::string& root) {
  if (!path.starts_with(root)) {
    return false;
  }
  return path.size() == root.size() || root.ends_with('/') || path[root.size()] == '/';
}

}  // namespace

std::vector<VolumeGidAllocator::Entry> VolumeGidAllocator::release(const std::string& path) {
  std::vector<Entry> freed;
  for (auto it = held_.begin(); it != held_.end();) {
    if (!within(it->first, path)) {
      ++it;
      continue;
    }
    // A gid from an earlier, different range stays out of the free gids.
    if (total_.contains(uint64_t{it->second.gid})) {
      free_.add(Range{it->second.gid, it->second.gid});
    }
    freed.push_back(it->second);
    it = held_.erase(it);
  }
  return freed;
}

void VolumeGidAllocator::restore(const std::vector<Entry>& entries) {
  for (const Entry& entry : entries) {
    bool gid_held = false;
    for (const auto& [path, held] : held_) {
      gid_held = gid_held || held.gid == entry.gid;
    }
    if (gid_held || held_.contains(entry.path)) {
      continue;
    }
    free_.subtract(Range{entry.gid, entry.gid});
    held_[entry.path] = entry;
  }
}

std::vector<VolumeGidAllocator::Entry> VolumeGidAllocator::entries() const {
  std::vector<Entry> out;
  for (const auto& [path, entry] : held_) {
    out.push_back(entry);
  }
  return out;
}

std::string VolumeGidAllocator::toJson(const std::vector<Entry>& entries) {
  json::Value list = json::Array{};
  for (const Entry& entry : entries) {
    json::Value item = json::Object{};
    item.set("path", entry.path);
    item.set("type", entry.kind == Kind::kPersistent ? "PERSISTENT" : "SANDBOX_PATH");
    item.set("gid", static_cast<uint64_t>(entry.gid));
    list.push(std::move(item));
  }
  json::Value doc = json::Object{};
  doc.set("volume_gids", std::move(list));
  return json::stringify(doc);
}

Result<std::vector<VolumeGidAllocator::Entry>> VolumeGidAllocator::fromJson(
    const std::string& text) {
  auto doc = json::parse(text);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  const json::Value* list = doc->find("volume_gids");
  if (list == nullptr || !list->isArray()) {
    return invalidArgument("the volume gids need a 'volume_gids' array");
  }
  std::vector<Entry> out;
  for (const json::Value& item : list->asArray()) {
    const json::Value& type = item["type"];
    auto gid = item["gid"].toUint64();
    if (!item["path"].isString() || item["path"].asString().empty() || !gid ||
        *gid > std::numeric_limits<uint32_t>::max() ||
        (type.asString() != "PERSISTENT" && type.asString() != "SANDBOX_PATH")) {
      return invalidArgument("a volume gid needs a 'path', a 'type' and a 'gid'");
    }
    out.push_back({item["path"].asString(),
                   type.asString() == "PERSISTENT" ? Kind::kPersistent : Kind::kSandboxPath,
                   static_cast<gid_t>(*gid)});
  }
  return out;
}

}  // namespace plateau::agent
