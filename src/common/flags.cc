#include "common/flags.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "common/json.h"
#include "common/units.h"

namespace plateau::flags {

namespace {

Status invalidValue(const std::string& name, const std::string& value, const std::string& why) {
  return {StatusCode::kInvalidArgument,
          fmt::format("Invalid value '{}' for flag '--{}': {}", value, name, why)};
}

}  // namespace

struct Flag {
  std::string name;
  FlagOptions options;
  std::string help;
  bool is_bool = false;
  std::function<std::string()> show;
  std::function<Status()> finish;  // post-parse conversion (durations, files, inert kinds)
  bool is_number = false;          // converted by CLI11, which reads an empty value as 0
};

struct FlagSet::Impl {
  CLI::App app;
  std::vector<Flag> flags;
  std::deque<std::string> texts;  // raw text of converted flags, and inert flags' values
  std::deque<bool> bools;         // inert boolean flags
  std::set<std::string> given;
  std::vector<std::pair<std::string, std::string>> deprecated;  // (old name, name)
  Impl(std::string program, std::string description)
      : app(std::move(description), std::move(program)) {}

  // The flag called `key` under its name or an alias, and whether it was the alias.
  Flag* find(const std::string& key, bool* alias) {
    for (auto& flag : flags) {
      if (flag.name == key) {
        *alias = false;
        return &flag;
      }
      if (std::ranges::find(flag.options.aliases, key) != flag.options.aliases.end()) {
        *alias = true;
        return &flag;
      }
    }
    return nullptr;
  }

