// What happens between a new executor's sandbox and its process: GPUs are assigned, then the
// URIs of its CommandInfo are fetched by a plateau-fetcher child process. The loop never waits:
// the fetcher's exit arrives through SIGCHLD (onChildExit -> fetchExited), and only then does
// startExecutorProcess() run. A fetch that fails fails the executor's tasks with
// REASON_CONTAINER_LAUNCH_FAILED and a message naming the URI.

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containers.h"
#include "agent/fetcher.h"
#include "agent/gpu/gpu.h"
#include "common/process.h"
#include "common/task_state.h"

namespace plateau::agent {

namespace fs = std::filesystem;

void Agent::initFetcherCache() {
  fetch_cache_ =
      std::make_unique<fetcher::Cache>(flags_.fetcher_cache_dir, flags_.fetcher_cache_bytes);
  // The cache does not outlive the agent (as in Mesos): what an earlier run left goes.
  std::error_code ec;
  for (fs::directory_iterator it(flags_.fetcher_cache_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().filename().string().starts_with("plateau-cache-")) {
      fs::remove(it->path(), ec);
    }
  }
}

uint64_t Agent::fetcherCacheUsed() const { return fetch_cache_ ? fetch_cache_->size() : 0; }

void Agent::failLaunch(Executor& executor, const std::string& why) {
  const std::string fw_id = executor.frameworkId();
  const std::string ex_id = executor.id();
  std::string message = fmt::format("Failed to launch container: {}", why);
  log_->error("container_launch_failed framework_id={} executor_id={} error=\"{}\"", fw_id, ex_id,
              why);
  for (const auto& task_id : book_.failUnfinished(executor)) {
    statusUpdate(
        fw_id, agentStatus(task_id, v1::TASK_FAILED, v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                           message, ex_id));
  }
  executorTerminated(fw_id, ex_id, message, std::nullopt);
}

namespace {

// The plan's items, one per URI of the command, before any cache decision. The error names
// the URI that cannot be fetched.
std::expected<std::vector<fetcher::Item>, std::string> fetchItems(
    const v1::CommandInfo& command, const std::string& frameworks_home) {
  std::vector<fetcher::Item> items;
  for (const auto& uri : command.uris()) {
    auto source = fetcher::resolveUri(uri.value(), frameworks_home);
    if (!source) {
      return std::unexpected(
          fmt::format("Failed to fetch '{}': {}", uri.value(), source.error().message()));
    }
    fetcher::Item item;
    item.uri = uri.value();
    item.source = *source;
    item.output_file =
        uri.has_output_file() ? uri.output_file() : fetcher::uriBasename(uri.value());
    item.executable = uri.executable();
    item.extract = uri.extract();
    if (item.output_file.empty() || item.output_file == "/" || item.output_file == "..") {
      return std::unexpected(
          fmt::format("Failed to fetch '{}': no file name to save it as (set "
                      "'output_file')",
                      uri.value()));
    }
    items.push_back(std::move(item));
  }
  return items;
}

bool writePlanFile(const fetcher::Plan& plan, const std::string& file) {
  std::ofstream out(file, std::ios::trunc);
  out << fetcher::encodePlan(plan);
  out.close();
  return static_cast<bool>(out);
}

// plateau-fetcher (beside plateau-executor) run on the plan, in the sandbox, writing to the
// sandbox's stdout and stderr.
LaunchSpec fetcherSpec(const std::string& executor_path, const std::string& plan_file,
                       const std::string& sandbox) {
  LaunchSpec spec;
  spec.path = (fs::path(executor_path).parent_path() / "plateau-fetcher").string();
  spec.argv = {"plateau-fetcher", plan_file};
  spec.env = currentEnvironment();
  spec.working_dir = sandbox;
  spec.stdout_path = (fs::path(sandbox) / "stdout").string();
  spec.stderr_path = (fs::path(sandbox) / "stderr").string();
  return spec;
}

}  // namespace

void Agent::startFetch(Executor& executor) {
  const v1::CommandInfo& command = executor.info().command();
  const std::string fw_id = executor.frameworkId();
  const std::string ex_id = executor.id();
  const std::string user = executorUser(*book_.framework(fw_id), executor);

  auto fail = [&](const std::string& why) {
    metrics_.fetches_failed++;
    failLaunch(executor, why);
  };
  fs::path scratch = fs::path(flags_.work_dir) / "fetcher";
  std::error_code ec;
  fs::create_directories(scratch, ec);
  FetchRun run{fw_id,
               ex_id,
               (scratch / (executor.containerId() + ".plan")).string(),
               (scratch / (executor.containerId() + ".error")).string(),
               {}};
  auto items = fetchItems(command, flags_.frameworks_home);
  if (!items) {
    return fail(items.error());
  }
  fetcher::Plan plan;
  plan.sandbox = executor.directory();
  plan.error_file = run.error_file;
  plan.stall_timeout = flags_.fetcher_stall_timeout;
  plan.items = std::move(*items);
  // Cache references are taken only once nothing can fail before the fetcher starts.
  acquireCacheEntries(command, user, plan, run);
  if (!writePlanFile(plan, run.plan_file)) {
    releaseCacheEntries(run);
    return fail(fmt::format("Failed to fetch: cannot write the fetch plan '{}'", run.plan_file));
  }
  fs::remove(run.error_file, ec);
  auto pid = launchProcess(fetcherSpec(executor_path_, run.plan_file, executor.directory()));
  if (!pid) {
    releaseCacheEntries(run);
    return fail(fmt::format("Failed to start the fetcher: {}", pid.error().message()));
  }
  channel(executor).fetcher_pid = *pid;
  run.started = clock_.now();
  log_->info("fetch_started framework_id={} executor_id={} uris={} pid={}", fw_id, ex_id,
             plan.items.size(), *pid);
  fetches_.emplace(*pid, std::move(run));
}

void Agent::acquireCacheEntries(const v1::CommandInfo& command, const std::string& user,
                                fetcher::Plan& plan, FetchRun& run) {
  for (size_t i = 0; i < plan.items.size(); i++) {
    auto& item = plan.items[i];
    const char* how = "direct";
    if (command.uris(static_cast<int>(i)).cache()) {
      std::string key = fetcher::Cache::key(user, item.uri);
      auto lookup = fetch_cache_->acquire(key, fs::path(item.output_file).filename().string());
      item.action = lookup.action;
      item.cache_file = lookup.file;
      if (lookup.action != fetcher::Item::Action::kDirect) {
        run.cache_entries.emplace_back(key, lookup.file);
      }
      how = lookup.action == fetcher::Item::Action::kFromCache          ? "cache_hit"
            : lookup.action == fetcher::Item::Action::kDownloadAndCache ? "cache_miss"
                                                                        : "cache_busy_direct";
    }
    log_->info(
        "fetch_uri framework_id={} executor_id={} uri=\"{}\" output_file=\"{}\" "
        "action={} extract={} executable={}",
        run.framework_id, run.executor_id, item.uri, item.output_file, how, item.extract,
        item.executable);
  }
}

void Agent::releaseCacheEntries(const FetchRun& run) {
  std::error_code ec;
  for (const auto& [key, file] : run.cache_entries) {
    for (const auto& doomed : fetch_cache_->release(key, false, 0)) {
      fs::remove(doomed, ec);
    }
  }
}

void Agent::stopFetch(Executor& executor) {
  if (pid_t fetcher = channel(executor).fetcher_pid; fetcher > 0) {
    log_->info("fetch_cancelled framework_id={} executor_id={}", executor.frameworkId(),
               executor.id());
    signalTree(fetcher, SIGKILL);
  }
}

void Agent::fetchExited(pid_t pid, int status) {
  auto it = fetches_.find(pid);
  if (it == fetches_.end()) {
    return;
  }
  FetchRun run = std::move(it->second);
  fetches_.erase(it);
  std::error_code ec;
  std::string error;
  {
    std::ifstream in(run.error_file);
    std::stringstream text;
    text << in.rdbuf();
    error = text.str();
  }
  fs::remove(run.plan_file, ec);
  fs::remove(run.error_file, ec);
  for (const auto& [key, file] : run.cache_entries) {
    bool filled = fs::is_regular_file(file, ec);
    uint64_t size = filled ? fs::file_size(file, ec) : 0;
    for (const auto& doomed : fetch_cache_->release(key, filled, ec ? 0 : size)) {
      log_->info("fetcher_cache_evicted file={}", doomed);
      fs::remove(doomed, ec);
    }
  }
  Executor* executor = book_.find(run.framework_id, run.executor_id);
  if (executor == nullptr || channel(*executor).fetcher_pid != pid) {
    return;
  }
  channel(*executor).fetcher_pid = 0;
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  (ok ? metrics_.fetches_succeeded : metrics_.fetches_failed)++;
  auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - run.started);
  log_->info("fetch_finished framework_id={} executor_id={} ok={} elapsed_ms={:.1f}{}",
             run.framework_id, run.executor_id, ok, elapsed.count() / 1000.0,
             ok ? "" : fmt::format(" error=\"{}\"", error));
  if (executor->state() == ExecutorState::kTerminating) {
    return executorTerminated(run.framework_id, run.executor_id,
                              "Executor shut down while its URIs were being fetched", std::nullopt);
  }
  if (!ok) {
    return failLaunch(
        *executor, error.empty() ? fmt::format("Fetcher {}", describeWaitStatus(status)) : error);
  }
  startExecutorProcess(*executor);
}

