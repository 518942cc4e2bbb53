#include "common/logging.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace plateau {

Result<std::shared_ptr<spdlog::logger>> makeLogger(const std::string& name,
                                                   const std::string& level,
                                                   const std::string& log_dir, bool quiet) {
  std::string lower = level;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  spdlog::level::level_enum lvl;
  if (lower == "trace")
    lvl = spdlog::level::trace;
  else if (lower == "debug")
    lvl = spdlog::level::debug;
  else if (lower == "info")
    lvl = spdlog::level::info;
  else if (lower == "warning" || lower == "warn")
    lvl = spdlog::level::warn;
  else if (lower == "error")
    lvl = spdlog::level::err;
  else {
    return invalidArgument(fmt::format(
        "Invalid value '{}' for flag '--logging_level': expected trace, debug, info, warning or "
        "error",
        level));
  }
  std::vector<spdlog::sink_ptr> sinks;
  if (!quiet) {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  }
  if (!log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    if (ec) {
      return invalidArgument(fmt::format("Cannot create the directory of flag '--log_dir' {}: {}",
                                         log_dir, ec.message()));
    }
    std::string path = fmt::format("{}/plateau-{}.log", log_dir, name);
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(path));
    } catch (const std::exception& e) {
      return invalidArgument(
          fmt::format("Cannot open the log file {} of flag '--log_dir': {}", path, e.what()));
    }
  }
  auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %L %n %v");
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  // The daemon's logger is the process's default too, so that what the shared layers log
  // (src/http, src/common) and a broken invariant reach the same sinks.
  spdlog::set_default_logger(logger);
  return logger;
}

}  // namespace plateau