  // CLI11 reads "--name=" as "--name" and takes the argument after it as the value (another
  // flag swallowed, or "1 required TEXT missing" at the end). As in Mesos, an empty value is the
  // empty string: given to CLI11 as an argument of its own, for every flag but the booleans.
  // A number has no empty value: InvalidArgument naming the flag.
  Result<std::vector<std::string>> withEmptyValues(std::vector<std::string> args) {
    std::vector<std::string> out;
    out.reserve(args.size());
    for (auto& arg : args) {
      bool alias = false;
      const Flag* flag = arg.size() > 3 && arg.starts_with("--") && arg.find('=') == arg.size() - 1
                             ? find(arg.substr(2, arg.size() - 3), &alias)
                             : nullptr;
      if (flag != nullptr && flag->is_number) {
        return std::unexpected(invalidValue(flag->name, "", "expected a number"));
      }
      if (flag != nullptr && !flag->is_bool) {
        out.push_back("--" + flag->name);
        out.emplace_back();
      } else {
        out.push_back(std::move(arg));
      }
    }
    return out;
  }
};

namespace {

std::string upper(const std::string& name) {
  std::string out;
  for (char c : name) {
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string helpFor(const std::string& help, const FlagOptions& options) {
  std::string out = help;
  if (!options.aliases.empty()) {
    out += fmt::format(" (deprecated name: --{})", fmt::join(options.aliases, ", --"));
  }
  if (!options.no_effect.empty()) {
    out += fmt::format(" [no effect in Plateau: {}]", options.no_effect);
  }
  return out;
}

// The flag's value, or the contents of the file it names (trailing whitespace dropped, as
// Mesos trims file values such as --zk=file:///etc/mesos/zk).
Result<std::string> resolveFile(const std::string& name, const std::string& value, FileValue mode) {
  std::string path;
  if (mode != FileValue::kNone && value.starts_with("file://")) {
    path = value.substr(7);
  } else if (mode == FileValue::kUrlOrPath && value.starts_with("/")) {
    path = value;
  } else {
    return value;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(Status(
        StatusCode::kInvalidArgument,
        fmt::format("Flag '--{}': cannot read file '{}': {}", name, path, std::strerror(errno))));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string text = contents.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  return text;
}

}  // namespace

FlagSet::FlagSet(std::string program, std::string description)
    : impl_(std::make_unique<Impl>(std::move(program), std::move(description))) {
  impl_->app.allow_windows_style_options(false);
}

FlagSet::~FlagSet() = default;

void FlagSet::add(const std::string& name, std::string* target, const std::string& help,
                  FlagOptions options) {
  std::string text = helpFor(help, options);
  if (options.file == FileValue::kNone) {
    impl_->app.add_option("--" + name, *target, text)->capture_default_str();
    impl_->flags.push_back(
        {name, std::move(options), help, false, [target] { return *target; }, nullptr});
    return;
  }
  // The text given stays what /flags shows; the target gets the file's contents.
  std::string* raw = &impl_->texts.emplace_back(*target);
  impl_->app.add_option("--" + name, *raw, text)->capture_default_str();
  FileValue mode = options.file;
  impl_->flags.push_back({name, std::move(options), help, false, [raw] { return *raw; },
                          [name, raw, target, mode]() -> Status {
                            auto value = resolveFile(name, *raw, mode);
                            if (!value) {
                              return value.error();
                            }
                            *target = std::move(*value);
                            return {};
                          }});
}

void FlagSet::add(const std::string& name, uint16_t* target, const std::string& help,
                  FlagOptions options) {
  impl_->app.add_option("--" + name, *target, helpFor(help, options))->capture_default_str();
  impl_->flags.push_back({name, std::move(options), help, false,
                          [target] { return std::to_string(*target); }, nullptr});
  impl_->flags.back().is_number = true;
}

void FlagSet::add(const std::string& name, int* target, const std::string& help,
                  FlagOptions options) {
  impl_->app.add_option("--" + name, *target, helpFor(help, options))->capture_default_str();
  impl_->flags.push_back({name, std::move(options), help, false,
                          [target] { return std::to_string(*target); }, nullptr});
  impl_->flags.back().is_number = true;
}

void FlagSet::add(const std::string& name, double* target, const std::string& help,
                  FlagOptions options) {
  impl_->app.add_option("--" + name, *target, helpFor(help, options))->capture_default_str();
  impl_->flags.push_back({name, std::move(options), help, false,
                          [target] { return fmt::format("{}", *target); }, nullptr});
  impl_->flags.back().is_number = true;
}

void FlagSet::add(const std::string& name, bool* target, const std::string& help,
                  FlagOptions options) {
  impl_->app.add_flag("--" + name + ",!--no-" + name, *target, helpFor(help, options))
      ->capture_default_str();
  impl_->flags.push_back({name, std::move(options), help, true,
                          [target] { return *target ? "true" : "false"; }, nullptr});
}

void FlagSet::addDuration(const std::string& name, std::chrono::nanoseconds* target,
                          const std::string& help, FlagOptions options) {
  std::string* text = &impl_->texts.emplace_back(formatDuration(*target));
  impl_->app
      .add_option("--" + name, *text, helpFor(help + " (e.g. 500ms, 15secs, 2mins)", options))
      ->capture_default_str();
  impl_->flags.push_back({name, std::move(options), help, false, [text] { return *text; },
                          [name, text, target]() -> Status {
                            auto d = parseDuration(*text);
                            if (!d) {
                              return invalidValue(name, *text, d.error().message());
                            }
                            *target = *d;
                            return {};
                          }});
}

void FlagSet::addInert(const std::string& name, Kind kind, const std::string& default_value,
                       const std::string& help, const std::string& reason, FlagOptions options) {
  options.no_effect = reason;
  if (kind == Kind::kBool) {
    bool* value = &impl_->bools.emplace_back(default_value == "true");
    add(name, value, help, std::move(options));
    return;
  }
  if (kind == Kind::kString) {
    // The file, if any, is still read: a missing one is an error in Mesos too.
    std::string* value = &impl_->texts.emplace_back(default_value);
    add(name, value, help, std::move(options));
    return;
  }
  std::string* text = &impl_->texts.emplace_back(default_value);
  impl_->app.add_option("--" + name, *text, helpFor(help, options))->capture_default_str();
  impl_->flags.push_back({name, std::move(options), help, false, [text] { return *text; },
                          [name, text, kind]() -> Status {
                            const std::string& v = *text;
                            if (v.empty()) {
                              return {};
                            }
                            switch (kind) {
                              case Kind::kInt: {
                                long long n = 0;
                                auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                                if (ec != std::errc() || end != v.data() + v.size()) {
                                  return invalidValue(name, v, "expected an integer");
                                }
                                return {};
                              }
                              case Kind::kDouble: {
                                char* end = nullptr;
                                std::strtod(v.c_str(), &end);
                                if (end != v.c_str() + v.size()) {
                                  return invalidValue(name, v, "expected a number");
                                }
                                return {};
                              }
                              case Kind::kDuration:
                                if (auto d = parseDuration(v); !d) {
                                  return invalidValue(name, v, d.error().message());
                                }
                                return {};
                              case Kind::kBytes:
                                if (auto b = parseBytes(v); !b) {
                                  return invalidValue(name, v, b.error().message());
                                }
                                return {};
                              default:
                                return {};
                            }
                          }});
}

Status FlagSet::parse(int argc, const char* const* argv) {
  Impl& impl = *impl_;
  impl.given.clear();
  impl.deprecated.clear();
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("--") && arg.size() > 2) {
      // Deprecated names become the flag's name; what follows '=' stays as it is.
      size_t eq = arg.find('=');
      std::string key = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      std::string rest = eq == std::string::npos ? "" : arg.substr(eq);
      bool negated = false;
      bool alias = false;
      Flag* flag = impl.find(key, &alias);
      if (flag == nullptr && key.starts_with("no-")) {
        flag = impl.find(key.substr(3), &alias);
        negated = flag != nullptr && flag->is_bool;
        if (!negated) {
          flag = nullptr;
        }
      }
      if (flag != nullptr) {
        if (alias) {
          impl.deprecated.emplace_back(negated ? key.substr(3) : key, flag->name);
          arg = "--" + std::string(negated ? "no-" : "") + flag->name + rest;
        }
        impl.given.insert(flag->name);
      }
    }
    args.push_back(std::move(arg));
  }
  // Environment values come first so that the command line overrides them.
  std::vector<std::string> env_args;
  for (const auto& flag : impl.flags) {
    if (impl.given.contains(flag.name)) {
      continue;
    }
    std::vector<std::pair<std::string, const std::string*>> names = {
        {"PLATEAU_" + upper(flag.name), nullptr}, {"MESOS_" + upper(flag.name), nullptr}};
    for (const auto& alias : flag.options.aliases) {
      names.emplace_back("MESOS_" + upper(alias), &alias);
    }
    for (const auto& env : flag.options.env) {
      names.emplace_back(env, nullptr);
    }
    for (const auto& [env, alias] : names) {
      if (const char* value = std::getenv(env.c_str())) {
        env_args.push_back(fmt::format("--{}={}", flag.name, value));
        impl.given.insert(flag.name);
        if (alias != nullptr) {
          impl.deprecated.emplace_back(*alias, flag.name);
        }
        break;
      }
    }
  }
  args.insert(args.begin(), env_args.begin(), env_args.end());
  auto with_empty = impl.withEmptyValues(std::move(args));
  if (!with_empty) {
    return with_empty.error();
  }
  args = std::move(*with_empty);
  std::reverse(args.begin(), args.end());  // CLI11 wants them reversed
  try {
    impl.app.parse(args);
  } catch (const CLI::CallForHelp&) {
    return {StatusCode::kFailedPrecondition, ""};
  } catch (const CLI::ParseError& e) {
    return {StatusCode::kInvalidArgument, e.what()};
  }
  for (const auto& flag : impl.flags) {
    if (flag.finish) {
      if (Status s = flag.finish(); !s.isOk()) {
        return s;
      }
    }
  }
  return {};
}

std::string FlagSet::help() const { return impl_->app.help(); }

std::vector<std::pair<std::string, std::string>> FlagSet::values() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& flag : impl_->flags) {
    out.emplace_back(flag.name, flag.show());
  }
  return out;
}

