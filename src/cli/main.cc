// plateau: the command-line client.

#include <CLI/CLI.hpp>

#include "cli/execute.h"
#include "cli/lists.h"

int main(int argc, char** argv) {
  using namespace plateau::cli;
  CLI::App app("plateau: look at and use a Plateau cluster", "plateau");
  app.require_subcommand(1);
  std::string master = "127.0.0.1:5050";
  bool json = false;

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

  execute_cmd->callback([&exec] { std::exit(execute(exec)); });
  CLI11_PARSE(app, argc, argv);
  return 0;
}
