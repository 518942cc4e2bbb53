#pragma once

// The agent: registers with the master, launches executors in sandboxes, serves the v1
// executor API, and relays status updates until the scheduler acknowledges them.
// Every method runs on the loop thread.

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <mesos/v1/executor/executor.pb.h>
#include <mesos/v1/mesos.pb.h>
#include <plateau/agent.pb.h>
#include <spdlog/logger.h>

#include "agent/checkpoint.h"
#include "agent/executor_book.h"
#include "agent/flags.h"
#include "agent/master_link.h"
#include "agent/metrics.h"
#include "agent/nested_containers.h"
#include "agent/oversubscription.h"
#include "agent/qos_controller.h"
#include "agent/standalone_checkpoint.h"
#include "agent/status_update_manager.h"
#include "agent/volume_gids.h"
#include "auth/authenticator.h"
#include "auth/view_filter.h"
#include "common/json.h"
#include "common/process.h"
#include "common/recordio.h"
#include "common/resources.h"
#include "common/uuid.h"
#include "http/client.h"
#include "http/client_rate_limiter.h"
#include "http/content.h"
#include "http/server.h"
#include "http/stream_accept.h"
#include "runtime/logging_level.h"
#include "runtime/timers.h"

namespace mesos::v1::agent {
class Call;
class Response;
}  // namespace mesos::v1::agent

namespace plateau::agent {

class Containerizer;
class SandboxGc;
class TreeRemover;
struct ContainerConfig;
struct Limitation;

namespace v1 = mesos::v1;
namespace executor = mesos::v1::executor;
namespace internal = plateau::internal;
namespace agent_api = mesos::v1::agent;

namespace fetcher {
class Cache;
struct Plan;
}  // namespace fetcher
namespace gpu {
class Allocator;
struct Device;
}  // namespace gpu

}  // namespace plateau::agent
namespace plateau::files {
struct Attachment;  // files/files.h
}  // namespace plateau::files
namespace plateau::agent {
using files::Attachment;

// What the agent holds for an executor beside its record in the book: its connection and
// timers, and the fetcher filling its sandbox (the process starts after it).
namespace images {
struct ContainerImages;
struct Provisioned;
struct VolumeMount;
class ImageRuntime;
struct ImageGcConfig;
}  // namespace images

struct ExecutorChannel {
  std::shared_ptr<http::Stream> stream;
  http::ContentType content = http::ContentType::kJson;
  Timers::TimerId kill_timer = 0;
  Timers::TimerId registration_timer = 0;
  pid_t fetcher_pid = 0;
  std::shared_ptr<const images::Provisioned> image;  // the container's image (images.cc)
  std::vector<gid_t> volume_gids;  // its volumes' gids, its supplementary groups (volume_gids.h)
  // The rootfs of its group tasks that have images: task id → nested container id, removed
  // when the task ends (images_groups.cc).
  std::map<std::string, std::string> task_rootfs;
};

// A running plateau-fetcher (fetch_launch.cc).
struct FetchRun {
  std::string framework_id;
  std::string executor_id;
  std::string plan_file;
  std::string error_file;
  std::vector<std::pair<std::string, std::string>> cache_entries;  // (cache key, file)
  std::chrono::steady_clock::time_point started;
};

// What the agent needs from the world, chosen at wiring time (main.cc) or by a test (virtual
// time, a fake transport and containerizer: tests/unit/agent/virtual_agent.h).
struct Environment {
  Timers& timers;                                // every wait and deferred step
  const Clock& clock;                            // every read of time
  MasterLink::Transport& master;                 // how calls and the event stream reach the master
  std::unique_ptr<Containerizer> containerizer;  // runs every executor's container
  std::unique_ptr<LoadSource> load = nullptr;    // the load averages (null: --load_average_file)
};

class Agent {
 public:
  Agent(Environment env, Flags flags, std::vector<std::pair<std::string, std::string>> flag_values,
        Resources resources, v1::AgentInfo info, std::string executor_path,
        std::shared_ptr<spdlog::logger> log, uint64_t seed);
  ~Agent();

