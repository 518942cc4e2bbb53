#include "master/view_filter.h"

#include <mesos/v1/quota/quota.pb.h>

#include <algorithm>

namespace plateau::master {

ViewFilter::ViewFilter(std::shared_ptr<const auth::Authorizer> authorizer,
                       const std::string& principal) {
  if (authorizer == nullptr) {
    return;
  }
  frameworks_ = auth::Approver(authorizer, auth::Action::kViewFramework, principal);
  tasks_ = auth::Approver(authorizer, auth::Action::kViewTask, principal);
  executors_ = auth::Approver(authorizer, auth::Action::kViewExecutor, principal);
  roles_ = auth::Approver(authorizer, auth::Action::kViewRole, principal);
  flags_ = auth::Approver(authorizer, auth::Action::kViewFlags, principal);
  quotas_ = auth::Approver(authorizer, auth::Action::kGetQuota, principal);
}

bool ViewFilter::framework(const mesos::v1::FrameworkInfo& info) const {
  return frameworks_.approves(info.user());
}

bool ViewFilter::task(const mesos::v1::Task& task,
                      const mesos::v1::FrameworkInfo& framework) const {
  return frameworks_.approves(framework.user()) &&
         tasks_.approves(task.has_user() ? task.user() : framework.user());
}

bool ViewFilter::executor(const mesos::v1::ExecutorInfo& executor,
                          const mesos::v1::FrameworkInfo& framework) const {
  return frameworks_.approves(framework.user()) &&
         executors_.approves(executor.command().has_user() ? executor.command().user()
                                                           : framework.user());
}

bool ViewFilter::role(const std::string& role) const { return roles_.approves(role); }

bool ViewFilter::flags() const { return flags_.approves(auth::kAnyObject); }

bool ViewFilter::quota(const std::string& role) const { return quotas_.approves(role); }

void filterQuotaStatus(const ViewFilter& view, mesos::v1::quota::QuotaStatus* status) {
  if (view.showsAll()) {
    return;
  }
  auto* infos = status->mutable_infos();
  infos->erase(std::remove_if(infos->begin(), infos->end(),
                              [&](const auto& info) { return !view.quota(info.role()); }),
               infos->end());
  auto* configs = status->mutable_configs();
  configs->erase(std::remove_if(configs->begin(), configs->end(),
                                [&](const auto& config) { return !view.quota(config.role()); }),
                 configs->end());
}

}  // namespace plateau::master
