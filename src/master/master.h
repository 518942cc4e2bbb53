#pragma once

// The master: keeps the cluster's state on one event loop, speaks the v1 scheduler API to
// frameworks and Plateau's agent protocol to agents, and turns allocations into offers.
// Every method runs on the loop thread.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <source_location>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <mesos/v1/mesos.pb.h>
#include <mesos/v1/scheduler/scheduler.pb.h>
#include <plateau/agent.pb.h>
#include <spdlog/logger.h>

#include "auth/acls.h"
#include "auth/audit_log.h"
#include "auth/authenticator.h"
#include "common/resources.h"
#include "common/uuid.h"
#include "endpoints/files.h"
#include "http/client_rate_limiter.h"
#include "http/content.h"
#include "http/rate_limits.h"
#include "http/server.h"
#include "master/ack_batch.h"
#include "master/agent_book.h"
#include "master/allocator/allocator.h"
#include "master/drain_book.h"
#include "master/flags.h"
#include "master/framework_book.h"
#include "master/leadership.h"
#include "master/loop_watch.h"
#include "master/metrics.h"
#include "master/offer_book.h"
#include "master/operation_book.h"
#include "master/operator_feed.h"
#include "master/per_framework_metrics.h"
#include "master/principal_metrics.h"
#include "master/registry/registry.h"
#include "master/removal_limits.h"
#include "master/role_book.h"
#include "master/task_book.h"
#include "master/view_filter.h"
#include "master/views.h"
#include "master/whitelist.h"
#include "runtime/clock.h"
#include "runtime/logging_level.h"
#include "runtime/timers.h"

namespace mesos::v1::maintenance {
class Schedule;
}  // namespace mesos::v1::maintenance

namespace mesos::v1::master {
class Call;
class Response;
class Call_UpdateQuota;
class Call_UpdateWeights;
}  // namespace mesos::v1::master

namespace plateau::master {

class MaintenanceBook;  // master/maintenance_book.h
class MaintenancePlan;

namespace v1 = mesos::v1;
namespace scheduler = mesos::v1::scheduler;
namespace internal = plateau::internal;

// What the master needs from the world, chosen at wiring time (main.cc) or by a test (with
// virtual time and fakes from tests/fakes).
struct Environment {
  Timers& timers;                          // every wait and deferred step
  const Clock& clock;                      // every read of time
  std::unique_ptr<Leadership> leadership;  // when it leads, and the registry it leads with
  std::function<void()> stop;              // ends the daemon; main returns exitCode()
};

class Master {
 public:
  Master(Environment env, Flags flags, std::vector<std::pair<std::string, std::string>> flag_values,
         std::shared_ptr<spdlog::logger> log, uint64_t seed);
  ~Master();

  // Starts serving on `port` (bound by the caller's HTTP server, whose requests go to handle()):
  // contends for leadership, and once elected recovers the registry.
  void start(uint16_t port);
  // Watches the event loop (loop_watch.h) for plateau/event_loop_stall_ms and _busy_ms: the
  // daemon's main() calls it; tests in virtual time need not.
  void watchLoop() { loop_watch_.start(); }
  // Answers one HTTP request (on the loop thread).
  void handle(http::Request& request, http::Responder responder) {
    guardRequest(request, std::move(responder));
  }
  // What main() returns once the loop stops: non-zero when leadership or the registry was lost.
  int exitCode() const { return exit_code_; }

 private:
  // election.cc: leading and standing by (with --zk)
  void contend();
  void onElected(std::unique_ptr<registry::Registry> registry);
  void onLeaderChanged(std::optional<v1::MasterInfo> leader);
  // Stops acting at once and ends the daemon with a non-zero exit code.
  void abdicate();
  // The answer a standby gives an API call: 307 to the leader, or 503 while there is none.
  http::Response notLeader(const http::Request& request) const;