  // Starts serving on `port` (bound by the caller's HTTP server, whose requests go to handle()):
  // recovers what --work_dir holds, then registers with `master`, or with the leader that
  // onLeader() reports when the master is found through ZooKeeper (nullopt).
  // FailedPrecondition when recovery fails (an unreadable checkpoint with --strict): the
  // agent must not serve.
  Status start(uint16_t port, std::optional<http::Endpoint> master);
  // Answers one HTTP request (on the loop thread).
  void handle(http::Request& request, http::Responder responder) {
    guardRequest(request, std::move(responder));
  }
  // The leading master as the ZooKeeper detector reports it (its MasterInfo as JSON; nullopt:
  // none now).
  void onLeader(std::optional<std::string> master_info_json);
  // A child process ended (main.cc reaps them on SIGCHLD): an executor's or a fetcher's.
  void childExited(pid_t pid, int status) { onChildExit(pid, status); }
  // Kills every executor (used at shutdown).
  void shutdown();
  // The GPUs this agent manages (before start()); none by default.
  void setGpus(std::vector<gpu::Device> devices);
  // Leaves out of a GET_CONTAINERS answer the standalone containers and those nested in them
  // (the entries without an executor_id) when `view` may not see them
  // (view_standalone_containers); authorization.cc.
  static void hideStandaloneContainers(const auth::ViewFilter& view, agent_api::Response* listed);

 private:
  void route(http::Request& request, http::Responder responder);

  // security.cc: authentication by realm (Mesos's agent realms) and executor tokens.
  static auth::Realm realmOf(const http::Request& request);
  void buildGuard();
  // Authenticates (and holds an executor's token to its own calls), then route()s.
  void guardRequest(http::Request& request, http::Responder responder);
  // authorization.cc: --acls on the agent's endpoints (403 naming the ACL; nullopt: allowed).
  std::optional<http::Response> authorizeEndpoint(const http::Request& request) const;
  // 429 with Retry-After when the request's client (principal, else address) is past
  // --client_request_qps; executors are never limited (docs/security.md, "Per-client limits").
  std::optional<http::Response> limitClient(const http::Request& request, auth::Realm realm,
                                            const auth::Principal& principal);
  std::optional<std::string> refuseEndpoint(const http::Request& request) const;
  // What `principal` may see of the agent's state (auth/view_filter.h).
  auth::ViewFilter viewFilter(const std::string& principal) const;
  // The nested- and standalone-container ACLs and prune_images on an operator call (nullopt:
  // allowed), checked at the call's entry. A request with an executor's token
  // (caller_container_) may act on its own container's nested containers only, as Mesos's
  // implicit rule (never on a standalone container).
  std::optional<std::string> refuseOperatorCall(const agent_api::Call& call,
                                                const std::string& principal) const;
  // The user whose sandbox `path` (virtual or real) is in: its executor's command's, else its
  // framework's; nullopt outside every sandbox.
  std::optional<std::string> sandboxUser(const std::string& path) const;
  // The executor's MESOS_EXECUTOR_AUTHENTICATION_TOKEN ("" without --jwt_secret_key): an HS256
  // JWT whose claims name the framework (fid), executor (eid) and container (cid).
  std::string executorToken(const std::string& framework_id, const std::string& executor_id,
                            const std::string& container_id) const;

  // oversubscription_agent.cc: the estimator's reporter, and the revocable resources that the
  // executors and tasks hold.
  std::unique_ptr<OversubscriptionReporter> makeOversubscription();
  Resources revocableInUse() const;
  // qos_agent.cc: the QoS controller's corrector, the executors it looks at, and its KILL
  // corrections (the container destroyed, its tasks LOST or GONE, REASON_CONTAINER_PREEMPTED).
  std::unique_ptr<QosCorrector> makeQos();
  std::vector<ExecutorUsage> executorUsage() const;
  void preemptExecutor(const QosKill& kill);

  // master_events.cc: what REGISTER reports, and the master's events.
  internal::AgentCall registration() const;
  void registered(const internal::AgentEvent::Registered& registered);
  void handleMasterEvent(const internal::AgentEvent& event);
  void frameworkMessage(const internal::AgentEvent::FrameworkMessage& message);
  // SHUTDOWN from the master: every framework goes, and the agent forgets its id.
  void shutdownByMaster(const std::string& message);
  void runTask(const internal::AgentEvent::RunTask& run);
  void killTask(const internal::AgentEvent::KillTask& kill);
  void shutdownFramework(const std::string& framework_id);

