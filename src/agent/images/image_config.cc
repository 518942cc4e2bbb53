#include "agent/images/image_config.h"

#include <fmt/format.h>

namespace plateau::agent::images {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Status readStrings(const json::Value& object, const char* key, std::vector<std::string>* out) {
  const json::Value* v = object.find(key);
  if (v == nullptr || v->isNull()) {
    return {};
  }
  if (!v->isArray()) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Invalid image config: '{}' must be an array of strings", key)};
  }
  for (const auto& item : v->asArray()) {
    if (!item.isString()) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Invalid image config: '{}' must be an array of strings", key)};
    }
    out->push_back(item.asString());
  }
  return {};
}

Status readString(const json::Value& object, const char* key, std::string* out) {
  const json::Value* v = object.find(key);
  if (v == nullptr || v->isNull()) {
    return {};
  }
  if (!v->isString()) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Invalid image config: '{}' must be a string", key)};
  }
  *out = v->asString();
  return {};
}

std::string nameOf(const std::string& entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

Result<ImageConfig> parseImageConfig(const json::Value& document) {
  if (!document.isObject()) {
    return invalidArgument("Invalid image config: not a JSON object");
  }
  const json::Value* config = document.find("config");
  if (config == nullptr || config->isNull()) {
    config = document.find("container_config");
  }
  ImageConfig out;
  if (config == nullptr || config->isNull()) {
    return out;
  }
  if (!config->isObject()) {
    return invalidArgument("Invalid image config: 'config' must be an object");
  }
  for (Status s :
       {readStrings(*config, "Entrypoint", &out.entrypoint), readStrings(*config, "Cmd", &out.cmd),
        readStrings(*config, "Env", &out.env), readString(*config, "WorkingDir", &out.working_dir),
        readString(*config, "User", &out.user)}) {
    if (!s.isOk()) {
      return std::unexpected(s);
    }
  }
  return out;
}

json::Value configToJson(const ImageConfig& c) {
  auto strings = [](const std::vector<std::string>& list) {
    json::Value a = json::Array{};
    for (const auto& s : list) {
      a.push(s);
    }
    return a;
  };
  json::Value config = json::Object{};
  config.set("Entrypoint", strings(c.entrypoint));
  config.set("Cmd", strings(c.cmd));
  config.set("Env", strings(c.env));
  config.set("WorkingDir", c.working_dir);
  config.set("User", c.user);
  json::Value doc = json::Object{};
  doc.set("config", std::move(config));
  return doc;
}

ImageConfig configFromJson(const json::Value& object) {
  auto parsed = parseImageConfig(object);
  return parsed ? *parsed : ImageConfig{};
}

Result<MergedCommand> mergeCommand(const ImageConfig& image, const TaskCommand& task) {
  MergedCommand out;
  if (task.shell) {
    if (!task.value || task.value->empty()) {
      return invalidArgument(
          "A task with 'shell: true' needs a command 'value' (the image's Entrypoint and Cmd are "
          "used only with 'shell: false')");
    }
    out.argv = {"/bin/sh", "-c", *task.value};
    return out;
  }
  if (task.value && !task.value->empty()) {
    out.argv.push_back(*task.value);
    for (size_t i = 1; i < task.arguments.size(); i++) {
      out.argv.push_back(task.arguments[i]);
    }
    return out;
  }
  if (!image.entrypoint.empty()) {
    out.argv = image.entrypoint;
    const auto& tail = task.arguments.empty() ? image.cmd : task.arguments;
    out.argv.insert(out.argv.end(), tail.begin(), tail.end());
    return out;
  }
  if (!image.cmd.empty()) {
    out.argv.push_back(image.cmd.front());
    if (task.arguments.empty()) {
      out.argv.insert(out.argv.end(), image.cmd.begin() + 1, image.cmd.end());
    } else {
      out.argv.insert(out.argv.end(), task.arguments.begin(), task.arguments.end());
    }
    return out;
  }
  if (task.arguments.empty()) {
    return invalidArgument(
        "Nothing to run: the task has no command value or arguments and the image has no "
        "Entrypoint or Cmd");
  }
  out.argv = task.arguments;
  return out;
}

std::vector<std::string> mergeEnvironment(const ImageConfig& image,
                                          const std::vector<std::string>& task_env) {
  std::vector<std::string> env;
  auto put = [&](const std::string& entry) {
    std::string name = nameOf(entry);
    std::erase_if(env, [&](const std::string& e) { return nameOf(e) == name; });
    env.push_back(entry);
  };
  for (const auto& e : image.env) {
    put(e);
  }
  for (const auto& e : task_env) {
    put(e);
  }
  bool has_path = false;
  for (const auto& e : env) {
    has_path = has_path || nameOf(e) == "PATH";
  }
  if (!has_path) {
    env.insert(env.begin(), std::string("PATH=") + kDefaultPath);
  }
  return env;
}

}  // namespace plateau::agent::images
