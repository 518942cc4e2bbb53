#pragma once

// What to do next for one app, from where its instances stand: how many tasks to launch and
// which to kill so that it reaches its instance count, and, when instances of an older
// configuration run (a restart or an upgrade), a rolling replacement that never leaves fewer
// than ceil(minimumHealthCapacity × instances) ready instances by its own kills nor runs more
// than floor((1 + maximumOverCapacity) × instances) at once. Pure; called after every event.

#include <cstdint>
#include <string>
#include <vector>

#include "apps/app.h"

namespace plateau::apps {

// One instance as the planner sees it.
struct InstanceView {
  std::string task_id;
  bool current = true;        // launched with the app's latest configuration
  bool ready = false;         // running, and healthy when the app has health checks
  bool killing = false;       // a kill was sent; still uses resources until it ends
  uint64_t launch_order = 0;  // larger is younger
};

struct Plan {
  int launch = 0;
  std::vector<std::string> kill;
  // The app is where it should be: no old instances, `instances` current ones all ready,
  // nothing being killed.
  bool settled = false;
};

Plan planApp(const App& app, const std::vector<InstanceView>& instances);

// ceil(minimumHealthCapacity × instances) and the most instances allowed at once.
int minimumHealthy(const App& app);
int maximumTotal(const App& app);

}  // namespace plateau::apps