  // recovery.cc: the registry
  void recover();
  void onRecovered(registry::State state);
  // Agent and scheduler calls that reach a leader still recovering wait (bounded: past the
  // bound, 503 with Retry-After) and are routed once it has recovered, a slice per loop turn:
  // a re-registration storm after a failover is admitted, not refused into client backoffs.
  void holdUntilRecovered(http::Request& request, http::Responder responder);
  void releaseHeld();
  void applyFlagWeights();
  // Drops unreachable and gone agents beyond --registry_max_agent_age/count from the registry.
  void pruneRegistry();
  // Stores changes durably, mirrors them in registry_state_, then runs `then` with the outcome.
  void persist(std::vector<registry::Change> changes, std::function<void(Status)> then);
  // Stores the agent as unreachable (no longer admitted), then runs `then` with the outcome.
  void markUnreachable(const std::string& agent_id, const std::string& why,
                       std::function<void(Status)> then);
  void addRecoveredFramework(const v1::FrameworkInfo& info);

  // security.cc: authentication by realm, framework principals, the audit log.
  // What a write call is, for the audit log (and the framework principal check).
  struct WriteCall {
    std::string call;
    std::string target;
    std::optional<scheduler::Call> scheduler_call;
  };
  static auth::Realm realmOf(const http::Request& request);
  // The realms --authenticate_* protect, and the audit log (from the validated flags).
  void buildGuard();
  // The write call a request makes (nullopt for reads).
  std::optional<WriteCall> describeWrite(const http::Request& request, auth::Realm realm) const;
  // A 400 when the authenticated principal is not the framework's (Mesos's rule).
  std::optional<http::Response> checkFrameworkPrincipal(const http::Request& request,
                                                        const scheduler::Call& call) const;
  // Authenticates, records write calls, then route()s.
  void guardRequest(http::Request& request, http::Responder responder);

  // rate_limiting.cc: --rate_limits on scheduler and operator calls.
  // The principal a scheduler call counts under: the authenticated one, else its framework's
  // (for SUBSCRIBE, the one it carries); nullopt for a call of an unknown framework.
  std::optional<std::string> schedulerCallPrincipal(const http::Request& request,
                                                    const scheduler::Call& call) const;
  // Runs `proceed` now or, over the principal's qps, once the calls before it have had their
  // turn; past its capacity answers 429 (Retry-After) and drops the call.
  void throttle(const std::string& principal, std::string_view call, http::Responder responder,
                std::function<void(http::Responder)> proceed);
  // The per-client bounds (--client_request_qps on the operator API and the state endpoints,
  // --agent_call_qps on the agent protocol): a 429 with Retry-After for a request past its
  // client's burst, nullopt to go on. An agent call within a registered agent's session counts
  // under that agent; any other under its principal, else its address.
  std::optional<http::Response> limitClient(const http::Request& request);
  std::optional<http::Response> limitAgentCall(const http::Request& request,
                                               const internal::AgentCall& call);
  // authorization.cc: --acls on every action (auth::Authorizer; docs/security.md). Without
  // --acls everything is allowed and each check costs one null test.
  bool authorized(auth::Action action, const std::string& principal,
                  std::optional<std::string_view> object) const;
  // Why `principal` may not do `action` to `object` (nullopt: it may), naming the ACL.
  std::optional<std::string> refusal(auth::Action action, const std::string& principal,
                                     std::optional<std::string_view> object) const;
  std::optional<std::string> refuseResources(
      auth::Action action, const std::string& principal,
      const google::protobuf::RepeatedPtrField<v1::Resource>& resources) const;
  std::optional<std::string> refuseOperatorCall(const std::string& principal,
                                                const mesos::v1::master::Call& call) const;
  // The 403 for an operator call (/api/v1) the request's principal may not make.
  std::optional<http::Response> authorizeOperatorCall(const http::Request& request,
                                                      const mesos::v1::master::Call& call) const;
  std::optional<std::string> refuseEndpoint(const http::Request& request) const;
  // The 403 for an endpoint the principal may not use (/flags, /metrics/snapshot,
  // /logging/toggle, the master's log in /files, maintenance, teardown, weights, quota and
  // reservation endpoints).
  std::optional<http::Response> authorizeEndpoint(const http::Request& request) const;
  // Why a framework may not subscribe with its roles (register_frameworks), in Mesos's words.
  std::optional<std::string> refuseFrameworkRoles(const v1::FrameworkInfo& info) const;
  // Why a framework may not run `task` as its user (run_tasks), in Mesos's words.
  std::optional<std::string> refuseTaskUser(const Framework& framework,
                                            const v1::TaskInfo& task) const;
  // Why a framework may not apply RESERVE / UNRESERVE / CREATE / DESTROY.
  std::optional<std::string> refuseOfferOperation(const Framework& framework,
                                                  const v1::Offer::Operation& op) const;
  // What `principal` may see of the state.
  ViewFilter viewFilter(const std::string& principal) const;

