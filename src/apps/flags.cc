#include "apps/flags.h"

#include "zookeeper/url.h"

namespace plateau::apps {

void registerFlags(flags::FlagSet& set, Flags& f) {
  set.add("master", &f.master, "The master: host:port, http://host:port or zk://host:port/path");
  set.add("zk", &f.zk,
          "ZooKeeper URL (zk://host:port/path) for the state and leader election among "
          "instances; without it the state is in SQLite under --work_dir");
  set.add("zk_session_timeout", &f.zk_session_timeout,
          "Milliseconds of ZooKeeper session timeout: how long a vanished leader keeps leading");
  set.add("http_address", &f.http_address, "Address the REST API listens on");
  set.add("http_port", &f.http_port, "Port of the REST API (0 picks a free one)");
  set.add("hostname", &f.hostname, "Hostname advertised to the master and in /v2/info");
  set.add("framework_name", &f.framework_name, "Framework name registered with the master");
  set.add("mesos_role", &f.mesos_role, "Role the framework registers with (default '*')");
  set.add("mesos_authentication_principal", &f.mesos_authentication_principal,
          "Principal the framework authenticates to the master as");
  set.add("mesos_authentication_secret_file", &f.mesos_authentication_secret_file,
          "File holding the principal's secret (its bytes, as they are)");
  set.add("mesos_user", &f.mesos_user, "User tasks run as by default (default: this user)");
  set.add("work_dir", &f.work_dir,
          "Directory for the embedded SQLite state (apps, deployments, tasks, framework id)");
  set.add("webui_url", &f.webui_url, "URL of this service's UI, registered with the master");
  set.add("failover_timeout", &f.failover_timeout,
          "Seconds the master keeps the framework's tasks while it is disconnected");
  set.add("task_launch_timeout", &f.task_launch_timeout,
          "Milliseconds a task may stay staging before it is killed and replaced");
  set.add("reconciliation_interval", &f.reconciliation_interval,
          "Milliseconds between task reconciliations with the master");
  set.add("logging_level", &f.logging_level, "trace, debug, info, warning or error");
  set.add("log_dir", &f.log_dir, "Directory for plateau-apps.log (default: stderr only)");
}

Status validateFlags(const Flags& f) {
  if (f.task_launch_timeout <= 0) {
    return {StatusCode::kInvalidArgument, "Flag '--task_launch_timeout' must be positive"};
  }
  if (f.reconciliation_interval <= 0) {
    return {StatusCode::kInvalidArgument, "Flag '--reconciliation_interval' must be positive"};
  }
  if (f.failover_timeout < 0) {
    return {StatusCode::kInvalidArgument, "Flag '--failover_timeout' must not be negative"};
  }
  if (f.zk_session_timeout <= 0) {
    return {StatusCode::kInvalidArgument, "Flag '--zk_session_timeout' must be positive"};
  }
  if (!f.zk.empty()) {
    if (auto url = zk::Url::parse(f.zk); !url) {
      return {StatusCode::kInvalidArgument, "Flag '--zk': " + url.error().message()};
    }
  }
  return {};
}

}  // namespace plateau::apps