  // task_groups.cc
  void runTaskGroup(const internal::AgentEvent::RunTaskGroup& run);
  v1::ExecutorInfo groupExecutorInfo(const internal::AgentEvent::RunTaskGroup& run) const;
  void launchGroupOnExecutor(Executor& executor, const v1::TaskGroupInfo& group);
  void sendGroupToExecutor(Executor& executor, const v1::TaskGroupInfo& group);
  // images_groups.cc: provisions the images of a group's tasks, then sends the group; false
  // when none of its tasks names an image (send it at once).
  bool provisionGroupImages(Executor& executor, const v1::TaskGroupInfo& group);
  // Gives a group's task its provisioned image (or the error) as PLATEAU_* variables.
  // Unmounts and removes the rootfs of a group task of `container_id` (when it has one).
  void releaseTaskImage(const std::string& container_id, const std::string& task_id);
  void handImage(const Executor& executor, v1::TaskInfo& task,
                 const Result<images::Provisioned>& result);

  // executors.cc
  void launchExecutor(Executor& executor);
  void executorApi(http::Request& request, http::Responder responder);
  void subscribeExecutor(const executor::Call& call, http::ContentType accept,
                         http::Responder responder);
  void sendToExecutor(Executor& executor, const executor::Event& event);
  void launchOnExecutor(Executor& executor, const v1::TaskInfo& task);
  void shutdownExecutor(Executor& executor);
  void onChildExit(pid_t pid, int status);
  void executorTerminated(const std::string& framework_id, const std::string& executor_id,
                          const std::string& why, std::optional<int> status);
  // The executor's channel (made on first use); dropped when it terminates.
  ExecutorChannel& channel(const Executor& executor);
  // Kills the executor's container if it has not (re)subscribed when the timeout fires; its
  // unfinished tasks then fail with REASON_EXECUTOR_(RE)REGISTRATION_TIMEOUT.
  void armRegistrationTimer(Executor& executor, std::chrono::nanoseconds timeout,
                            bool reregistration);
  v1::ExecutorInfo commandExecutorInfo(const v1::TaskInfo& task, const std::string& framework_id);

  // containers.cc: the agent's side of the containerizer (the rules are in agent/containers.h)
  void recoverContainers();
  void containerLimited(const std::string& container_id, const Limitation& limitation);
  // As applyLimitation()/endContainer() in agent/containers.h, logging a limit found then.
  void applyLimitation(Executor& executor, v1::TaskStatus* status);
  void containerEnded(Executor& executor);
  void logLimitation(const Executor& executor, const Limitation& limitation);
  http::Response monitorStatistics();

  // fetch_launch.cc: fetching URIs and assigning GPUs before the executor process starts.
  void startFetch(Executor& executor);
  // Decides, for each URI asking for the cache, whether it is read from the cache or fills it;
  // the references taken are noted in `run`.
  void acquireCacheEntries(const v1::CommandInfo& command, const std::string& user,
                           fetcher::Plan& plan, FetchRun& run);
  // Drops the references of a run that never started (nothing was filled).
  void releaseCacheEntries(const FetchRun& run);
  void stopFetch(Executor& executor);
  void fetchExited(pid_t pid, int status);
  void failLaunch(Executor& executor, const std::string& why);
  void startExecutorProcess(Executor& executor);
  Status assignGpus(Executor& executor);
  void releaseGpus(const Executor& executor);
  // Confines the launched executor to its GPUs (cgroup v1 devices); logs once where it can't.
  void isolateGpus(const Executor& executor);
  void recoverGpus(const Executor& executor);
  std::vector<std::string> gpuEnvironment(const Executor& executor) const;
  void initFetcherCache();
  // After the sandbox: pulls and provisions the container's image, if any (images.cc).
  void continueLaunch(Executor& executor);

