#pragma once

// plateau-agent's flags: one struct, defaults as in Mesos.

#include <chrono>
#include <string>

#include "common/flags.h"

namespace plateau::agent {

using namespace std::chrono_literals;

struct Flags {
  std::string master;
  std::string ip = "127.0.0.1";
  uint16_t port = 5051;
  std::string hostname;
  std::string work_dir = "/tmp/plateau/agent";
  std::string resources;
  std::string attributes;
  std::string launcher_dir;  // where plateau-executor lives; defaults to this binary's folder
  std::chrono::nanoseconds executor_shutdown_grace_period = 5s;
  std::chrono::nanoseconds registration_backoff_factor = 1s;
  std::chrono::nanoseconds status_update_retry_interval = 10s;
  std::chrono::nanoseconds executor_registration_timeout = 1min;
  std::string recover = "reconnect";  // reconnect | cleanup
  std::chrono::nanoseconds recovery_timeout = 15min;
  std::chrono::nanoseconds executor_reregistration_timeout = 2s;
  std::string logging_level = "info";
  // Fetcher (src/agent/fetcher.h).
  std::string frameworks_home;                       // prefix for relative URIs
  std::string fetcher_cache_dir = "/tmp/plateau/fetch";
  std::string fetcher_cache_size = "2GB";            // bytes, e.g. 512MB
  uint64_t fetcher_cache_bytes = 0;                  // fetcher_cache_size parsed by validateFlags
  std::chrono::nanoseconds fetcher_stall_timeout = 1min;
  // GPUs (src/agent/gpu/gpu.h).
  std::string nvidia_gpu_devices;  // "0,1": the GPU indices to offer (with --resources=gpus:N)
  std::string gpu_device_source;   // hidden: a program that plays nvidia-smi (tests)
  // Also registered by the containerizer work; read here only to see "gpu/nvidia".
  std::string isolation = "posix/cpu,posix/mem";
};

void registerFlags(flags::FlagSet& set, Flags& flags);
Status validateFlags(Flags& flags);

}  // namespace plateau::agent