// ---- GPUs ----

void Agent::setGpus(std::vector<gpu::Device> devices) {
  gpus_ = std::make_unique<gpu::Allocator>(std::move(devices));
  // Devices cgroups left by an agent that was killed: rmdir removes only empty ones, so those
  // of executors still running (recovered later) stay.
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/sys/fs/cgroup/devices/plateau", ec)) {
    ::rmdir(entry.path().c_str());
  }
}

Status Agent::assignGpus(Executor& executor) {
  if (!gpus_ || gpus_->total() == 0) {
    return {};
  }
  double wanted = 0;
  for (const auto& r : executor.info().resources()) {
    if (r.name() == "gpus") {
      wanted += r.scalar().value();
    }
  }
  for (const auto& [task_id, task] : executor.queuedTasks()) {
    for (const auto& r : task.resources()) {
      if (r.name() == "gpus") {
        wanted += r.scalar().value();
      }
    }
  }
  if (wanted <= 0) {
    return {};
  }
  auto held = gpus_->allocate(executor.containerId(), static_cast<size_t>(wanted + 0.5));
  if (!held) {
    return held.error();
  }
  std::string indices;
  for (const auto& d : *held) {
    indices += (indices.empty() ? "" : ",") + std::to_string(d.index);
  }
  log_->info("gpus_assigned framework_id={} executor_id={} container_id={} gpus={}",
             executor.frameworkId(), executor.id(), executor.containerId(), indices);
  return {};
}

