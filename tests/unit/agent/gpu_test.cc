// GPU flags, nvidia-smi parsing, assignment to containers, device-cgroup rules.

#include "agent/gpu/gpu.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace plateau::agent::gpu {
namespace {

namespace fs = std::filesystem;

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  TempDir() {
    std::string t = (fs::temp_directory_path() / "plateau-gpu-XXXXXX").string();
    path = mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

TEST(GpuFlags, DeviceListParsing) {
  auto ok = parseDeviceList("0, 1,3");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (std::vector<unsigned>{0, 1, 3}));
  for (const char* bad : {"", "a", "0,,1", "-1", "0,0", "1.5"}) {
    auto r = parseDeviceList(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("--nvidia_gpu_devices"), std::string::npos) << bad;
  }
}

TEST(GpuFlags, MesosRulesForDevicesAndResources) {
  // Without gpu/nvidia: a plain count, no devices; naming devices is an error.
  auto plain = resolve("posix/cpu", "", 2.0, "");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->devices.empty());
  auto needs_isolator = resolve("posix/cpu", "0,1", 2.0, "");
  ASSERT_FALSE(needs_isolator);
  EXPECT_NE(needs_isolator.error().message().find("--isolation"), std::string::npos);

  auto both = resolve("posix/cpu,gpu/nvidia", "0,1", 2.0, "");
  ASSERT_TRUE(both);
  ASSERT_EQ(both->devices.size(), 2u);
  EXPECT_EQ(both->devices[1].index, 1u);
  EXPECT_FALSE(both->detected);

  struct Bad {
    std::string devices;
    std::optional<double> gpus;
    std::string flag;
  };
  for (const auto& bad : std::vector<Bad>{{"", 2.0, "--nvidia_gpu_devices"},
                                          {"0,1", std::nullopt, "--resources"},
                                          {"0", 2.0, "--nvidia_gpu_devices"},
                                          {"0,1", 1.5, "--resources"},
                                          {"0,0", 2.0, "--nvidia_gpu_devices"}}) {
    auto r = resolve("gpu/nvidia", bad.devices, bad.gpus, "");
    ASSERT_FALSE(r) << bad.devices;
    EXPECT_NE(r.error().message().find(bad.flag), std::string::npos) << r.error().message();
  }
}

// The formats as an H100 machine (driver 580) printed them.
TEST(GpuDetect, ParsesNvidiaSmiAndReadsMinorNumbers) {
  TempDir proc;
  fs::create_directories(proc.path / "driver/nvidia/gpus/0000:1b:00.0");
  std::ofstream(proc.path / "driver/nvidia/gpus/0000:1b:00.0/information")
      << "Model: \t\t NVIDIA H100 80GB HBM3\nBus Location: \t 0000:1b:00.0\nDevice Minor: \t 7\n";
  auto devices = parseNvidiaSmi(
      "0, NVIDIA H100 80GB HBM3, 00000000:1B:00.0\n1, NVIDIA H100 80GB HBM3, 00000000:2C:00.0\n",
      proc.path.string());
  ASSERT_TRUE(devices);
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].minor, 7u);
  EXPECT_EQ((*devices)[0].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ((*devices)[1].index, 1u);
  EXPECT_EQ((*devices)[1].minor, 1u);  // no driver file: the index
  EXPECT_FALSE(parseNvidiaSmi("No devices were found\n"));
}

TEST(GpuDetect, RunsTheDeviceSource) {
  TempDir dir;
  fs::path script = dir.path / "fake-nvidia-smi";
  std::ofstream(script) << "#!/bin/sh\n"
                           "[ \"$1\" = --query-gpu=index,name,pci.bus_id ] || exit 3\n"
                           "echo '0, Fake GPU, 00000000:01:00.0'\n"
                           "echo '1, Fake GPU, 00000000:02:00.0'\n";
  fs::permissions(script, fs::perms::owner_all);
  auto setup = resolve("gpu/nvidia", "", std::nullopt, script.string());
  ASSERT_TRUE(setup) << setup.error().message();
  EXPECT_TRUE(setup->detected);
  EXPECT_EQ(setup->devices.size(), 2u);
  auto missing = resolve("gpu/nvidia", "", std::nullopt, (dir.path / "absent").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("--isolation"), std::string::npos);
}

