#include "common/flags.h"

#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "common/json.h"
#include "common/units.h"

namespace plateau::flags {

struct Flag {
  std::string name;
  std::function<std::string()> show;
  std::function<Status()> finish;  // post-parse conversion (durations)
};

struct FlagSet::Impl {
  CLI::App app;
  std::vector<Flag> flags;
  std::vector<std::unique_ptr<std::string>> raw;  // text of converted flags
  Impl(std::string program, std::string description)
      : app(std::move(description), std::move(program)) {}
};

FlagSet::FlagSet(std::string program, std::string description)
    : impl_(std::make_unique<Impl>(std::move(program), std::move(description))) {
  impl_->app.allow_windows_style_options(false);
}

FlagSet::~FlagSet() = default;

void FlagSet::add(const std::string& name, std::string* target, const std::string& help) {
  impl_->app.add_option("--" + name, *target, help)->capture_default_str();
  impl_->flags.push_back({name, [target] { return *target; }, nullptr});
}

void FlagSet::add(const std::string& name, uint16_t* target, const std::string& help) {
  impl_->app.add_option("--" + name, *target, help)->capture_default_str();
  impl_->flags.push_back({name, [target] { return std::to_string(*target); }, nullptr});
}

void FlagSet::add(const std::string& name, int* target, const std::string& help) {
  impl_->app.add_option("--" + name, *target, help)->capture_default_str();
  impl_->flags.push_back({name, [target] { return std::to_string(*target); }, nullptr});
}

void FlagSet::add(const std::string& name, double* target, const std::string& help) {
  impl_->app.add_option("--" + name, *target, help)->capture_default_str();
  impl_->flags.push_back({name, [target] { return fmt::format("{}", *target); }, nullptr});
}

void FlagSet::add(const std::string& name, bool* target, const std::string& help) {
  impl_->app.add_flag("--" + name + ",!--no-" + name, *target, help)->capture_default_str();
  impl_->flags.push_back({name, [target] { return *target ? "true" : "false"; }, nullptr});
}

void FlagSet::addDuration(const std::string& name, std::chrono::nanoseconds* target,
                          const std::string& help) {
  impl_->raw.push_back(std::make_unique<std::string>(formatDuration(*target)));
  std::string* text = impl_->raw.back().get();
  impl_->app.add_option("--" + name, *text, help + " (e.g. 500ms, 15secs, 2mins)")
      ->capture_default_str();
  impl_->flags.push_back({name, [text] { return *text; },
                          [name, text, target]() -> Status {
                            auto d = parseDuration(*text);
                            if (!d) {
                              return {StatusCode::kInvalidArgument,
                                      fmt::format("Invalid value '{}' for flag '--{}': {}", *text,
                                                  name, d.error().message())};
                            }
                            *target = *d;
                            return {};
                          }});
}

Status FlagSet::parse(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    args.emplace_back(argv[i]);
  }
  // Environment values come first so that the command line overrides them.
  std::vector<std::string> env_args;
  for (const auto& flag : impl_->flags) {
    std::string upper;
    for (char c : flag.name) {
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    bool given = false;
    for (const auto& a : args) {
      if (a == "--" + flag.name || a.starts_with("--" + flag.name + "=") ||
          a == "--no-" + flag.name) {
        given = true;
      }
    }
    if (given) {
      continue;
    }
    for (const char* prefix : {"PLATEAU_", "MESOS_"}) {
      if (const char* value = std::getenv((prefix + upper).c_str())) {
        env_args.push_back(fmt::format("--{}={}", flag.name, value));
        break;
      }
    }
  }
  args.insert(args.begin(), env_args.begin(), env_args.end());
  std::reverse(args.begin(), args.end());  // CLI11 wants them reversed
  try {
    impl_->app.parse(args);
  } catch (const CLI::CallForHelp&) {
    return {StatusCode::kFailedPrecondition, ""};
  } catch (const CLI::ParseError& e) {
    return {StatusCode::kInvalidArgument, e.what()};
  }
  for (const auto& flag : impl_->flags) {
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
