#include "common/roles.h"

#include <fmt/format.h>

namespace plateau::roles {

namespace {

Status bad(std::string_view role, std::string_view why) {
  return Status(StatusCode::kInvalidArgument, fmt::format("invalid role '{}': {}", role, why));
}

bool forbiddenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f || c == ' ';
}

}  // namespace

Status validate(std::string_view role) {
  if (role == kDefaultRole) {
    return Status::ok();
  }
  if (role.empty()) {
    return bad(role, "it is empty");
  }
  if (role.front() == '/') {
    return bad(role, "it starts with '/'");
  }
  if (role.back() == '/') {
    return bad(role, "it ends with '/'");
  }
  size_t start = 0;
  while (start <= role.size()) {
    const size_t slash = role.find('/', start);
    const std::string_view part = role.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty()) {
      return bad(role, "it has an empty component ('//')");
    }
    if (part == "." || part == "..") {
      return bad(role, fmt::format("component '{}' is not allowed", part));
    }
    if (part == "*") {
      return bad(role, "'*' is only allowed as the whole role");
    }
    if (part.front() == '-') {
      return bad(role, fmt::format("component '{}' starts with '-'", part));
    }
    for (char c : part) {
      if (forbiddenChar(c)) {
        return bad(role, "it contains whitespace or a control character");
      }
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return Status::ok();
}

Status validate(const std::vector<std::string>& roles) {
  for (const std::string& role : roles) {
    if (Status status = validate(role); !status.isOk()) {
      return status;
    }
  }
  return Status::ok();
}

bool isStrictSubrole(std::string_view role, std::string_view ancestor) {
  return role.size() > ancestor.size() && role[ancestor.size()] == '/' &&
         role.starts_with(ancestor) && ancestor != kDefaultRole && !ancestor.empty();
}

bool isSubroleOrSame(std::string_view role, std::string_view ancestor) {
  return role == ancestor || isStrictSubrole(role, ancestor);
}

std::string_view parent(std::string_view role) {
  const size_t slash = role.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : role.substr(0, slash);
}

std::vector<std::string> ancestors(std::string_view role) {
  std::vector<std::string> result;
  for (std::string_view up = parent(role); !up.empty(); up = parent(up)) {
    result.emplace_back(up);
  }
  return result;
}

}  // namespace plateau::roles
