// The image layer unpacker (src/agent/images): the input written to a temporary file as a layer
// tarball (plain or compressed: libarchive detects the format) and unpacked into a fresh
// directory, which is removed afterwards; nothing may be written outside it.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agent/images/layer_unpack.h"
#include "tests/fuzz/fuzz_input.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace images = plateau::agent::images;
  static const fs::path base = [] {
    char pattern[] = "/tmp/plateau-fuzz-layer.XXXXXX";
    const char* dir = mkdtemp(pattern);
    if (dir == nullptr) {
      plateau::fuzz::fail("mkdtemp failed");
    }
    return fs::path(dir);
  }();
  const fs::path tar = base / "layer.tar";
  const fs::path dest = base / "rootfs" / "root";
  {
    std::ofstream out(tar, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  fs::create_directories(dest);
  (void)images::unpackLayer(tar.string(), dest.string());
  // Anything next to the destination was written outside it.
  for (const auto& entry : fs::directory_iterator(base / "rootfs")) {
    if (entry.path() != dest) {
      plateau::fuzz::fail("written outside the destination:", entry.path().string());
    }
  }
  std::error_code ec;
  fs::remove_all(base / "rootfs", ec);
  for (const auto& entry : fs::directory_iterator(base)) {
    if (entry.path() != tar) {
      plateau::fuzz::fail("written outside the destination:", entry.path().string());
    }
  }
  (void)images::checkEntryPath(std::string(plateau::fuzz::text(data, std::min<size_t>(size, 256))));
  return 0;
}