  // master.cc: routing, lifecycle
  // The allocator mirrors the master's books; a refusal means they disagree, a broken
  // invariant: the master aborts, naming the caller (common/invariant.h).
  // What the agents book reports back: pings to send, silent and disconnected agents, and
  // agents that did not come back after a failover.
  AgentBook::Hooks agentHooks();
  // agent_removals.cc: an agent that failed its health checks, removed as
  // --agent_removal_rate_limit allows (and only if still silent then).
  void removeSilentAgent(const std::string& agent_id);
  // The agents that did not re-register after a failover: marked unreachable, unless they are
  // more than --recovery_agent_removal_limit of those recovered: then this master gives up
  // leadership (exit 1) and removes none, as Mesos.
  void agentsNotBack(const std::vector<std::string>& agent_ids);
  // What the frameworks book reports back: heartbeats to send, disconnected frameworks, and
  // frameworks not back within their failover timeout.
  FrameworkBook::Hooks frameworkHooks();
  void checked(const Status& status,
               const std::source_location& where = std::source_location::current());
  void route(http::Request& request, http::Responder responder);
  double now() const;
  std::string nextFrameworkId();
  std::string nextAgentId();
  std::string nextOfferId();

  // scheduler_api.cc
  void schedulerApi(http::Request& request, http::Responder responder);
  // A decoded, valid call, once its turn has come (after throttle()).
  void runSchedulerCall(const http::Request& request, scheduler::Call& call,
                        http::Responder responder);
  // The subscribed framework a call comes from, checked against its stream id; else answers
  // the request (403 or 400) and returns null.
  Framework* caller(const http::Request& request, const std::string& framework_id,
                    http::Responder& responder);
  // Runs one call of a subscribed framework (anything but SUBSCRIBE).
  Status schedulerCall(Framework& framework, const scheduler::Call& call);
  void subscribe(const http::Request& request, scheduler::Call& call, http::ContentType accept,
                 http::Responder responder);
  void completeSubscribe(scheduler::Call call, http::ContentType accept,
                         std::shared_ptr<http::Responder> responder);
  // A known framework subscribes again: its old connection and offers go.
  void failOverFramework(Framework& framework);
  // Answers the subscription with the framework's event stream, watched for its end.
  void connectFramework(Framework& framework, http::ContentType accept, http::Responder& responder);
  // The SUBSCRIBED event (heartbeats follow from the FrameworkBook).
  void greetFramework(Framework& framework);
  Status teardown(Framework& framework);
  Status accept(Framework& framework, const scheduler::Call::Accept& accept);
  // An ACCEPT whose offers are unusable: they are used up, and its tasks are dropped (or lost).
  void refuseAccept(Framework& framework, const scheduler::Call::Accept& accept,
                    const std::vector<std::string>& consumed, const std::string& error);
  // One operation of an ACCEPT, on the accepted offers' resources (`available`).
  void applyAcceptedOperation(Framework& framework, Agent& agent, const std::string& role,
                              const v1::Offer::Operation& op, Resources& available);
  Status decline(Framework& framework, const scheduler::Call::Decline& decline);
  Status revive(Framework& framework, const scheduler::Call::Revive& revive);
  Status suppress(Framework& framework, const scheduler::Call::Suppress& suppress);

