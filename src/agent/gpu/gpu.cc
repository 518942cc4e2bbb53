#include "agent/gpu/gpu.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace plateau::agent::gpu {

namespace fs = std::filesystem;

namespace {

Status invalid(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<unsigned> parseUnsigned(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return static_cast<unsigned>(std::stoul(std::string(s)));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return out;
    }
    start = end + 1;
  }
}

// "Device Minor:    3" in the driver's information file of the GPU at `bus_id`.
std::optional<unsigned> minorFromProc(const std::string& proc_root, std::string bus_id) {
  for (auto& c : bus_id) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // nvidia-smi prints an 8-digit domain ("00000000:1B:00.0"); the driver uses 4 ("0000:1b:00.0").
  if (bus_id.size() == 16 && bus_id.starts_with("0000")) {
    bus_id = bus_id.substr(4);
  }
  std::ifstream in(fs::path(proc_root) / "driver/nvidia/gpus" / bus_id / "information");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("Device Minor:")) {
      return parseUnsigned(std::string_view(line).substr(13));
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<unsigned>> parseDeviceList(std::string_view text) {
  std::vector<unsigned> out;
  std::set<unsigned> seen;
  for (auto part : split(text, ',')) {
    auto index = parseUnsigned(part);
    if (!index) {
      return std::unexpected(invalid(fmt::format(
          "Invalid value for flag '--nvidia_gpu_devices': '{}' is not a GPU index", trim(part))));
    }
    if (!seen.insert(*index).second) {
      return std::unexpected(invalid(fmt::format(
          "Invalid value for flag '--nvidia_gpu_devices': GPU {} is listed twice", *index)));
    }
    out.push_back(*index);
  }
  return out;
}

Result<std::vector<Device>> parseNvidiaSmi(std::string_view csv, const std::string& proc_root) {
  std::vector<Device> out;
  for (auto line : split(csv, '\n')) {
    if (trim(line).empty()) {
      continue;
    }
    auto fields = split(line, ',');
    auto index = parseUnsigned(fields[0]);
    if (!index) {
      return std::unexpected(invalid(fmt::format("unexpected nvidia-smi line '{}'", line)));
    }
    Device d;
    d.index = *index;
    d.minor = *index;
    if (fields.size() > 1) {
      d.name = std::string(trim(fields[1]));
    }
    if (fields.size() > 2 && !proc_root.empty()) {
      if (auto minor = minorFromProc(proc_root, std::string(trim(fields[2])))) {
        d.minor = *minor;
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<Device>> detect(const std::string& program) {
  std::string command =
      fmt::format("'{}' --query-gpu=index,name,pci.bus_id --format=csv,noheader 2>&1", program);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return std::unexpected(invalid(fmt::format("cannot run '{}'", program)));
  }
  std::string output;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output.append(buffer, n);
  }
  int status = pclose(pipe);
  if (status != 0) {
    return std::unexpected(
        invalid(fmt::format("'{}' failed (status {}): {}", program, status, trim(output))));
  }
  return parseNvidiaSmi(output, "/proc");
}

Result<Setup> resolve(const std::string& isolation, const std::string& nvidia_gpu_devices,
                      std::optional<double> resource_gpus, const std::string& smi_program) {
  bool isolated = false;
  for (auto name : split(isolation, ',')) {
    isolated = isolated || trim(name) == "gpu/nvidia";
  }
  Setup setup;
  if (!isolated) {
    if (!nvidia_gpu_devices.empty()) {
      return std::unexpected(
          invalid("Flag '--nvidia_gpu_devices' needs 'gpu/nvidia' in flag '--isolation'"));
    }
    return setup;
  }
  if (!nvidia_gpu_devices.empty() || resource_gpus) {
    if (nvidia_gpu_devices.empty()) {
      return std::unexpected(
          invalid("Flag '--resources' has 'gpus' but flag '--nvidia_gpu_devices' is not set; "
                  "give both, or neither to detect the GPUs"));
    }
    if (!resource_gpus) {
      return std::unexpected(
          invalid("Flag '--nvidia_gpu_devices' is set but flag '--resources' has no 'gpus'; "
                  "give both, or neither to detect the GPUs"));
    }
    if (*resource_gpus != std::floor(*resource_gpus)) {
      return std::unexpected(invalid(fmt::format(
          "Flag '--resources' has gpus:{}, which is not a whole number", *resource_gpus)));
    }
    auto indices = parseDeviceList(nvidia_gpu_devices);
    if (!indices) {
      return std::unexpected(indices.error());
    }
    if (static_cast<double>(indices->size()) != *resource_gpus) {
      return std::unexpected(invalid(fmt::format(
          "Flag '--resources' has gpus:{} but flag '--nvidia_gpu_devices' lists {} GPUs",
          *resource_gpus, indices->size())));
    }
    for (unsigned index : *indices) {
      setup.devices.push_back(Device{index, index, ""});
    }
    return setup;
  }
  auto detected = detect(smi_program.empty() ? "nvidia-smi" : smi_program);
  if (!detected) {
    return std::unexpected(
        invalid(fmt::format("Flag '--isolation' has 'gpu/nvidia' but the GPUs cannot be listed: {}",
                            detected.error().message())));
  }
  setup.devices = std::move(*detected);
  setup.detected = true;
  return setup;
}

Allocator::Allocator(std::vector<Device> devices) : devices_(std::move(devices)) {
  for (const auto& d : devices_) {
    free_.insert(d.index);
  }
}

Result<std::vector<Device>> Allocator::allocate(const std::string& container, size_t count) {
  if (count > free_.size()) {
    return std::unexpected(invalid(fmt::format("{} GPUs requested but {} of {} are free", count,
                                               free_.size(), devices_.size())));
  }
  auto& held = held_[container];
  while (count-- > 0) {
    unsigned index = *free_.begin();
    free_.erase(free_.begin());
    for (const auto& d : devices_) {
      if (d.index == index) {
        held.push_back(d);
      }
    }
  }
  return held;
}

void Allocator::claim(const std::string& container, const std::vector<unsigned>& indices) {
  for (unsigned index : indices) {
    if (free_.erase(index) == 0) {
      continue;
    }
    for (const auto& d : devices_) {
      if (d.index == index) {
        held_[container].push_back(d);
      }
    }
  }
}

void Allocator::release(const std::string& container) {
  auto it = held_.find(container);
  if (it == held_.end()) {
    return;
  }
  for (const auto& d : it->second) {
    free_.insert(d.index);
  }
  held_.erase(it);
}

std::vector<Device> Allocator::held(const std::string& container) const {
  auto it = held_.find(container);
  return it == held_.end() ? std::vector<Device>{} : it->second;
}

std::vector<std::string> environment(const std::vector<Device>& devices) {
  std::string list;
  for (const auto& d : devices) {
    list += (list.empty() ? "" : ",") + std::to_string(d.index);
  }
  return {"CUDA_VISIBLE_DEVICES=" + list,
          "NVIDIA_VISIBLE_DEVICES=" + (list.empty() ? "none" : list)};
}

std::vector<unsigned> visibleDevicesOf(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/environ", pid), std::ios::binary);
  std::string entry;
  while (std::getline(in, entry, '\0')) {
    if (entry.starts_with("CUDA_VISIBLE_DEVICES=")) {
      std::vector<unsigned> out;
      for (auto part : split(std::string_view(entry).substr(21), ',')) {
        if (auto index = parseUnsigned(part)) {
          out.push_back(*index);
        }
      }
      return out;
    }
  }
  return {};
}

Status restrictDevices(const std::string& cgroup_dir, const std::set<unsigned>& allowed,
                       const std::set<unsigned>& all) {
  std::set<unsigned> denied = all;
  std::error_code ec;
  for (fs::directory_iterator it("/dev", ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with("nvidia")) {
      if (auto minor = parseUnsigned(std::string_view(name).substr(6))) {
        denied.insert(*minor);
      }
    }
  }
  std::ofstream out(fs::path(cgroup_dir) / "devices.deny", std::ios::app);
  if (!out) {
    return invalid(fmt::format("cannot open {}/devices.deny", cgroup_dir));
  }
  for (unsigned minor : denied) {
    if (allowed.contains(minor)) {
      continue;
    }
    // One rule per write: the kernel takes one rule per write(2).
    out << fmt::format("c {}:{} rwm\n", kNvidiaMajor, minor);
    out.flush();
    if (!out) {
      return invalid(
          fmt::format("cannot deny device {}:{} in {}", kNvidiaMajor, minor, cgroup_dir));
    }
  }
  return {};
}

Result<std::string> isolate(pid_t pid, const std::string& name, const std::set<unsigned>& allowed,
                            const std::set<unsigned>& all, const std::string& devices_root) {
  std::error_code ec;
  if (!fs::exists(fs::path(devices_root) / "devices.deny", ec)) {
    return std::unexpected(
        invalid(fmt::format("no cgroup v1 devices hierarchy at '{}'", devices_root)));
  }
  fs::path dir = fs::path(devices_root) / "plateau" / name;
  fs::create_directories(dir, ec);
  if (ec) {
    return std::unexpected(
        invalid(fmt::format("cannot create '{}': {}", dir.string(), ec.message())));
  }
  if (Status s = restrictDevices(dir.string(), allowed, all); !s.isOk()) {
    return std::unexpected(s);
  }
  std::ofstream procs(dir / "cgroup.procs", std::ios::app);
  procs << pid << '\n';
  procs.flush();
  if (!procs) {
    return std::unexpected(invalid(fmt::format("cannot move pid {} into '{}'", pid, dir.string())));
  }
  return dir.string();
}

}  // namespace plateau::agent::gpu
