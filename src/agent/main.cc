// plateau-agent: parse flags, detect resources, run the loop.

#include <unistd.h>

#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containerizer/linux_containerizer.h"
#include "agent/detect.h"
#include "agent/flags.h"
#include "agent/gpu/gpu.h"
#include "common/logging.h"
#include "common/resources_proto.h"
#include "common/uuid.h"

namespace {

// plateau-executor in Mesos's --launcher_dir; by default the installed layout
// (<prefix>/bin/plateau-agent beside <prefix>/libexec/plateau/plateau-executor), else this
// binary's own folder (a build tree).
std::string executorPath(const std::string& launcher_dir_flag) {
  std::string launcher_dir = launcher_dir_flag;
  if (launcher_dir.empty()) {
    std::error_code ec;
    auto self = std::filesystem::canonical("/proc/self/exe", ec).parent_path();
    auto installed = self.parent_path() / "libexec" / "plateau";
    launcher_dir = std::filesystem::exists(installed / "plateau-executor", ec) ? installed.string()
                                                                               : self.string();
  }
  return launcher_dir + "/plateau-executor";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace plateau;
  agent::Flags flags;
  flags::FlagSet set("plateau-agent", "Plateau agent: offers this machine's resources, runs tasks");
  agent::registerFlags(set, flags);
  Status parsed = set.parse(argc, argv);
  if (int code = flags::exitCodeFor(parsed, set); code >= 0) {
    return code;
  }
  if (Status s = agent::validateFlags(flags); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  auto log = makeLogger("agent", flags.logging_level, flags.log_dir, flags.quiet);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  auto resources = agent::agentResources(flags.resources, flags.work_dir);
  if (!resources) {
    fmt::print(stderr, "Error: {}\n", resources.error().message());
    return 1;
  }
  std::optional<double> given_gpus;
  if (resources->scalar("gpus") > 0) {
    given_gpus = resources->scalar("gpus");
  }
  auto gpus = agent::gpu::resolve(flags.isolation, flags.nvidia_gpu_devices, given_gpus,
                                  flags.gpu_device_source);
  if (!gpus) {
    fmt::print(stderr, "Error: {}\n", gpus.error().message());
    return 1;
  }
  if (gpus->detected && !gpus->devices.empty()) {
    *resources += Resource::makeScalar("gpus", static_cast<double>(gpus->devices.size()));
  }
  auto attributes = agent::parseAttributes(flags.attributes);
  if (!attributes) {
    fmt::print(stderr, "Error: {}\n", attributes.error().message());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.work_dir, ec);
  if (ec) {
    fmt::print(stderr, "Error: cannot create '--work_dir' {}: {}\n", flags.work_dir, ec.message());
    return 1;
  }
  std::string executor_path = executorPath(flags.launcher_dir);

  mesos::v1::AgentInfo info;
  info.set_hostname(flags.hostname.empty() ? flags.ip : flags.hostname);
  resourcesToProto(*resources, info.mutable_resources());
  *info.mutable_attributes() = *attributes;

  std::signal(SIGPIPE, SIG_IGN);
  EventLoop loop;
  auto containerizer = agent::LinuxContainerizer::create(loop, loop.clock(),
                                                         agent::containerizerOptions(flags), *log);
  if (!containerizer) {
    (*log)->error("agent_start_failed error=\"{}\"", containerizer.error().message());
    return 1;
  }
  agent::Agent agent(loop, flags, set.values(), *resources, info, executor_path, *log,
                     osRandomSeed(), std::move(*containerizer));
  agent.setGpus(gpus->devices);
  auto port = agent.start();
  if (!port) {
    (*log)->error("agent_start_failed error=\"{}\"", port.error().message());
    return 1;
  }
  loop.onSignal(SIGTERM, [&](int) { loop.stop(); });
  loop.onSignal(SIGINT, [&](int) { loop.stop(); });
  loop.run();
  agent.shutdown();
  (*log)->info("agent_stopped");
  return 0;
}
