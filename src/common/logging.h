#pragma once

// One named spdlog logger per component, created in main() and passed down.

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "common/status.h"

namespace plateau {

// A logger writing one line per event: "time level name event key=value ...". As Mesos's
// flags: lines go to stderr unless `quiet`, and also to <log_dir>/plateau-<name>.log when
// `log_dir` is set (created if missing). `level` is trace, debug, info, warning (or warn),
// error, in any case.
Result<std::shared_ptr<spdlog::logger>> makeLogger(const std::string& name,
                                                   const std::string& level,
                                                   const std::string& log_dir = "",
                                                   bool quiet = false);

}  // namespace plateau
