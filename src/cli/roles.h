#pragma once

// `plateau quota get|set` and `plateau explain`: role quota and "why no offers?".

#include <string>

namespace plateau::cli {

int quotaGet(const std::string& master, bool json);
// `guarantee` and `limit` in Mesos's text form ("cpus:2;mem:1024"); both empty removes the quota.
int quotaSet(const std::string& master, const std::string& role, const std::string& guarantee,
             const std::string& limit, bool force);
// `what` is a framework id (when the master knows one by that id) or a role.
int explain(const std::string& master, const std::string& what, bool json);

}  // namespace plateau::cli