  // framework_roles.cc: roles, suppressed roles and offer filters of frameworks.
  // Sets roles, multi_role (and role) from the framework's info.
  static void setRoles(Framework& framework);
  allocator::FrameworkSpec frameworkSpec(const Framework& framework) const;
  // UPDATE_FRAMEWORK: Mesos's rules (same id, user, principal, checkpoint; suppressed roles
  // among the roles); offers of roles it leaves are rescinded.
  Status updateFramework(Framework& framework, const scheduler::Call::UpdateFramework& update);
  // Whether `role` is one of the framework's roles.
  // Validates offer constraints against the framework's roles and translates them (Mesos's
  // rules: only subscribed roles, no empty group lists or groups, known selectors, regexes
  // that compile).
  Result<std::map<std::string, allocator::ConstraintGroups>> compileOfferConstraints(
      const v1::FrameworkInfo& info, const scheduler::OfferConstraints& constraints) const;
  static allocator::AgentLabels agentLabels(const v1::AgentInfo& info);
  // With --roles, every role of the framework must be one of them (InvalidArgument).
  Status checkRoleWhitelist(const v1::FrameworkInfo& info) const;
  static Status checkSuppressedRoles(const v1::FrameworkInfo& info,
                                     const google::protobuf::RepeatedPtrField<std::string>& roles);
  Status kill(Framework& framework, const scheduler::Call::Kill& kill);
  Status shutdownExecutor(Framework& framework, const scheduler::Call::Shutdown& shutdown);
  Status acknowledge(Framework& framework, const scheduler::Call::Acknowledge& ack);
  Status reconcile(Framework& framework, const scheduler::Call::Reconcile& reconcile);
  Status message(Framework& framework, const scheduler::Call::Message& message);
  void launch(Framework& framework, Agent& agent, const std::string& role,
              const v1::Offer::Operation& operation, Resources& available);
  // One task of a LAUNCH: checked, taken out of `available`, recorded and sent to the agent;
  // or why it is refused (the caller reports TASK_ERROR).
  Status launchTask(Framework& framework, Agent& agent, const std::string& role,
                    const v1::TaskInfo& task, Resources& available);
  void refuseOperation(Framework& framework, const v1::Offer::Operation& operation,
                       const std::string& why);
  // Checks every task passes, LAUNCH or LAUNCH_GROUP; its resources, or why it is refused.
  Result<Resources> checkTask(Framework& framework, Agent& agent, const std::string& role,
                              const v1::TaskInfo& task);
  // Records an accepted task (the caller sends it to the agent).
  void addTask(Framework& framework, Agent& agent, const std::string& role,
               const v1::TaskInfo& task, const Resources& resources,
               const v1::ExecutorID* executor_id);
  // task_groups.cc
  void launchGroup(Framework& framework, Agent& agent, const std::string& role,
                   const v1::Offer::Operation& operation, Resources& available);
  // What a LAUNCH_GROUP needs (its new executor and all its tasks), or the first reason to
  // refuse the whole group.
  Result<Resources> checkTaskGroup(Framework& framework, Agent& agent, const std::string& role,
                                   const v1::Offer::Operation::LaunchGroup& launch,
                                   const Resources& available);

  // frameworks.cc: framework lifecycle and events to schedulers
  void send(Framework& framework, const scheduler::Event& event);
  void frameworkDisconnected(const std::string& framework_id);
  void removeFramework(std::string framework_id, const std::string& why);
  // removeFramework's steps: its tasks killed and completed; its executors' resources released.
  void endFrameworkTasks(Framework& framework, const std::string& why);
  void releaseFrameworkExecutors(Framework& framework);
  void sendTaskUpdate(Framework& framework, const v1::TaskStatus& status);
  v1::TaskStatus masterStatus(const Framework& framework, const std::string& task_id,
                              const std::string& agent_id, v1::TaskState state,
                              v1::TaskStatus::Reason reason, const std::string& message);
  void updateTaskState(Framework& framework, Task& task, const v1::TaskStatus& status,
                       v1::TaskState latest);
  // Moves a task off the live books: to its framework's completed tasks, or to its unreachable
  // ones (its agent was marked unreachable).
  void completeTask(Framework& framework, const std::string& task_id, bool unreachable = false);

