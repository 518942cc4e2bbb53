#include "agent/images/image_ref.h"

#include <fmt/format.h>

namespace plateau::agent::images {

namespace {

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component of a repository: lower-case alphanumerics joined by '.', '_', '__' or
// runs of '-', never starting or ending with a separator.
bool validComponent(const std::string& c) {
  if (c.empty() || !isLowerAlnum(c.front()) || !isLowerAlnum(c.back())) {
    return false;
  }
  for (char ch : c) {
    if (!isLowerAlnum(ch) && ch != '.' && ch != '_' && ch != '-') {
      return false;
    }
  }
  return true;
}

bool validTag(const std::string& tag) {
  if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') {
    return false;
  }
  for (char ch : tag) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool validDigest(const std::string& digest) {
  if (!digest.starts_with("sha256:") || digest.size() != 7 + 64) {
    return false;
  }
  for (size_t i = 7; i < digest.size(); i++) {
    char ch = digest[i];
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string ImageRef::localName() const {
  return digest.empty() ? repository + ":" + tag : repository + "@" + digest;
}

std::string ImageRef::str() const {
  return registry.empty() ? localName() : registry + "/" + localName();
}

Result<ImageRef> parseImageRef(const std::string& name) {
  if (name.empty()) {
    return invalidArgument("Invalid image name '': the name is empty");
  }
  ImageRef ref;
  std::string rest = name;
  if (auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!validDigest(ref.digest)) {
      return invalidArgument(
          fmt::format("Invalid image name '{}': digest '{}' is not 'sha256:' and 64 hex digits",
                      name, ref.digest));
    }
  }
  // A first component with '.' or ':' (or "localhost") names a registry, as Docker reads it.
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    std::string first = rest.substr(0, slash);
    if (first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
        first == "localhost") {
      ref.registry = first;
      rest = rest.substr(slash + 1);
    }
  }
  if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    ref.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!validTag(ref.tag)) {
      return invalidArgument(fmt::format(
          "Invalid image name '{}': tag '{}' is not 1 to 128 of [A-Za-z0-9_.-]", name, ref.tag));
    }
  } else if (ref.digest.empty()) {
    ref.tag = "latest";
  }
  ref.repository = rest;
  size_t start = 0;
  while (true) {
    size_t end = rest.find('/', start);
    std::string component = rest.substr(start, end == std::string::npos ? end : end - start);
    if (!validComponent(component)) {
      return invalidArgument(
          fmt::format("Invalid image name '{}': repository component '{}' must be lower-case "
                      "letters, digits and separators (. _ -)",
                      name, component));
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return ref;
}

}  // namespace plateau::agent::images
