// plateau: the command-line client.

#include <CLI/CLI.hpp>

#include "cli/apps.h"
#include "cli/credentials.h"
#include "cli/execute.h"
#include "cli/jobs.h"
#include "cli/lists.h"
#include "cli/ops.h"
#include "cli/roles.h"
#include "cli/task_exec.h"
#include "cli/tls_options.h"

int main(int argc, char** argv) {
  using namespace plateau::cli;
  CLI::App app("plateau: look at and use a Plateau cluster", "plateau");
  app.require_subcommand(1);
  std::string master = "127.0.0.1:5050";
  bool json = false;

  // Credentials for the master, given before or after the subcommand.
  CredentialOptions credential_options;
  app.fallthrough();
  app.add_option("--principal", credential_options.principal,
                 "Principal to authenticate to the master as")
      ->envname("PLATEAU_PRINCIPAL");
  app.add_option("--secret", credential_options.secret, "The principal's secret")
      ->envname("PLATEAU_SECRET");
  app.add_option("--secret_file", credential_options.secret_file,
                 "File holding the principal's secret");
  app.add_option("--config", credential_options.config,
                 "JSON file of credentials: {\"principal\": ..., \"secret\": ...} or "
                 "{\"token\": ...}")
      ->envname("PLATEAU_CONFIG");
  useCredentials(&credential_options);
  addTlsOptions(app);  // --ssl_* over LIBPROCESS_SSL_*

  ExecuteOptions exec;
  auto* execute_cmd = app.add_subcommand("execute", "Run one command as a task and follow it");
  execute_cmd->add_option("--master", exec.master, "Master address (host:port)")
      ->capture_default_str();
  execute_cmd->add_option("--name", exec.name, "Task name (and id)")->required();
  execute_cmd->add_option("--command", exec.command, "Shell command to run")->required();
  execute_cmd->add_option("--resources", exec.resources, "Task resources")->capture_default_str();
  execute_cmd->add_option("--role", exec.role, "Role to subscribe with")->capture_default_str();
  execute_cmd->add_option("--framework_name", exec.framework_name, "Framework name")
      ->capture_default_str();
  execute_cmd->add_option("--user", exec.user,
                          "User the task runs as (the framework's user; default: $USER)");
  execute_cmd->add_option("--docker_image", exec.docker_image,
                          "Docker image to run the command in (the agent needs "
                          "--image_providers=docker)");

  auto add_list = [&](const char* name, const char* what, ListKind kind) {
    auto* group = app.add_subcommand(name, what);
    group->require_subcommand(1);
    auto* cmd = group->add_subcommand("list", std::string("List ") + what);
    cmd->add_option("--master", master, "Master address (host:port)")->capture_default_str();
    cmd->add_flag("--json", json, "Print JSON instead of a table");
    cmd->callback([&master, &json, kind] { std::exit(list(kind, master, json)); });
  };
  add_list("agent", "agents", ListKind::kAgents);
  add_list("framework", "frameworks", ListKind::kFrameworks);
  add_list("task", "tasks", ListKind::kTasks);

  std::string id;
  auto* teardown =
      app.get_subcommand("framework")->add_subcommand("teardown", "Tear a framework down");
  teardown->add_option("id", id, "Framework id")->required();
  teardown->add_option("--master", master, "Master address (host:port or zk://)");
  teardown->callback([&] { std::exit(teardownFramework(master, id)); });

  bool stderr_file = false, follow = false;
  auto* log = app.get_subcommand("task")->add_subcommand("log", "Print a task's stdout");
  log->add_option("id", id, "Task id")->required();
  log->add_option("--master", master, "Master address (host:port or zk://)");
  log->add_flag("--stderr", stderr_file, "Print stderr instead of stdout");
  log->add_flag("--follow", follow, "Keep printing until the task ends");
  log->callback([&] { std::exit(taskLog(master, id, stderr_file, follow)); });

  TaskExecOptions exec_options;
  auto* texec = app.get_subcommand("task")->add_subcommand(
      "exec", "Run a command inside a running task's container: plateau task exec ID -- CMD ...");
  texec->add_option("id", exec_options.task_id, "Task id")->required();
  texec->add_option("command", exec_options.command, "The command and its arguments (after --)")
      ->required();
  texec->add_option("--master", exec_options.master, "Master address (host:port or zk://)");
  texec->add_flag("-t,--tty", exec_options.tty, "Run the command on a pseudo-terminal");
  texec->add_flag("-i,--interactive", exec_options.interactive, "Send this terminal's input");
  texec->callback([&] { std::exit(taskExec(exec_options)); });
  std::string attach_container;
  bool attach_interactive = false;
  auto* tattach = app.get_subcommand("task")->add_subcommand(
      "attach", "Follow the output of a command running in a task's container");
  tattach->add_option("id", id, "Task id")->required();
  tattach->add_option("--container", attach_container,
                      "The nested container (an exec session's id); default: the one running");
  tattach->add_option("--master", master, "Master address (host:port or zk://)");
  tattach->add_flag("-i,--interactive", attach_interactive, "Send this terminal's input");
  tattach->callback(
      [&] { std::exit(taskAttach(master, id, attach_container, attach_interactive)); });

  for (auto [name, kind] :
       {std::pair{"agent", ShowKind::kAgent}, std::pair{"framework", ShowKind::kFramework},
        std::pair{"task", ShowKind::kTask}}) {
    auto* cmd = app.get_subcommand(name)->add_subcommand("show", std::string("Show one ") + name);
    cmd->add_option("id", id, std::string(name) + " id")->required();
    cmd->add_option("--master", master, "Master address (host:port or zk://)");
    cmd->add_flag("--json", json, "Print JSON instead of fields");
    cmd->callback([&master, &id, &json, kind = kind] { std::exit(show(kind, master, id, json)); });
  }

  auto* maint = app.add_subcommand("maintenance", "Machine maintenance: schedule, drain, down, up");
  maint->require_subcommand(1);
  std::string schedule_file;
  auto* msched =
      maint->add_subcommand("schedule", "Show the schedule, or replace it with the JSON in FILE");
  msched->add_option("file", schedule_file, "Schedule JSON (as /master/maintenance/schedule)");
  msched->add_option("--master", master, "Master address (host:port or zk://)");
  msched->add_flag("--json", json, "Print JSON");
  msched->callback([&] { std::exit(maintenanceSchedule(master, schedule_file, json)); });
  auto* mstatus =
      maint->add_subcommand("status", "Draining and down machines, frameworks' answers");
  mstatus->add_option("--master", master, "Master address (host:port or zk://)");
  mstatus->add_flag("--json", json, "Print JSON");
  mstatus->callback([&] { std::exit(maintenanceStatus(master, json)); });
  std::vector<std::string> hosts;
  auto* mstart = maint->add_subcommand("start", "Bring scheduled machines DOWN (agents removed)");
  mstart->add_option("hosts", hosts, "Hostnames or ips, as in the schedule")->required();
  mstart->add_option("--master", master, "Master address (host:port or zk://)");
  mstart->callback([&] { std::exit(maintenanceStartStop(master, hosts, true)); });
  auto* mstop = maint->add_subcommand("stop", "Bring DOWN machines back UP");
  mstop->add_option("hosts", hosts, "Hostnames or ips, as in the schedule")->required();
  mstop->add_option("--master", master, "Master address (host:port or zk://)");
  mstop->callback([&] { std::exit(maintenanceStartStop(master, hosts, false)); });

  std::string guarantee, limit, what;
  bool force = false;
  auto* quota = app.add_subcommand("quota", "Role quota (guarantees and limits)");
  quota->require_subcommand(1);
  auto* qget = quota->add_subcommand("get", "Show every role's quota");
  qget->add_option("--master", master, "Master address (host:port or zk://)");
  qget->add_flag("--json", json, "Print JSON (Mesos's QuotaStatus)");
  qget->callback([&] { std::exit(quotaGet(master, json)); });
  auto* qset = quota->add_subcommand("set", "Set a role's quota (no flags: remove it)");
  qset->add_option("role", what, "Role")->required();
  qset->add_option("--guarantee", guarantee, "Guaranteed resources, e.g. 'cpus:2;mem:1024'");
  qset->add_option("--limit", limit, "Resource limits, e.g. 'cpus:4;mem:4096'");
  qset->add_flag("--force", force, "Skip the cluster capacity check");
  qset->add_option("--master", master, "Master address (host:port or zk://)");
  qset->callback([&] { std::exit(quotaSet(master, what, guarantee, limit, force)); });

  auto* explain_cmd =
      app.add_subcommand("explain", "Why a framework or a role gets no offers right now");
  explain_cmd->add_option("what", what, "Framework id or role")->required();
  explain_cmd->add_option("--master", master, "Master address (host:port or zk://)");
  explain_cmd->add_flag("--json", json, "Print JSON");
  explain_cmd->callback([&] { std::exit(explain(master, what, json)); });

  auto* weights = app.add_subcommand("weights", "Role weights");
  weights->require_subcommand(1);
  auto* wget = weights->add_subcommand("get", "Show role weights");
  wget->add_option("--master", master, "Master address (host:port or zk://)");
  wget->add_flag("--json", json, "Print JSON");
  wget->callback([&] { std::exit(weightsGet(master, json)); });
  std::string role;
  double weight = 1;
  auto* wset = weights->add_subcommand("set", "Set a role's weight");
  wset->add_option("role", role, "Role")->required();
  wset->add_option("weight", weight, "Weight (positive)")->required();
  wset->add_option("--master", master, "Master address (host:port or zk://)");
  wset->callback([&] { std::exit(weightsSet(master, role, weight)); });

  auto* cluster = app.add_subcommand("cluster", "The cluster as a whole");
  cluster->require_subcommand(1);
  auto* status = cluster->add_subcommand("status", "Leader, agents, frameworks, tasks, resources");
  status->add_option("--master", master, "Master address (host:port or zk://)");
  status->callback([&] { std::exit(clusterStatus(master)); });

  // plateau-apps (Marathon's API): --apps, else $PLATEAU_APPS, else 127.0.0.1:8080.
  AppsTarget apps{.apps = "127.0.0.1:8080", .json = false};
  int64_t instances = 0;
  std::string file;
  auto apps_cmd = [&](CLI::App* group, const char* name, const char* what) {
    auto* cmd = group->add_subcommand(name, what);
    cmd->add_option("--apps", apps.apps, "plateau-apps address (host:port)")
        ->envname("PLATEAU_APPS")
        ->capture_default_str();
    cmd->add_flag("--json", apps.json, "Print plateau-apps' JSON");
    return cmd;
  };
  auto* app_group = app.add_subcommand("app", "Long-running apps on plateau-apps");
  app_group->require_subcommand(1);
  apps_cmd(app_group, "list", "List apps with their instance and health counts")->callback([&] {
    std::exit(appList(apps));
  });
  auto* app_show = apps_cmd(app_group, "show", "Show an app, its tasks and versions");
  app_show->add_option("id", id, "App id (/shop/web)")->required();
  app_show->callback([&] { std::exit(appShow(apps, id)); });
  auto* app_add = apps_cmd(app_group, "add", "Create an app from a JSON definition");
  app_add->add_option("file", file, "Marathon app JSON ('-': standard input)")->required();
  app_add->callback([&] { std::exit(appAdd(apps, file)); });
  auto* app_update =
      apps_cmd(app_group, "update", "Change an app (fields in FILE replace its own)");
  app_update->add_option("id", id, "App id")->required();
  app_update->add_option("file", file, "Marathon app JSON ('-': standard input)")->required();
  app_update->add_flag("--force", force, "Override a deployment in progress");
  app_update->callback([&] { std::exit(appUpdate(apps, id, file, force)); });
  auto* app_scale = apps_cmd(app_group, "scale", "Set an app's instance count");
  app_scale->add_option("id", id, "App id")->required();
  app_scale->add_option("instances", instances, "Instances (0 or more)")->required();
  app_scale->add_flag("--force", force, "Override a deployment in progress");
  app_scale->callback([&] { std::exit(appScale(apps, id, instances, force)); });
  auto* app_restart = apps_cmd(app_group, "restart", "Replace an app's tasks, rolling");
  app_restart->add_option("id", id, "App id")->required();
  app_restart->add_flag("--force", force, "Override a deployment in progress");
  app_restart->callback([&] { std::exit(appRestart(apps, id, force)); });
  auto* app_remove = apps_cmd(app_group, "remove", "Remove an app and kill its tasks");
  app_remove->add_option("id", id, "App id")->required();
  app_remove->add_flag("--force", force, "Override a deployment in progress");
  app_remove->callback([&] { std::exit(appRemove(apps, id, force)); });
  auto* dep_group = app.add_subcommand("deployment", "Deployments in progress on plateau-apps");
  dep_group->require_subcommand(1);
  apps_cmd(dep_group, "list", "List deployments in progress")->callback([&] {
    std::exit(deploymentList(apps));
  });
  auto* dep_cancel = apps_cmd(dep_group, "cancel", "Roll a deployment back (--force: stop it)");
  dep_cancel->add_option("id", id, "Deployment id")->required();
  dep_cancel->add_flag("--force", force, "Stop where it is, without rolling back");
  dep_cancel->callback([&] { std::exit(deploymentCancel(apps, id, force)); });

  addJobCommands(app);  // plateau-jobs (Chronos's API)

  execute_cmd->callback([&exec] { std::exit(execute(exec)); });
  CLI11_PARSE(app, argc, argv);
  return 0;
}