  // images.cc: containers with an image.
  void initImages();
  // Starts provisioning the executor's image, or fails the launch; false when there is none
  // (the launch goes on at once). Once provisioned, continueLaunch() follows.
  bool provisionImage(Executor& executor);
  // The ContainerInfo the executor's container runs with (--default_container_info when it has
  // none); null when none applies.
  const v1::ContainerInfo* launchContainer(const Executor& executor) const;
  // The container's HOST_PATH volumes as mounts, their host paths checked (or made, as
  // --host_path_volume_force_creation allows); none without volume/host_path in --isolation.
  Result<std::vector<images::VolumeMount>> hostPathMounts(const v1::ContainerInfo& container) const;
  // `host_paths` join the provisioned image's volume mounts.
  void startProvisioning(Executor& executor, images::ContainerImages request,
                         std::vector<images::VolumeMount> host_paths);
  // Makes `spec` start inside the executor's image (nothing without one). With an image, the
  // task's `user` is switched to inside it (looked up in the image's /etc/passwd, when
  // --switch_user) and `user` is cleared: the host need not know that user.
  Status enterImage(const Executor& executor, LaunchSpec& spec, std::string& user);
  // A custom executor with image volumes but no image of its own: wraps `spec` (its host
  // launch) in plateau-rootfs, which mounts the volumes in a mount namespace of its own.
  Status enterVolumesOnly(const Executor& executor, const images::Provisioned& image,
                          const std::string& user, LaunchSpec& spec);
  void releaseImage(const std::string& container_id);
  // PRUNE_IMAGES (operator API): answered once the store is pruned.
  void pruneImagesCall(const agent_api::Call& call, http::Responder responder);
  // --image_gc_config: every watch interval, prunes when the store's disk is past the headroom.
  void imageGcTick();
  // The stored images in the agent's state JSON ("images": name, layers, size_bytes).
  void writeImages(json::Writer& w) const;
  uint64_t fetcherCacheUsed() const;

  // recovery.cc: FailedPrecondition when --strict and a checkpoint is unreadable.
  Status recover();
  void recoverExecutor(const v1::FrameworkInfo& framework, const RecoveredExecutor& recovered,
                       std::vector<std::pair<std::string, std::string>>* dead);
  void pollRecoveredExecutors();
  void executorResubscribed(Executor& executor, const executor::Call::Subscribe& subscribe);
  void checkpointed(const Status& status, const std::string& what);
  void maybeRemoveExecutorCheckpoint(const std::string& framework_id,
                                     const std::string& executor_id);

  // status_updates.cc
  void statusUpdate(const std::string& framework_id, v1::TaskStatus status);
  void acknowledge(const internal::AgentEvent::Acknowledge& ack);
  // The StatusUpdateManager's forward hook: one call per update, or, to a master that takes
  // several (Registered.batches), the updates of one loop turn in one call, in their order.
  void forwardUpdate(const std::string& framework_id, const v1::TaskStatus& status,
                     v1::TaskState latest);
  void flushUpdates();
  v1::TaskStatus agentStatus(const std::string& task_id, v1::TaskState state,
                             v1::TaskStatus::Reason reason, const std::string& message,
                             const std::string& executor_id);

  // volume_gids_agent.cc: --volume_gid_range. Reads the checkpoint (at start).
  void initVolumeGids();
  void saveVolumeGids();
  // Frees the gids of the volume at `path` (and below it), checkpointed.
  void releaseVolumeGids(const std::string& path);
  bool runsAsNonRoot(const std::string& user) const;
  // For a container running as a non-root `user`: a gid for each persistent volume of the
  // executor and its queued tasks (the volume given to it on first use), kept in its channel
  // for the launch. FailedPrecondition when the range is exhausted.
  Status giveVolumeGids(const Executor& executor, const std::string& user);
  // The executor's container as launched: containerConfig() with its volumes' gids.
  ContainerConfig launchConfig(const Executor& executor);

  // volumes.cc: checkpointed resources (reservations, persistent volumes) and volume mounts.
  // Replaces the flag-given total with the checkpointed one, if any (called before registering).
  void recoverCheckpointedResources();
  void checkpointResources(const internal::AgentEvent::CheckpointResources& update);
  // The offer operation that came with the total, ended: OPERATION_FINISHED with what it
  // converted, or OPERATION_FAILED with why when `saved` is not ok; a new status uuid.
  v1::Operation operationEnded(const internal::AgentEvent::CheckpointResources& update,
                               const Status& saved);
  // UPDATE_OPERATION_STATUS to the master.
  void reportOperation(const v1::Operation& operation);
  // The framework acknowledged the operation (nullopt: the framework was removed, all of its
  // operations): forgotten, the checkpoint rewritten.
  void forgetOperations(const std::string& framework_id,
                        const std::optional<std::string>& operation_id);
  // Writes the total and the operations kept to the resources checkpoint (atomically).
  Status saveResources(const google::protobuf::RepeatedPtrField<v1::Resource>& total);
  // Where a persistent volume lives: <work_dir>/volumes/roles/<role>/<persistence id>.
  std::string volumePath(const Resource& volume) const;
  // Makes each persistent volume among the task's resources visible at
  // <sandbox>/<container_path>. Fails (with a message) when one cannot be made.
  Status linkVolumes(const Executor& executor, const v1::TaskInfo& task);

