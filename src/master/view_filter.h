#pragma once

// What one principal may see of the master's state under --acls (docs/security.md): the views
// (master/views.h, the JSON endpoints, the operator API and its event stream) leave out what it
// may not view instead of refusing the whole answer, as Mesos does:
// - a framework by view_frameworks on FrameworkInfo.user;
// - a task by view_frameworks (its framework) and view_tasks on its user (Task.user, else its
//   framework's);
// - an executor by view_frameworks and view_executors on its command's user (else its
//   framework's);
// - a role (its weight, quota and frameworks list) by view_roles; the flags by view_flags.
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

namespace plateau::master {

class ViewFilter {
 public:
  ViewFilter() = default;  // shows everything
  // `authorizer` null: shows everything.
  ViewFilter(std::shared_ptr<const auth::Authorizer> authorizer, const std::string& principal);

  // Whether everything is shown (no --acls): callers may skip the per-object checks.
  bool showsAll() const { return frameworks_.allowsAll(); }
  bool framework(const mesos::v1::FrameworkInfo& info) const;
  bool task(const mesos::v1::Task& task, const mesos::v1::FrameworkInfo& framework) const;
  bool executor(const mesos::v1::ExecutorInfo& executor,
                const mesos::v1::FrameworkInfo& framework) const;
  bool role(const std::string& role) const;
  bool flags() const;
  // get_quotas: whether the principal may see the quota of `role`.
  bool quota(const std::string& role) const;

 private:
  auth::Approver frameworks_;
  auth::Approver tasks_;
  auth::Approver executors_;
  auth::Approver roles_;
  auth::Approver flags_;
  auth::Approver quotas_;
};

// Leaves out of `status` the quotas of roles `view` may not see (get_quotas).
void filterQuotaStatus(const ViewFilter& view, mesos::v1::quota::QuotaStatus* status);

}  // namespace plateau::master
