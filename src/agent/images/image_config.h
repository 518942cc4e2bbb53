#pragma once

// An image's runtime configuration (Entrypoint, Cmd, Env, WorkingDir, User) as Docker writes it
// in a layer's `json` file or an image config blob, and how a task's CommandInfo is merged with
// it (the docker/runtime isolator's rules).

#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace plateau::agent::images {

struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "NAME=value"
  std::string working_dir;       // "" when the image sets none
  std::string user;              // informational: the task's user comes from Mesos's rules

  bool operator==(const ImageConfig&) const = default;
};

// Reads the runtime configuration from a Docker v1 layer `json` or an image config blob: the
// "config" object, else "container_config" (older images). Missing fields stay empty; a
// present field of the wrong JSON type is InvalidArgument naming it.
Result<ImageConfig> parseImageConfig(const json::Value& document);

ImageConfig configFromJson(const json::Value& object);
json::Value configToJson(const ImageConfig& config);

// The task's side of the merge: CommandInfo's shell, value and arguments (argv[0] included).
struct TaskCommand {
  bool shell = true;
  std::optional<std::string> value;
  std::vector<std::string> arguments;
};

// What runs inside the image: argv (argv[0] is the program, looked up on the image's PATH).
struct MergedCommand {
  std::vector<std::string> argv;
};

// Mesos's docker/runtime rules:
// - shell: true needs a value and runs `/bin/sh -c value`; Entrypoint and Cmd are ignored.
// - shell: false with a value runs value with the arguments after argv[0]; Entrypoint and Cmd
//   are ignored.
// - shell: false without a value: Entrypoint (when set) followed by the task's arguments, or the
//   image's Cmd when there are none; without Entrypoint, Cmd's program followed by the task's
//   arguments (all of them) or Cmd's own; without either, the task's arguments as they are.
// InvalidArgument when nothing is left to run, naming why.
Result<MergedCommand> mergeCommand(const ImageConfig& image, const TaskCommand& task);

// The container's environment: the image's Env, then `task_env` ("NAME=value", later names
// replace earlier ones), and PATH set to Docker's default when neither gives one.
std::vector<std::string> mergeEnvironment(const ImageConfig& image,
                                          const std::vector<std::string>& task_env);

}  // namespace plateau::agent::images
