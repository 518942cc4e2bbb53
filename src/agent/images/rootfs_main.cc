// plateau-rootfs: enters a provisioned container rootfs and executes a program in it (see
// agent/images/enter_rootfs.h). Started by plateau-executor for a task in an image, and by
// plateau-agent for a custom executor in an image. Exits 127 when the container cannot be set
// up, with the reason on stderr.

#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "agent/images/enter_rootfs.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = plateau::agent::images::parseEnterArgs(args);
  if (!options) {
    fmt::print(stderr, "plateau-rootfs: {}\n", options.error().message());
    return 127;
  }
  auto status = plateau::agent::images::enterAndExec(*options);
  fmt::print(stderr, "plateau-rootfs: {}\n", status.message());
  return 127;
}