void Agent::isolateGpus(const Executor& executor) {
  if (!gpus_ || gpus_->total() == 0 || executor.pid() <= 0) {
    return;
  }
  std::set<unsigned> allowed;
  std::set<unsigned> all;
  for (const auto& device : gpus_->devices()) {
    all.insert(device.minor);
  }
  for (const auto& device : gpus_->held(executor.containerId())) {
    allowed.insert(device.minor);
  }
  auto dir = gpu::isolate(executor.pid(), executor.containerId(), allowed, all);
  if (dir) {
    log_->info("gpu_devices_confined container_id={} cgroup={}", executor.containerId(), *dir);
  } else if (!gpu_isolation_warned_) {
    gpu_isolation_warned_ = true;
    log_->warn(
        "gpu_devices_not_confined error=\"{}\" (CUDA_VISIBLE_DEVICES still names each "
        "container's GPUs)",
        dir.error().message());
  }
}

void Agent::releaseGpus(const Executor& executor) {
  if (gpus_) {
    if (gpus_->total() > 0) {
      std::error_code ec;
      std::filesystem::remove(
          std::filesystem::path("/sys/fs/cgroup/devices/plateau") / executor.containerId(), ec);
    }
    gpus_->release(executor.containerId());
  }
}

void Agent::recoverGpus(const Executor& executor) {
  if (gpus_ && gpus_->total() > 0 && executor.pid() > 0) {
    gpus_->claim(executor.containerId(), gpu::visibleDevicesOf(executor.pid()));
  }
}

std::vector<std::string> Agent::gpuEnvironment(const Executor& executor) const {
  if (!gpus_ || gpus_->total() == 0) {
    return {};
  }
  // A container without GPUs sees none (rather than all of the machine's).
  return gpu::environment(gpus_->held(executor.containerId()));
}

}  // namespace plateau::agent