std::vector<FlagInfo> FlagSet::describe() const {
  std::vector<FlagInfo> out;
  for (const auto& flag : impl_->flags) {
    out.push_back({flag.name, flag.options.aliases, flag.help, flag.options.no_effect});
  }
  return out;
}

bool FlagSet::given(const std::string& name) const { return impl_->given.contains(name); }

std::vector<std::pair<std::string, std::string>> FlagSet::ignoredGiven() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& flag : impl_->flags) {
    if (!flag.options.no_effect.empty() && impl_->given.contains(flag.name)) {
      out.emplace_back(flag.name, flag.options.no_effect);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> FlagSet::deprecatedUsed() const {
  return impl_->deprecated;
}

int exitCodeFor(const Status& status, const FlagSet& flags) {
  if (status.isOk()) {
    return -1;
  }
  if (status.code() == StatusCode::kFailedPrecondition && status.message().empty()) {
    std::cout << flags.help();
    return 0;
  }
  std::cerr << "Error: " << status.message() << "\n\n"
            << "Run with --help for the flags.\n";
  return 1;
}

void reportFlagWarnings(const FlagSet& flags, const std::function<void(std::string)>& warn) {
  for (const auto& [old_name, name] : flags.deprecatedUsed()) {
    warn(fmt::format("flag_deprecated name={} use={}", old_name, name));
  }
  for (const auto& [name, reason] : flags.ignoredGiven()) {
    warn(fmt::format("flag_without_effect name={} reason=\"{}\"", name, reason));
  }
}

std::string flagsJson(const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("flags");
  w.beginObject();
  for (const auto& [name, value] : values) {
    w.key(name);
    w.value(value);
  }
  w.endObject();
  w.endObject();
  return out;
}

}  // namespace plateau::flags