  // agents.cc: the agent link
  void agentApi(http::Request& request, http::Responder responder);
  // A REGISTER: checked (authorization, session, the shared stream it joins), then registered.
  void agentRegisterCall(const http::Request& request, internal::AgentCall& call,
                         http::Responder responder);
  // A call from an agent's own session, after the session check: an error is the 400's message.
  Status agentSessionCall(Agent& agent, internal::AgentCall& call);
  void agentFrameworkMessage(const Agent& agent,
                             const internal::AgentCall::FrameworkMessage& message);
  void registerAgent(internal::AgentCall& call, const std::string& principal,
                     http::Responder responder);
  // A HEARTBEAT for several agents (AgentCall.heartbeats): each with its agent's session is heard.
  void agentHeartbeats(const internal::AgentCall& call);
  // Answers a REGISTER with a SHUTDOWN refusing it: on its own stream, which then ends; for an
  // agent joining a shared stream, on that stream (tagged), the call answered 202.
  void refuseRegistration(const internal::AgentCall& call, const std::string& agent_id,
                          http::Responder& responder, const std::string& message);
  // The admitted agent's link (its own stream, a shared one it opens or joins) and its
  // REGISTERED, with a new session.
  void linkAgent(Agent& agent, const internal::AgentCall& call, const std::string& principal,
                 http::Responder& responder);
  // fault_domains.cc: answers (and returns true for) an agent the fault domain rules refuse:
  // one without a domain under --require_agent_domain is told to shut down (as Mesos); one
  // with a domain when this master has none gets 403 (Mesos ignores it), and tries again.
  bool refuseAgentDomain(const internal::AgentCall& call, const v1::AgentInfo& info,
                         http::Responder& responder);
  void admitAgent(internal::AgentCall call, v1::AgentInfo info, Resources total,
                  const std::string& principal, std::shared_ptr<http::Responder> responder);
  void addReregisteredWork(Agent& agent, const internal::AgentCall::Register& reg,
                           bool was_unreachable);
  // Takes the update's status (moved into the scheduler's UPDATE event).
  void agentStatusUpdate(Agent& agent, internal::AgentCall::StatusUpdate& update);
  // oversubscription.cc: the agent's new oversubscribed (revocable) resources. As in Mesos, its
  // outstanding offers holding revocable resources are rescinded, then the allocator offers the
  // new estimate to REVOCABLE_RESOURCES frameworks. InvalidArgument (a 400) when an entry is
  // not revocable, is reserved or cannot be read.
  Status updateOversubscribed(Agent& agent, const internal::AgentCall::UpdateOversubscribed& call);
  void executorExited(Agent& agent, const internal::AgentCall::ExecutorExited& exited);
  // Writes `event` to the agent's link, after the acknowledgements gathered for it (acks_).
  void sendToAgent(Agent& agent, const internal::AgentEvent& event);
  void writeToAgent(Agent& agent, const internal::AgentEvent& event);
  // Sends the acknowledgements gathered for the agent during this turn of the loop.
  void flushAcks(const std::string& agent_id);
  void agentDisconnected(const std::string& agent_id);
  // A silent agent: stored as unreachable, then removed (its tasks reported once stored).
  void removeAgent(std::string agent_id, const std::string& why);
  // Takes an agent off the books and reports its tasks: TASK_GONE_BY_OPERATOR when `gone` (an
  // operator's MARK_AGENT_GONE), else TASK_UNREACHABLE (TASK_LOST for frameworks that are not
  // partition-aware), the registry having stored it as unreachable already.
  void removeAgentAs(std::string agent_id, const std::string& why, bool gone);
  // An agent gone for good (an operator's MARK_AGENT_GONE, a machine DOWN): told to shut down
  // with `message` while linked, then removed as gone.
  void dismissAgent(const std::string& agent_id, const std::string& message,
                    const std::string& why);

  // operator_api.cc: POST /api/v1, routed to the views (GET_*) or the changes.
  void operatorApi(http::Request& request, http::Responder responder);
  // A decoded call, once its turn has come (after throttle()).
  void runOperatorCall(const mesos::v1::master::Call& call, http::ContentType accept,
                       const std::string& principal, http::Responder responder);
  // Fills `response` when the call asks for one of the master's views; false otherwise.
  bool operatorView(const mesos::v1::master::Call& call, const ViewFilter& view,
                    mesos::v1::master::Response* response) const;
  // Runs a call that changes something (or streams), answering through `responder`.
  void operatorChange(const mesos::v1::master::Call& call, http::ContentType accept,
                      http::Responder responder);
  // MARK_AGENT_GONE (and a drain with mark_gone): stored, then the agent is dismissed.
  // NotFound for an agent never admitted; a gone agent is already done.
  void markGone(const std::string& agent_id, std::function<void(Status)> done);

