// plateau-agent: parse flags, detect resources, run the loop.

#include <unistd.h>

#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containerizer/cgroups.h"
#include "agent/containerizer/linux_containerizer.h"
#include "agent/detect.h"
#include "agent/flags.h"
#include "agent/gpu/gpu.h"
#include "agent/nested_containers.h"
#include "auth/authenticator.h"
#include "common/fault_domain.h"
#include "common/logging.h"
#include "common/process.h"
#include "common/resources_proto.h"
#include "common/uuid.h"
#include "common/version.h"
#include "http/server.h"
#include "http/streamed_body.h"
#include "http/tls_flags.h"
#include "zookeeper/detector.h"

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

// What this machine offers: its resources (GPUs found added), the GPUs to manage, and the
// AgentInfo it registers with; its --work_dir made.
struct Machine {
  plateau::Resources resources;
  std::vector<plateau::agent::gpu::Device> gpus;
  mesos::v1::AgentInfo info;
};

plateau::Result<Machine> describeMachine(const plateau::agent::Flags& flags) {
  using namespace plateau;
  auto resources = agent::agentResources(flags.resources, flags.work_dir);
  if (!resources) {
    return std::unexpected(resources.error());
  }
  std::optional<double> given_gpus;
  if (resources->scalar("gpus") > 0) {
    given_gpus = resources->scalar("gpus");
  }
  auto gpus = agent::gpu::resolve(flags.isolation, flags.nvidia_gpu_devices, given_gpus,
                                  flags.gpu_device_source);
  if (!gpus) {
    return std::unexpected(gpus.error());
  }
  if (gpus->detected && !gpus->devices.empty()) {
    *resources += Resource::makeScalar("gpus", static_cast<double>(gpus->devices.size()));
  }
  *resources = agent::withDefaultRole(*resources, flags.default_role);
  auto attributes = agent::parseAttributes(flags.attributes);
  if (!attributes) {
    return std::unexpected(attributes.error());
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.work_dir, ec);
  if (ec) {
    return invalidArgument(
        fmt::format("cannot create '--work_dir' {}: {}", flags.work_dir, ec.message()));
  }
  Machine machine{.resources = *resources, .gpus = gpus->devices, .info = {}};
  machine.info.set_hostname(flags.hostname.empty() ? flags.address.advertisedIp(flags.ip)
                                                   : flags.hostname);
  resourcesToProto(*resources, machine.info.mutable_resources());
  *machine.info.mutable_attributes() = *attributes;
  if (auto domain = parseDomainFlag(flags.domain); domain && domain->has_fault_domain()) {
    *machine.info.mutable_domain() = *domain;  // validated with the flags
  }
  return machine;
}

// The master: a fixed address, or the leader ZooKeeper names.
struct MasterAddress {
  std::optional<plateau::http::Endpoint> fixed;
  std::optional<plateau::zk::Url> zk;
};

plateau::Result<MasterAddress> masterAddress(const std::string& flag) {
  using namespace plateau;
  if (flag.starts_with("zk://")) {
    auto url = zk::Url::parse(flag);
    if (!url) {
      return invalidArgument(
          fmt::format("Invalid value for flag '--master': {}", url.error().message()));
    }
    return MasterAddress{.fixed = std::nullopt, .zk = *url};
  }
  auto master = http::Endpoint::parse(flag, 5050);
  if (!master) {
    return invalidArgument(
        fmt::format("Invalid value for flag '--master': {}", master.error().message()));
  }
  return MasterAddress{.fixed = *master, .zk = std::nullopt};
}

// --agent_subsystems: the agent moves itself into <cgroups_root>/slave of each subsystem named,
// as Mesos's agent does before it starts anything (what it starts later begins there too).
plateau::Status joinAgentCgroups(const plateau::agent::Flags& flags, spdlog::logger& log) {
  using namespace plateau;
  namespace cgroups = agent::cgroups;
  std::vector<std::string> subsystems = cgroups::parseSubsystems(flags.agent_subsystems);
  if (subsystems.empty()) {
    return {};
  }
  auto layout = cgroups::detect(flags.cgroups_hierarchy);
  if (!layout) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Flag '--agent_subsystems' needs cgroups: {}", layout.error().message())};
  }
  auto others = cgroups::joinAgentCgroup(*layout, flags.cgroups_root, subsystems, ::getpid());
  if (!others) {
    return others.error();
  }
  if (!others->empty()) {
    // An earlier agent still running, or something it started: accounted to this agent now.
    log.warn("agent_cgroup_shared cgroup={}/{} pids={}", flags.cgroups_root, cgroups::kAgentCgroup,
             fmt::join(*others, ","));
  }
  log.info("agent_cgroup_joined cgroup={}/{} subsystems={}", flags.cgroups_root,
           cgroups::kAgentCgroup, fmt::join(subsystems, ","));
  return {};
}

