#pragma once

// What one principal may see of a daemon's state under --acls (docs/security.md): the master's
// views (master/views.h, the JSON endpoints, the operator API and its event stream) and the
// agent's (/state, its operator API's GET_*) leave out what it may not view instead of refusing
// the whole answer, as Mesos does:
// - a framework by view_frameworks on FrameworkInfo.user;
// - a task by view_frameworks (its framework) and view_tasks on its user (Task.user, else its
//   framework's);
// - an executor by view_frameworks and view_executors on its command's user (else its
//   framework's);
// - a role (its weight, quota and frameworks list) by view_roles, and so a reserved resource by
//   the role it is reserved for (unreserved ones are always shown) and an offer operation by
//   every resource it names; the flags by view_flags;
// - an executor's container by view_containers on its executor's user; a standalone container
//   (and the containers nested in it) by view_standalone_containers, whose object is implicit.
// Each answer is remembered per user or role, so filtering costs one hash lookup per object
// after the first. A default-made filter shows everything at no cost. One request's use; loop
// thread only.

#include <memory>
#include <string>

#include <mesos/v1/mesos.pb.h>

#include "auth/acls.h"

namespace mesos::v1::quota {
class QuotaStatus;
}  // namespace mesos::v1::quota

namespace plateau::auth {

class ViewFilter {
 public:
  ViewFilter() = default;  // shows everything
  // `authorizer` null: shows everything.
  ViewFilter(std::shared_ptr<const Authorizer> authorizer, const std::string& principal);

  // Whether everything is shown (no --acls): callers may skip the per-object checks.
  bool showsAll() const { return frameworks_.allowsAll(); }
  bool framework(const mesos::v1::FrameworkInfo& info) const;
  bool task(const mesos::v1::Task& task, const mesos::v1::FrameworkInfo& framework) const;
  bool executor(const mesos::v1::ExecutorInfo& executor,
                const mesos::v1::FrameworkInfo& framework) const;
  // A task the agent holds (TaskInfo): by its command's user, else its framework's.
  bool taskInfo(const mesos::v1::TaskInfo& task, const mesos::v1::FrameworkInfo& framework) const;
  bool role(const std::string& role) const;
  // A resource: unreserved, or reserved for a role the principal may view (its innermost
  // reservation's role, else its legacy `role`).
  bool resource(const mesos::v1::Resource& resource) const;
  // An offer operation (GET_OPERATIONS of the master and the agent): every resource it names.
  bool operation(const mesos::v1::Offer::Operation& info) const;
  // view_containers: an executor's container (and the nested containers under it).
  bool container(const mesos::v1::ExecutorInfo& executor,
                 const mesos::v1::FrameworkInfo& framework) const;
  // view_standalone_containers: the standalone containers (one answer for all of them).
  bool standaloneContainers() const;
  bool flags() const;
  // get_quotas: whether the principal may see the quota of `role`.
  bool quota(const std::string& role) const;

 private:
  Approver frameworks_;
  Approver tasks_;
  Approver executors_;
  Approver roles_;
  Approver flags_;
  Approver quotas_;
  Approver containers_;
  Approver standalone_containers_;
};

// Leaves out of `status` the quotas of roles `view` may not see (get_quotas).
void filterQuotaStatus(const ViewFilter& view, mesos::v1::quota::QuotaStatus* status);
// Leaves out of `resources` those `view` may not see (ViewFilter::resource()).
void filterResources(const ViewFilter& view,
                     google::protobuf::RepeatedPtrField<mesos::v1::Resource>* resources);
// The user an executor runs as: its command's, else its framework's.
const std::string& executorUser(const mesos::v1::ExecutorInfo& executor,
                                const mesos::v1::FrameworkInfo& framework);

}  // namespace plateau::auth