  // drains.cc: DEACTIVATE_AGENT, REACTIVATE_AGENT, DRAIN_AGENT over drains_ (the DrainBook).
  // An agent the master knows (admitted, expected or unreachable) and not gone.
  bool holdableAgent(const std::string& agent_id) const;
  void agentHoldCall(const mesos::v1::master::Call& call, http::Responder responder);
  // Stores the agent's new hold (none: reactivated), then applies it.
  void storeHold(const std::string& agent_id, std::optional<DrainBook::Hold> hold,
                 std::function<void(Status)> done);
  // The allocator offers the agent only when it is connected and not held; a held agent's
  // offers are rescinded and a draining one's tasks killed.
  void applyHold(const std::string& agent_id);
  void killForDrain(Agent& agent, const v1::DrainConfig& config);
  // A DRAINING agent without tasks becomes DRAINED (stored), then gone if the drain says so.
  void checkDrained(const std::string& agent_id);
  void recoverHolds();
  // Plans the weights with the RoleBook, persists them, then hands them to the allocator.
  void updateWeights(const mesos::v1::master::Call_UpdateWeights& update,
                     std::function<void(Status)> done);

  // quota.cc: UPDATE_QUOTA / GET_QUOTA, SET_QUOTA / REMOVE_QUOTA and the legacy /master/quota
  // endpoint.
  // Plans the update with the RoleBook (all or nothing), persists it, then tells the allocator.
  void updateQuota(const mesos::v1::master::Call_UpdateQuota& update,
                   std::function<void(Status)> done);
  // Mesos's legacy set: a guarantee (also the limit) for a role without quota; InvalidArgument
  // (400) when invalid or the role has quota, AlreadyExists (409) when, unforced, the
  // guarantees would exceed the cluster's capacity.
  void setQuota(const mesos::v1::quota::QuotaRequest& request, std::function<void(Status)> done);
  // Mesos's legacy remove: InvalidArgument when the role has no quota.
  void removeQuota(const std::string& role, std::function<void(Status)> done);
  // The agents' total, unreserved: what quota guarantees must fit unless forced.
  Resources quotaCapacity() const;
  void quotaEndpoint(const http::Request& request, http::Responder responder);
  // Rescinds the outstanding offers made to `role` or its sub-roles.
  void rescindOffersOfRole(const std::string& role);

  // reservations.cc: RESERVE / UNRESERVE / CREATE / DESTROY / GROW_VOLUME / SHRINK_VOLUME and
  // the operator calls, by the rules of master/reservation_rules.h. Applies one offer operation
  // to `available` (the accepted offers' resources, allocated to `role`); InvalidArgument /
  // FailedPrecondition with a message when refused. One with an id is recorded OPERATION_PENDING
  // and goes to the agent with the new total; it finishes when the agent has checkpointed it.
  Status applyOfferOperation(Framework& framework, Agent& agent, const std::string& role,
                             const v1::Offer::Operation& operation, Resources& available);

  // operations.cc: operation feedback for offer operations with an id (master/operation_book.h).
  // Records the operation as OPERATION_PENDING on `agent` (what it converted in its status).
  const v1::Operation& operationPending(Framework& framework, const Agent& agent,
                                        const v1::Offer::Operation& operation,
                                        const Resources& consumed, const Resources& converted);
  // What an agent says of an operation (UPDATE_OPERATION_STATUS, or its registration after a
  // failover): recorded, and a new terminal status goes to the framework, which acknowledges
  // it. An operation of a framework the master no longer knows is forgotten by the agent.
  void agentOperation(Agent& agent, const v1::Operation& reported);
  // The agent failed a pending operation (it could not checkpoint it): the agent's total gets
  // back what the operation consumed, and the agent the total without it.
  void revertOperation(Agent& agent, const v1::Operation& pending);
  // Whether `agent` has `needed` unallocated, once its outstanding offers are rescinded if
  // what is free now does not hold it.
  bool freeOnAgent(Agent& agent, const Resources& needed);
  // A re-registering agent: what it reports is learned, and the pending operations it has not
  // got (the event was lost with the old stream) go to it again.
  void agentOperations(Agent& agent, const internal::AgentCall::Register& reg);
  // A (re)subscribed framework gets the terminal statuses it has not acknowledged again.
  void resendOperationUpdates(Framework& framework);
  Status acknowledgeOperation(Framework& framework,
                              const scheduler::Call::AcknowledgeOperationStatus& ack);
  Status reconcileOperations(Framework& framework,
                             const scheduler::Call::ReconcileOperations& reconcile);
  // What reconciliation says of an operation the master does not know, by its agent's state.
  v1::OperationState unknownOperationState(const std::string& agent_id) const;
  // Replaces `from` by `to` in the agent's total and sends the new total to the agent, with
  // the pending operation that made it, if any.
  void changeAgentTotal(Agent& agent, const Resources& from, const Resources& to,
                        const v1::Operation* pending = nullptr);
  // The CHECKPOINT_RESOURCES event with the agent's total (and `pending`, if given).
  internal::AgentEvent checkpointEvent(const Agent& agent, const v1::Operation* pending) const;
  // RESERVE_RESOURCES / UNRESERVE_RESOURCES / CREATE_VOLUMES / DESTROY_VOLUMES.
  void operatorReservation(const mesos::v1::master::Call& call, http::Responder responder);
  // Mesos's form-encoded /reserve, /unreserve, /create-volumes and /destroy-volumes.
  void legacyReservationEndpoint(const http::Request& request, http::Responder responder);

