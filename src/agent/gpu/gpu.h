#pragma once

// NVIDIA GPUs as the agent's `gpus` resource: which devices it manages (--nvidia_gpu_devices with
// --resources=gpus:N, or detection through nvidia-smi when --isolation has "gpu/nvidia"), which
// container holds which, and device-cgroup (v1) confinement of a container to its GPUs.

#include <sys/types.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::agent::gpu {

struct Device {
  unsigned index = 0;  // nvidia-smi's index: what CUDA_VISIBLE_DEVICES names
  unsigned minor = 0;  // /dev/nvidia<minor>, character device 195:<minor>
  std::string name;
  friend bool operator==(const Device&, const Device&) = default;
};

constexpr unsigned kNvidiaMajor = 195;

// "0,1,3" -> {0, 1, 3}; errors name the flag.
Result<std::vector<unsigned>> parseDeviceList(std::string_view text);

// Lines of `nvidia-smi --query-gpu=index,name,pci.bus_id --format=csv,noheader`.
// Minor numbers come from /proc/driver/nvidia/gpus/<bus id>/information when `proc_root`
// has it, else equal the index.
Result<std::vector<Device>> parseNvidiaSmi(std::string_view csv, const std::string& proc_root = "");

// Runs `program` (nvidia-smi, or a stand-in for tests) with the query above.
Result<std::vector<Device>> detect(const std::string& program);

// What the agent's flags say. `resource_gpus`: the gpus scalar in --resources, if any.
// Returns the devices to manage (empty: no GPUs), following Mesos's rules:
//  - without "gpu/nvidia" in --isolation, --nvidia_gpu_devices is an error and gpus in
//    --resources are offered as a plain count with no devices behind them;
//  - with it, --nvidia_gpu_devices and gpus in --resources come together (same count, whole
//    number, no duplicates), or neither and the devices are detected.
struct Setup {
  std::vector<Device> devices;
  bool detected = false;
};
Result<Setup> resolve(const std::string& isolation, const std::string& nvidia_gpu_devices,
                      std::optional<double> resource_gpus, const std::string& smi_program);

// Which container holds which devices. Loop thread only.
class Allocator {
 public:
  explicit Allocator(std::vector<Device> devices);
  // `count` free devices for `container` (lowest indices first), or an error when too few.
  Result<std::vector<Device>> allocate(const std::string& container, size_t count);
  // Marks given indices as held (a recovered container). Unknown or taken ones are ignored.
  void claim(const std::string& container, const std::vector<unsigned>& indices);
  void release(const std::string& container);
  std::vector<Device> held(const std::string& container) const;
  size_t total() const { return devices_.size(); }
  const std::vector<Device>& devices() const { return devices_; }
  size_t available() const { return free_.size(); }

 private:
  std::vector<Device> devices_;
  std::set<unsigned> free_;  // indices
  std::map<std::string, std::vector<Device>> held_;
};

// CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES entries for a container's devices.
std::vector<std::string> environment(const std::vector<Device>& devices);

// Indices named by a CUDA_VISIBLE_DEVICES value in a process's environment (/proc/<pid>/environ),
// for a restarted agent to learn what a recovered executor holds.
std::vector<unsigned> visibleDevicesOf(pid_t pid);

// Device cgroup (v1) confinement. A v1 devices cgroup inherits "allow all", so confinement is a
// list of exceptions: every NVIDIA GPU minor in `all` (and every /dev/nvidia<N> on the host)
// that is not in `allowed` is denied (c 195:<minor> rwm) in `cgroup_dir`. The control devices
// (nvidiactl, nvidia-uvm, nvidia-modeset) stay usable.
Status restrictDevices(const std::string& cgroup_dir, const std::set<unsigned>& allowed,
                       const std::set<unsigned>& all);

// Creates <devices_root>/plateau/<name> (devices_root: the v1 devices hierarchy, normally
// /sys/fs/cgroup/devices), moves `pid` into it, and confines it to `allowed` of `all` GPUs.
// Returns the cgroup's path. An error when the hierarchy is absent or not writable.
Result<std::string> isolate(pid_t pid, const std::string& name, const std::set<unsigned>& allowed,
                            const std::set<unsigned>& all,
                            const std::string& devices_root = "/sys/fs/cgroup/devices");

}  // namespace plateau::agent::gpu
