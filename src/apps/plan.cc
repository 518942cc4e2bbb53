#include "apps/plan.h"

#include <algorithm>
#include <cmath>

namespace plateau::apps {

namespace {

// Instances in the order they should go: not ready first, then by killSelection.
void orderForKill(const App& app, std::vector<const InstanceView*>& list) {
  bool youngest_first = app.kill_selection != "OLDEST_FIRST";
  std::sort(list.begin(), list.end(), [&](const InstanceView* a, const InstanceView* b) {
    if (a->ready != b->ready) {
      return !a->ready;
    }
    return youngest_first ? a->launch_order > b->launch_order : a->launch_order < b->launch_order;
  });
}

}  // namespace

int minimumHealthy(const App& app) {
  return static_cast<int>(std::ceil(app.instances * app.minimum_health_capacity - 1e-9));
}

int maximumTotal(const App& app) {
  int most = static_cast<int>(std::floor(app.instances * (1 + app.maximum_over_capacity) + 1e-9));
  // With no room above the count and no room below it, one extra instance keeps the rollout
  // moving, as Marathon does.
  if (most <= app.instances && minimumHealthy(app) >= app.instances && app.instances > 0) {
    most = app.instances + 1;
  }
  return most;
}

Plan planApp(const App& app, const std::vector<InstanceView>& instances) {
  Plan plan;
  std::vector<const InstanceView*> current, old;
  int killing = 0;
  int ready_current = 0, ready_old = 0;
  for (const auto& i : instances) {
    if (i.killing) {
      ++killing;
      continue;
    }
    if (i.current) {
      current.push_back(&i);
      ready_current += i.ready ? 1 : 0;
    } else {
      old.push_back(&i);
      ready_old += i.ready ? 1 : 0;
    }
  }
  int target = app.instances;
  int have = static_cast<int>(current.size());

  if (have > target) {
    orderForKill(app, current);
    for (int k = 0; k < have - target; ++k) {
      plan.kill.push_back(current[k]->task_id);
      ready_current -= current[k]->ready ? 1 : 0;
    }
    have = target;
  }

  if (old.empty()) {
    // An instance being killed still runs until it ends: its replacement waits, so that the app
    // never runs more than its count outside a rollout.
    plan.launch = std::max(0, target - have - killing);
    plan.settled = killing == 0 && have == target && ready_current == target && plan.kill.empty();
    return plan;
  }

  // Rolling replacement of the old instances.
  int total = have + static_cast<int>(old.size()) + killing;
  plan.launch = std::max(0, std::min(target - have, maximumTotal(app) - total));
  int floor_ready = target == 0 ? 0 : minimumHealthy(app);
  orderForKill(app, old);
  for (const auto* i : old) {
    if (!i->ready) {
      plan.kill.push_back(i->task_id);
    } else if (ready_current + ready_old - 1 >= floor_ready) {
      plan.kill.push_back(i->task_id);
      --ready_old;
    }
  }
  return plan;
}

}  // namespace plateau::apps
