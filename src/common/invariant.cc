#include "common/invariant.h"

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace plateau {

void invariantBroken(std::string_view what, const std::source_location& where) {
  std::string line = fmt::format("invariant_broken where={}:{} function=\"{}\" what=\"{}\"",
                                 where.file_name(), where.line(), where.function_name(), what);
  // The daemon's own logger is the default one (makeLogger), so this reaches its --log_dir file;
  // stderr gets it too, in case that logger is --quiet and has no file.
  spdlog::critical("{}", line);
  spdlog::default_logger()->flush();
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace plateau
