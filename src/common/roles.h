#pragma once

// Role names as in Mesos: "*" (the default role) or a '/'-separated path of components such as
// "eng" or "eng/ml", where "eng/ml" is a sub-role of "eng".

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::roles {

inline constexpr std::string_view kDefaultRole = "*";

// OK, or InvalidArgument naming the role and what is wrong. A valid role is "*" or a path whose
// components are non-empty, not ".", "..", or "*", do not start with '-', and hold no whitespace
// or control characters; it neither starts nor ends with '/'.
Status validate(std::string_view role);
// The same for each role of a list; an empty list is valid.
Status validate(const std::vector<std::string>& roles);

// Whether `role` is `ancestor` or lies below it ("eng/ml" below "eng", "engine" not).
// "*" is only its own sub-role.
bool isSubroleOrSame(std::string_view role, std::string_view ancestor);
// Whether `role` lies strictly below `ancestor`.
bool isStrictSubrole(std::string_view role, std::string_view ancestor);

// The ancestors of a role, nearest first: "a/b/c" -> {"a/b", "a"}; none for "a" or "*".
std::vector<std::string> ancestors(std::string_view role);
// The parent of a role, "" for a top-level role.
std::string_view parent(std::string_view role);

}  // namespace plateau::roles
