#pragma once

// One named spdlog logger per component, created in main() and passed down.

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "common/status.h"

namespace plateau {

// A logger writing one line per event to stderr: "time level name event key=value ...".
// `level` is trace, debug, info, warning (or warn), error.
Result<std::shared_ptr<spdlog::logger>> makeLogger(const std::string& name,
                                                   const std::string& level);

}  // namespace plateau