  // What the master's files API serves (LIST_FILES, READ_FILE, /files/*): its log file at
  // /master/log when --log_dir is set, as Mesos's master attaches its log.
  std::vector<files::Attachment> attachedFiles() const;

  // explain.cc: GET /master/explain?framework_id=...|role=... (a Plateau extension).
  void explainEndpoint(const http::Request& request, http::Responder responder);

  // Tears a framework down for an operator. InvalidArgument (a 400, as in Mesos) when it is
  // not registered.
  Status teardownFramework(const std::string& framework_id);

  // What the read-only views (master/views.h, operator_state.cc) read.
  Books books() const { return Books{frameworks_, agents_, tasks_, offers_, roles_, drains_}; }
  // The books as `view` lets its reader see them (`view` outlives the result).
  Books booksFor(const ViewFilter& view) const {
    Books b = books();
    b.view = view.showsAll() ? nullptr : &view;
    return b;
  }

  // legacy_endpoints.cc: the JSON endpoints Mesos tools scrape, and /metrics for Prometheus.
  static bool isLegacyEndpoint(const std::string& path);
  void legacyEndpoint(const http::Request& request, http::Responder responder);
  http::Response stateSummaryJson(const ViewFilter& view) const;

  // maintenance_api.cc: the operator's maintenance calls and legacy endpoints over
  // maintenance_ (the MaintenanceBook); registry_state_.maintenance makes them durable.
  void maintenanceCall(const mesos::v1::master::Call& call, http::ContentType accept,
                       http::Responder responder);
  static bool isMaintenanceEndpoint(const std::string& path);
  void maintenanceEndpoint(const http::Request& request, http::Responder responder);
  void recoverMaintenance();
  // A new schedule / machines DOWN (down) or UP: planned by the book, stored, then applied.
  void updateMaintenanceSchedule(const mesos::v1::maintenance::Schedule& schedule,
                                 std::function<void(Status)> done);
  void applyMaintenanceSchedule(const MaintenancePlan& plan);
  void changeMachineModes(bool down, const google::protobuf::RepeatedPtrField<v1::MachineID>& ids,
                          std::function<void(Status)> done);
  void applyMachineModes(const MaintenancePlan& plan, bool down);
  // inverse_offers.cc: sends the inverse offers the book says are due to frameworks using
  // agents on DRAINING machines, and hands it their answers.
  void sendInverseOffers();
  Status answerInverseOffers(Framework& framework,
                             const google::protobuf::RepeatedPtrField<v1::OfferID>& ids,
                             bool accept, double refuse_seconds);

  // offers.cc: allocation rounds and offer bookkeeping
  void scheduleAllocation();
  void allocate();
  // Turns one slice's allocations into offers and sends them, a batch per framework.
  void offerAllocations(std::vector<allocator::Offer> allocations, allocator::TimePoint started);
  // Pauses the framework's offers while its event stream lags, until it catches up.
  void holdOffersWhileLagging(Framework& fw);
  // Removes an offer and returns its resources to the allocator (with a filter if given).
  void removeOffer(const std::string& offer_id, std::optional<std::chrono::nanoseconds> refuse,
                   bool rescind);
  // Takes a terminal task's resources off the books; tells the allocator unless the whole
  // framework is going away.
  void releaseTaskResources(Framework& framework, Task& task, bool tell_allocator);

