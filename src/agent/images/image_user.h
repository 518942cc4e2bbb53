#pragma once

// The task's user as the IMAGE knows it: CommandInfo.user / FrameworkInfo.user is looked up in
// the image's /etc/passwd (uid, primary gid, home) and /etc/group (supplementary groups), not
// the host's, as a container's user need not exist on the host. Built into plateau-rootfs, so
// it depends on fmt and the standard library only.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::agent::images {

struct ImageUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary: the groups of /etc/group that list the user
  std::string home;
};

// Looks `name` up in the text of a passwd and a group file. NotFound says that the image has
// no such user; InvalidArgument names a malformed line of the user's.
Result<ImageUser> parseImageUser(std::string_view passwd, std::string_view group,
                                 const std::string& name);

// Reads `root`/etc/passwd and `root`/etc/group (a missing group file means no supplementary
// groups) without following a symbolic link at etc/ or at either file, which could lead out of
// the image while `root` is not yet "/".
Result<ImageUser> readImageUser(const std::string& root, const std::string& name);

}  // namespace plateau::agent::images
