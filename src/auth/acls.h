#pragma once

// Authorization by Mesos's ACLs (the `ACLs` message of include/mesos/authorizer/acls.proto,
// written as JSON for --acls), with the local authorizer's semantics:
// - each kind of ACL (`register_frameworks`, `run_tasks`, ...) is a list of entries, each with a
//   subject entity `principals` and an object entity named per kind (`roles`, `users`,
//   `framework_principals`, `agents`, ...); an entity is `{"values": [...]}` (SOME) or
//   `{"type": "ANY"}` / `{"type": "NONE"}`;
// - a request has a subject (a principal, or anyone when anonymous) and an object (one value,
//   or anything when the action has no object); the first entry of its kind whose subject and
//   object both match decides: allowed unless either entity of that entry is NONE;
// - no entry matches: `permissive` decides (default true);
// - for the kinds whose objects are roles, a value "eng/%" matches every role nested under
//   "eng" (eng/a, eng/a/b), not "eng" itself, as Mesos's hierarchical roles.
// Parsing refuses what Mesos's protobuf parser refuses (a missing entity, a wrong type, an
// unknown entity type) naming the source and the place; unknown keys are ignored, each named
// in a warning. Immutable once made; any thread.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace plateau::auth {

// Every kind of ACL of Mesos's `ACLs` message, in its field order.
enum class Action {
  kRegisterFramework,
  kRunTask,
  kReserveResources,
  kUnreserveResources,
  kCreateVolume,
  kDestroyVolume,
  kTeardownFramework,
  kUpdateWeight,
  kGetEndpoint,
  kGetQuota,
  kUpdateQuota,
  kViewFramework,
  kViewTask,
  kViewExecutor,
  kAccessSandbox,
  kAccessMesosLog,
  kViewRole,
  kViewFlags,
  kLaunchNestedContainerAsUser,
  kLaunchNestedContainerUnderParentWithUser,
  kKillNestedContainer,
  kWaitNestedContainer,
  kLaunchNestedContainerSessionAsUser,
  kLaunchNestedContainerSessionUnderParentWithUser,
  kAttachContainerInput,
  kAttachContainerOutput,
  kViewContainer,
  kSetLogLevel,
  kRemoveNestedContainer,
  kRegisterAgent,
  kUpdateMaintenanceSchedule,
  kGetMaintenanceSchedule,
  kStartMaintenance,
  kStopMaintenance,
  kGetMaintenanceStatus,
  kDrainAgent,
  kDeactivateAgent,
  kReactivateAgent,
  kMarkAgentGone,
  kLaunchStandaloneContainer,
  kKillStandaloneContainer,
  kWaitStandaloneContainer,
  kRemoveStandaloneContainer,
  kViewStandaloneContainer,
  kModifyResourceProviderConfig,
  kMarkResourceProvidersGone,
  kViewResourceProvider,
  kPruneImages,
  kResizeVolume,
  kCreateBlockDisk,
  kDestroyBlockDisk,
  kCreateMountDisk,
  kDestroyMountDisk,
  kDestroyRawDisk,
};
inline constexpr size_t kActionCount = static_cast<size_t>(Action::kDestroyRawDisk) + 1;

// The JSON key of an action's list ("register_frameworks") and its object entity ("roles").
std::string_view aclKey(Action action);
std::string_view aclObjectField(Action action);

// One entity of an ACL entry.
struct AclEntity {
  enum class Type { kSome, kAny, kNone };
  Type type = Type::kSome;
  std::vector<std::string> values;
};

struct AclEntry {
  AclEntity subjects;
  AclEntity objects;
};

// A request's object: one value, or anything (`kAnyObject`) where the action has none.
inline constexpr std::optional<std::string_view> kAnyObject = std::nullopt;

class Authorizer {
 public:
  // Parses the ACLs' JSON; `source` names it in errors ("--acls" or the file's path).
  // `warnings` receives one line per unknown key.
  static Result<Authorizer> parse(std::string_view text, std::string_view source,
                                  std::vector<std::string>* warnings);
  // The value of --acls: inline JSON, or a file as `file:///path` or `/path`. Errors name the
  // flag and the file.
  static Result<Authorizer> load(std::string_view flag_value, std::vector<std::string>* warnings);
  // load() for a daemon's --acls: null when the flag is empty (everything allowed).
  static Result<std::shared_ptr<const Authorizer>> fromFlag(std::string_view flag_value,
                                                            std::vector<std::string>* warnings);

  // Whether `principal` (empty: anonymous, which only ANY subjects match) may do `action` to
  // `object`.
  bool allowed(Action action, std::string_view principal,
               std::optional<std::string_view> object) const;
  // Why not (nullopt: allowed), naming the principal, the ACL and the object: "Principal 'p'
  // is not authorized by the ACLs for 'run_tasks' (users 'root')".
  std::optional<std::string> refusal(Action action, std::string_view principal,
                                     std::optional<std::string_view> object) const;

  bool permissive() const { return permissive_; }
  const std::vector<AclEntry>& entries(Action action) const {
    return entries_[static_cast<size_t>(action)];
  }

 private:
  bool permissive_ = true;
  std::vector<AclEntry> entries_[kActionCount];
};

// One principal's answers for one action, remembered per object value: for filtering many
// objects (tasks by user, frameworks by user) at the cost of one lookup each after the first.
// With no authorizer, everything is allowed. Not thread-safe (one request's worth of use).
class Approver {
 public:
  Approver() = default;  // allows everything
  Approver(std::shared_ptr<const Authorizer> authorizer, Action action, std::string principal);

  bool approves(std::optional<std::string_view> object) const;
  // Whether every object is allowed (no authorizer): callers may skip the per-object checks.
  bool allowsAll() const { return authorizer_ == nullptr; }

 private:
  std::shared_ptr<const Authorizer> authorizer_;
  Action action_ = Action::kViewFramework;
  std::string principal_;
  mutable std::unordered_map<std::string, bool> cache_;
};

}  // namespace plateau::auth