  // state_json.cc: read-only JSON endpoints
  // What `view` lets its reader see (its frameworks, tasks, executors; the flags).
  http::Response stateJson(const ViewFilter& view) const;
  http::Response metricsJson() const;
  // Every metric of /metrics/snapshot, by name, in the order it shows them.
  std::vector<std::pair<std::string, double>> metricsSnapshot() const;
  // What the books hold of a framework for its per-framework gauges (nothing once completed).
  PerFrameworkMetrics::Live frameworkLive(const std::string& framework_id) const;
  // Sets the gauges of metrics_ from the state (a collect hook: before every read).
  void updateMetricGauges();
  http::Response redirect(const http::Request& request) const;
  // offers.cc: reads --whitelist again and hands a changed list to the allocator.
  void pollWhitelist();

  Timers& timers_;
  const Clock& clock_;  // every read of time (runtime/clock.h)
  std::unique_ptr<Leadership> leadership_;
  std::function<void()> stop_;
  Flags flags_;
  WhitelistFile whitelist_{flags_.whitelist};  // --whitelist, read again every 5 s
  std::vector<std::pair<std::string, std::string>> flag_values_;
  std::shared_ptr<spdlog::logger> log_;
  UuidGenerator uuids_;
  allocator::Allocator allocator_;
  std::unique_ptr<registry::Registry> registry_;
  bool leading_ = false;
  int exit_code_ = 0;
  std::optional<v1::MasterInfo> leader_;  // the elected master (us when leading_)
  // The registry's agents, frameworks and maintenance as stored (the RoleBook holds the rest).
  registry::State registry_state_;
  RoleBook roles_;  // weights and quotas
  // The roles a SET_QUOTA is storing: a second SET_QUOTA of one of them is refused meanwhile.
  std::set<std::string> quota_being_set_;
  bool recovered_ = false;
  std::deque<std::pair<http::Request, http::Responder>> held_until_recovered_;
  size_t held_bytes_ = 0;  // the held calls' bodies
  v1::MasterInfo info_;
  std::string master_id_;
  std::chrono::steady_clock::time_point started_;
  double start_time_ = 0;
  uint64_t next_framework_ = 0;
  uint64_t next_agent_ = 0;
  uint64_t next_offer_ = 0;
  bool allocation_pending_ = false;

  FrameworkBook frameworks_;  // live and completed frameworks, their links and failover
  AgentBook agents_;          // admitted and expected agents, their links and liveness
  OfferBook offers_;          // outstanding offers, by id, framework and agent
  OperationBook operations_;  // offer operations with an id, until acknowledged
  TaskBook tasks_;            // live and completed tasks, by framework and agent
  AckBatch acks_;             // acknowledgements for agents, sent at the end of a loop turn
  Metrics metrics_;
  std::unique_ptr<MaintenanceBook> maintenance_;  // schedule, modes, inverse offers
  DrainBook drains_;                              // deactivated and draining agents
  std::set<std::string> drained_pending_;         // DRAINED being stored

  auth::Guard guard_;                                // the protected realms
  std::unique_ptr<auth::AuditLog> audit_;            // null without --audit_log
  std::unique_ptr<http::RateLimiter> rate_limiter_;  // null without --rate_limits
  // Mesos's frameworks/<principal>/messages_received and messages_processed, at most
  // PrincipalMetrics::kMaxPrincipals of them (master/principal_metrics.h).
  PrincipalMetrics principal_metrics_{metrics_.registry};
  // Mesos's master/frameworks/<name>/<id>/... (--publish_per_framework_metrics), read with
  // metrics_.registry when published; its gauges from frameworkLive().
  PerFrameworkMetrics per_framework_metrics_{
      flags_.publish_per_framework_metrics,
      [this](const std::string& framework_id) { return frameworkLive(framework_id); }};
  http::ClientRateLimiter client_limiter_;  // --client_request_qps
  http::ClientRateLimiter agent_limiter_;   // --agent_call_qps

  OperatorFeed feed_;           // the operator API's SUBSCRIBE streams
  LoggingLevel logging_level_;  // Mesos's verbosity; above 0 the log shows debug lines
  LoopWatch loop_watch_;        // how long the loop goes without turning
  // --agent_removal_rate_limit (validated with the flags) and the agents the registry had when
  // this master recovered (--recovery_agent_removal_limit's whole).
  RemovalLimiter removal_limiter_{
      timers_, clock_,
      parseRemovalRate(flags_.agent_removal_rate_limit).value_or(std::optional<RemovalRate>())};
  size_t agents_at_recovery_ = 0;
};

}  // namespace plateau::master