// Serves until SIGTERM or SIGINT: the containerizer, the master link, the HTTP server, the
// master's detection. 1 when one of them cannot start.
int run(const plateau::agent::Flags& flags, const plateau::flags::FlagSet& set,
        const Machine& machine, const MasterAddress& master, const std::string& executor_path,
        std::shared_ptr<spdlog::logger> log) {
  using namespace plateau;
  std::signal(SIGPIPE, SIG_IGN);
  if (Status s = joinAgentCgroups(flags, *log); !s.isOk()) {
    log->error("agent_start_failed error=\"{}\"", s.message());
    return 1;
  }
  EventLoop loop;
  agent::ContainerizerOptions options = agent::containerizerOptions(flags);
  if (flags.executor_zygote) {
    options.executor_zygote = executor_path;
  }
  auto containerizer = agent::LinuxContainerizer::create(loop, loop.clock(), options, log);
  if (!containerizer) {
    log->error("agent_start_failed error=\"{}\"", containerizer.error().message());
    return 1;
  }
  agent::HttpMasterTransport transport(
      loop, flags.master_credential ? auth::basicAuthorization(*flags.master_credential) : "");
  agent::Agent agent(agent::Environment{.timers = loop,
                                        .clock = loop.clock(),
                                        .master = transport,
                                        .containerizer = std::move(*containerizer)},
                     flags, set.values(), machine.resources, machine.info, executor_path, log,
                     osRandomSeed());
  agent.setGpus(machine.gpus);
  auto server_options = http::serverOptionsFromEnvironment();
  if (!server_options) {
    log->error("agent_start_failed error=\"{}\"", server_options.error().message());
    return 1;
  }
  http::Server server(
      loop,
      http::StreamingHandler{
          .streams = &agent::NestedContainers::streamsBody,
          .handle = http::guarded(flags.address.firewall(),
                                  [&agent](http::Request& request, http::Responder responder) {
                                    agent.handle(request, std::move(responder));
                                  })},
      *server_options);
  auto port = server.listen(flags.ip, flags.port);
  if (!port) {
    log->error("agent_start_failed error=\"{}\"", port.error().message());
    return 1;
  }
  loop.onSignal(SIGCHLD, [&agent](int) {
    for (auto [pid, status] : reapChildren()) {
      agent.childExited(pid, status);
    }
  });
  if (Status s = agent.start(*port, master.fixed); !s.isOk()) {
    log->error("agent_start_failed error=\"{}\"", s.message());
    return 1;
  }
  std::unique_ptr<zk::LeaderDetector> detector;
  if (master.zk) {
    detector = std::make_unique<zk::LeaderDetector>(
        loop, *master.zk,
        std::chrono::duration_cast<std::chrono::milliseconds>(flags.zk_session_timeout),
        [&agent](std::optional<std::string> leader) { agent.onLeader(std::move(leader)); });
    detector->start();
  }
  loop.onSignal(SIGTERM, [&](int) { loop.stop(); });
  loop.onSignal(SIGINT, [&](int) { loop.stop(); });
  loop.run();
  agent.shutdown();
  log->info("agent_stopped");
  return 0;
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
  http::useTlsFlags(flags.tls.given(set));
  if (flags.version) {
    fmt::print("plateau-agent {}\n", kVersion);
    return 0;
  }
  if (Status s = agent::validateFlags(flags); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  if (Status s = flags.address.resolve(set, &flags.ip); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  auto log = makeLogger("agent", flags.logging_level, flags.log_dir, flags.quiet);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  flags::reportFlagWarnings(set, [&](const std::string& line) { (*log)->warn("{}", line); });
  auto machine = describeMachine(flags);
  if (!machine) {
    fmt::print(stderr, "Error: {}\n", machine.error().message());
    return 1;
  }
  std::string executor_path = executorPath(flags.launcher_dir);

  auto master = masterAddress(flags.master);
  if (!master) {
    fmt::print(stderr, "Error: {}\n", master.error().message());
    return 1;
  }

  return run(flags, set, *machine, *master, executor_path, *log);
}
