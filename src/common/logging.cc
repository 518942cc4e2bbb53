#include "common/logging.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace plateau {

Result<std::shared_ptr<spdlog::logger>> makeLogger(const std::string& name,
                                                   const std::string& level) {
  spdlog::level::level_enum lvl;
  if (level == "trace") lvl = spdlog::level::trace;
  else if (level == "debug") lvl = spdlog::level::debug;
  else if (level == "info") lvl = spdlog::level::info;
  else if (level == "warning" || level == "warn") lvl = spdlog::level::warn;
  else if (level == "error") lvl = spdlog::level::err;
  else {
    return invalidArgument(fmt::format(
        "Invalid value '{}' for flag '--logging_level': expected trace, debug, info, warning or "
        "error",
        level));
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(name, sink);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %L %n %v");
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace plateau
