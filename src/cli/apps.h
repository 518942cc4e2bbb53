#pragma once

// `plateau app ...` and `plateau deployment ...`: plateau-apps through its Marathon REST API.

#include <cstdint>
#include <string>

namespace plateau::cli {

// Where plateau-apps serves (host:port) and how to print.
struct AppsTarget {
  std::string apps;
  bool json = false;
};

// Each prints what happened and returns the exit code: 0, or 1 when plateau-apps cannot be
// reached or refuses (its Marathon error message and per-field details are printed).
int appList(const AppsTarget& target);
int appShow(const AppsTarget& target, const std::string& id);
// FILE is an app definition in Marathon's JSON ("-" reads standard input).
int appAdd(const AppsTarget& target, const std::string& file);
int appUpdate(const AppsTarget& target, const std::string& id, const std::string& file, bool force);
int appScale(const AppsTarget& target, const std::string& id, int64_t instances, bool force);
int appRestart(const AppsTarget& target, const std::string& id, bool force);
int appRemove(const AppsTarget& target, const std::string& id, bool force);
int deploymentList(const AppsTarget& target);
// Rolls the deployment back (Marathon's DELETE), or with `force` stops it where it is.
int deploymentCancel(const AppsTarget& target, const std::string& id, bool force);

}  // namespace plateau::cli