TEST(GpuAllocator, AssignsDistinctDevicesAndReleases) {
  Allocator gpus({{0, 0, ""}, {1, 1, ""}, {2, 2, ""}});
  auto a = gpus.allocate("a", 2);
  ASSERT_TRUE(a);
  auto b = gpus.allocate("b", 1);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->size(), 2u);
  EXPECT_EQ((*b)[0].index, 2u);
  EXPECT_EQ(gpus.available(), 0u);
  auto c = gpus.allocate("c", 1);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("0 of 3 are free"), std::string::npos);
  gpus.release("a");
  EXPECT_EQ(gpus.available(), 2u);
  EXPECT_TRUE(gpus.held("a").empty());
  gpus.claim("d", {0, 2, 9});  // 2 is b's, 9 unknown: only 0 is taken
  ASSERT_EQ(gpus.held("d").size(), 1u);
  EXPECT_EQ(gpus.held("d")[0].index, 0u);
  EXPECT_EQ(environment(gpus.held("d")),
            (std::vector<std::string>{"CUDA_VISIBLE_DEVICES=0", "NVIDIA_VISIBLE_DEVICES=0"}));
  EXPECT_EQ(environment({}),
            (std::vector<std::string>{"CUDA_VISIBLE_DEVICES=", "NVIDIA_VISIBLE_DEVICES=none"}));
}

TEST(GpuCgroup, RulesDenyEveryGpuButTheAssignedOnes) {
  TempDir dir;
  std::ofstream(dir.path / "devices.deny");
  ASSERT_TRUE(restrictDevices(dir.path.string(), {1}, {0, 1, 2}).isOk());
  std::string rules = readText(dir.path / "devices.deny");
  EXPECT_NE(rules.find("c 195:0 rwm\n"), std::string::npos) << rules;
  EXPECT_NE(rules.find("c 195:2 rwm\n"), std::string::npos) << rules;
  EXPECT_EQ(rules.find("c 195:1 rwm"), std::string::npos) << rules;
  EXPECT_EQ(rules.find("c 195:255"), std::string::npos) << rules;  // nvidiactl stays
  EXPECT_FALSE(restrictDevices((dir.path / "absent").string(), {0}, {0, 1}).isOk());
  EXPECT_FALSE(isolate(getpid(), "x", {0}, {0, 1}, (dir.path / "absent").string()));
}

// Opening a GPU device node the cgroup denies fails with EPERM before any driver is asked;
// an allowed one gets past the cgroup (ENXIO without a driver, or success with one).
TEST(GpuCgroup, DeniedDevicesCannotBeOpenedInsideTheCgroup) {
  const std::string root = "/sys/fs/cgroup/devices";
  if (access((root + "/devices.deny").c_str(), W_OK) != 0) {
    GTEST_SKIP() << "no writable cgroup v1 devices hierarchy at " << root
                 << " (cgroup v2, or not root)";
  }
  TempDir dir;
  for (unsigned minor : {0u, 1u}) {
    std::string node = (dir.path / ("gpu" + std::to_string(minor))).string();
    if (mknod(node.c_str(), S_IFCHR | 0666, makedev(kNvidiaMajor, minor)) != 0) {
      GTEST_SKIP() << "cannot create device nodes (mknod): " << std::strerror(errno);
    }
  }
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  if (child == 0) {
    char c;
    (void)!read(go[0], &c, 1);
    int code = 0;
    for (unsigned minor : {0u, 1u}) {
      int fd = open((dir.path / ("gpu" + std::to_string(minor))).c_str(), O_RDWR);
      int err = fd < 0 ? errno : 0;
      code |= (err == EPERM ? 1 : 0) << minor;
    }
    _exit(code);
  }
  auto cgroup = isolate(child, "gpu-test-" + std::to_string(child), {0}, {0, 1});
  (void)!write(go[1], "x", 1);
  int status = 0;
  waitpid(child, &status, 0);
  close(go[0]);
  close(go[1]);
  ASSERT_TRUE(cgroup) << cgroup.error().message();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2) << "bit 0: minor 0 denied, bit 1: minor 1 denied";
  std::error_code ec;
  fs::remove(*cgroup, ec);
}

}  // namespace
}  // namespace plateau::agent::gpu