  // state_json.cc
  http::Response stateJson(const auth::ViewFilter& view) const;
  http::Response metricsJson() const;
  http::Response flagsJson() const;
  // Every metric of /metrics/snapshot, by Mesos's agent key names.
  std::vector<std::pair<std::string, double>> metricsSnapshot() const;
  // Sets the gauges of metrics_ from the state (a collect hook: before every read).
  void updateMetricGauges();

  // agent_api.cc: POST /api/v1, the v1 agent operator API: a routing table over one handler
  // per call type, each answering in `accept`.
  void operatorApi(http::Request& request, http::Responder responder);
  // nested_api.cc: decodes an operator call as Mesos's agent does (streamed request and answer
  // types included); answers the error (or a RecordIO input stream) itself and returns nullopt.
  std::optional<http::StreamAccept> acceptOperatorCall(http::Request& request,
                                                       agent_api::Call* call,
                                                       http::Responder& responder);
  http::Response answerOperatorCall(const agent_api::Call& call, http::ContentType accept,
                                    const auth::ViewFilter& view);
  http::Response setLoggingLevelCall(const agent_api::Call& call);
  http::Response getStateCall(http::ContentType accept, const auth::ViewFilter& view) const;
  // resource_providers.cc: GET_OPERATIONS, GET_RESOURCE_PROVIDERS and the resource provider
  // config calls, answered as a Mesos agent without resource providers; nullopt for another call.
  std::optional<http::Response> resourceProviderCall(const agent_api::Call& call,
                                                     http::ContentType accept,
                                                     const auth::ViewFilter& view) const;
  // The running executors' containers `view` may see (GET_CONTAINERS), with the nested ones
  // under them (`show_nested`) and the standalone ones (`show_standalone`), and as Mesos's
  // /containers JSON (executors' only).
  agent_api::Response containers(const auth::ViewFilter& view, bool show_nested,
                                 bool show_standalone);
  http::Response containersJson(const auth::ViewFilter& view);
  http::Response getFrameworksCall(http::ContentType accept, const auth::ViewFilter& view) const;
  http::Response getExecutorsCall(http::ContentType accept, const auth::ViewFilter& view) const;
  http::Response getTasksCall(http::ContentType accept, const auth::ViewFilter& view) const;
  http::Response getAgentCall(http::ContentType accept, const auth::ViewFilter& view) const;
  // nested_api.cc: the nested containers of executors' containers (agent/nested_containers.h).
  void initNested();
  // standalone_api.cc: standalone containers, run by the containerizer under
  // plateau-container-launch and checkpointed (agent/standalone_checkpoint.h).
  void initStandalone();
  // Starts a standalone container (in its image once provisioned, when it names one) under
  // plateau-container-launch, and checkpoints it; `done` gets its first process.
  void launchStandalone(const NestedContainers::StandaloneSpec& spec,
                        NestedContainers::Standalone::Launched done);
  Result<pid_t> startStandalone(const NestedContainers::StandaloneSpec& spec,
                                const images::Provisioned* image);
  // Provisions the image of a nested container `key` and answers with how to run `command` in
  // it (through plateau-rootfs, as a standalone container's); standalone_api.cc.
  void prepareNestedImage(const std::string& key, const std::string& sandbox,
                          const mesos::v1::CommandInfo& command,
                          const mesos::v1::ContainerInfo& info, const std::string& user,
                          NestedContainers::Images::Prepared done);
  // Takes over the standalone containers an earlier agent left (adding the running ones to
  // `alive`, the containers the containerizer keeps); with --recover=cleanup, kills them.
  void recoverStandalone(std::vector<ContainerConfig>* alive);
  // Routes the agent operator API's nested-container calls; false when `call` is not one.
  bool nestedCall(const agent_api::Call& call, const http::StreamAccept& accept,
                  http::Responder& responder);

