#include "apps/flags.h"

#include "service/cors.h"
#include "zookeeper/url.h"

namespace plateau::apps {

void registerFlags(flags::FlagSet& set, Flags& f) {
  service::registerServiceFlags(set, f, "plateau-apps", "apps, deployments, tasks");
  set.add("zk", &f.zk,
          "ZooKeeper URL (zk://host:port/path) for the state and leader election among "
          "instances; without it the state is in SQLite under --work_dir");
  set.add("zk_session_timeout", &f.zk_session_timeout,
          "Milliseconds of ZooKeeper session timeout: how long a vanished leader keeps leading");
  set.add("framework_name", &f.framework_name, "Framework name registered with the master");
  set.add("mesos_role", &f.mesos_role, "Role the framework registers with (default '*')");
  set.add("mesos_user", &f.mesos_user, "User tasks run as by default (default: this user)");
  set.add("task_launch_timeout", &f.task_launch_timeout,
          "Milliseconds a task may stay staging before it is killed and replaced");
  set.add("reconciliation_interval", &f.reconciliation_interval,
          "Milliseconds between task reconciliations with the master");
  set.add("access_control_allow_origin", &f.access_control_allow_origin,
          "Origins allowed to call the API from a browser (CORS), comma-separated, e.g. "
          "'http://master:5050'; '*' for any. Not set: none");
}

Status validateFlags(const Flags& f) {
  if (f.task_launch_timeout <= 0) {
    return {StatusCode::kInvalidArgument, "Flag '--task_launch_timeout' must be positive"};
  }
  if (f.reconciliation_interval <= 0) {
    return {StatusCode::kInvalidArgument, "Flag '--reconciliation_interval' must be positive"};
  }
  if (Status s = service::validateServiceFlags(f); !s.isOk()) {
    return s;
  }
  if (f.zk_session_timeout <= 0) {
    return {StatusCode::kInvalidArgument, "Flag '--zk_session_timeout' must be positive"};
  }
  if (auto cors = service::CorsPolicy::parse(f.access_control_allow_origin); !cors) {
    return {StatusCode::kInvalidArgument,
            "Flag '--access_control_allow_origin': " + cors.error().message()};
  }
  if (!f.zk.empty()) {
    if (auto url = zk::Url::parse(f.zk); !url) {
      return {StatusCode::kInvalidArgument, "Flag '--zk': " + url.error().message()};
    }
  }
  return {};
}

}  // namespace plateau::apps