  // sandbox_gc_agent.cc: sandbox garbage collection (agent/sandbox_gc.h; --gc_delay).
  void initSandboxGc();
  // Schedules the sandbox at `path` by the time it last changed (nothing when it is gone).
  void scheduleSandboxGc(const std::string& path);
  // After recovery: the executor runs under --work_dir no live executor owns, and the ended
  // standalone containers' sandboxes.
  void scheduleLeftSandboxes();
  // With --gc_non_executor_container_sandboxes: schedules the sandboxes of standalone
  // containers not running (and unschedules those running again).
  void scheduleEndedStandaloneSandboxes();
  bool standaloneRunning(const std::string& container_id) const;
  // Takes a collected sandbox out of its place at once (a rename into <work_dir>/.sandbox_trash)
  // and removes its files off the loop.
  void collectSandbox(const std::string& path, bool standalone);
  // Every --disk_watch_interval: prunes the sandboxes older than the disk usage allows.
  void diskWatchTick();

  // The sandboxes /files and LIST_FILES/READ_FILE serve: live and completed executors'.
  std::vector<Attachment> sandboxes() const;

  Timers& timers_;
  const Clock& clock_;  // every read of time (runtime/clock.h)
  Flags flags_;
  auth::Guard guard_;                       // the protected realms
  http::ClientRateLimiter client_limiter_;  // --client_request_qps, per principal or address
  // The container id of the executor token of the request being routed ("" for others); set
  // only while guardRequest() routes it (loop thread).
  std::string caller_container_;
  std::vector<std::pair<std::string, std::string>> flag_values_;
  Resources resources_;
  // Offer operations with an id whose terminal status the framework has not acknowledged, by
  // (framework id, operation id): checkpointed with the resources, reported when registering.
  std::map<std::pair<std::string, std::string>, v1::Operation> operations_;
  v1::AgentInfo info_;
  uint16_t bound_port_ = 0;   // where the server listens (info_ holds the advertised port)
  v1::AgentInfo given_info_;  // info_ as the flags gave it (start(), before any checkpoint)
  std::string executor_path_;
  std::shared_ptr<spdlog::logger> log_;
  UuidGenerator uuids_;
  MasterLink master_link_;
  double start_time_ = 0;

  // Frameworks, executors, tasks and what completed.
  ExecutorBook book_{ExecutorBook::Bounds{.completed_executors_per_framework = static_cast<size_t>(
                                              flags_.max_completed_executors_per_framework)}};
  std::unordered_map<std::string, ExecutorChannel> channels_;            // by container id
  std::unordered_map<pid_t, std::pair<std::string, std::string>> pids_;  // -> (fw, executor)
  Checkpoint checkpoint_;
  StandaloneCheckpoint standalone_checkpoint_{flags_.work_dir};
  StatusUpdateManager status_updates_;    // per task, at least once and in order
  bool master_batches_ = false;           // Registered.batches of the current registration
  internal::AgentCall outgoing_updates_;  // forwarded in this loop turn, not yet sent
  Timers::TimerId updates_flush_timer_ = 0;
  std::unique_ptr<Containerizer> containerizer_;
  std::unordered_map<pid_t, std::pair<std::string, std::string>> recovered_pids_;
  Timers::TimerId recovered_poll_timer_ = 0;
  std::unique_ptr<fetcher::Cache> fetch_cache_;
  std::unordered_map<pid_t, FetchRun> fetches_;
  std::unique_ptr<gpu::Allocator> gpus_;
  std::unique_ptr<images::ImageRuntime> images_;     // --image_providers=docker only
  std::unique_ptr<images::ImageGcConfig> image_gc_;  // --image_gc_config only
  std::unique_ptr<VolumeGidAllocator> volume_gids_;  // --volume_gid_range only
  bool image_gc_running_ = false;
  bool gpu_isolation_warned_ = false;
  LoggingLevel logging_level_;  // Mesos's verbosity; above 0 the log shows debug lines
  uint64_t executors_launched_ = 0;
  Metrics metrics_;
  std::unique_ptr<NestedContainers> nested_;  // after every field its callbacks read
  std::unique_ptr<SandboxGc> sandbox_gc_;     // made by start(); its remover reads nested_
  Timers::TimerId disk_watch_timer_ = 0;
  // --resource_estimator (after master_link_ and book_, which its hooks read).
  std::unique_ptr<OversubscriptionReporter> oversubscription_ = makeOversubscription();
  // The machine's load and --qos_controller's corrector, made by the constructor.
  std::unique_ptr<LoadSource> load_;
  std::unique_ptr<QosCorrector> qos_;
  // Removes what sandbox_gc_ collects off the loop (made with it; joined first on destruction).
  std::unique_ptr<TreeRemover> tree_remover_;
  uint64_t sandboxes_trashed_ = 0;  // names the sandboxes moved to the trash folder
};

}  // namespace plateau::agent
