#include "auth/view_filter.h"

#include <algorithm>

#include <mesos/v1/quota/quota.pb.h>

namespace plateau::auth {

const std::string& executorUser(const mesos::v1::ExecutorInfo& executor,
                                const mesos::v1::FrameworkInfo& framework) {
  return executor.command().has_user() ? executor.command().user() : framework.user();
}

ViewFilter::ViewFilter(std::shared_ptr<const Authorizer> authorizer, const std::string& principal) {
  if (authorizer == nullptr) {
    return;
  }
  frameworks_ = Approver(authorizer, Action::kViewFramework, principal);
  tasks_ = Approver(authorizer, Action::kViewTask, principal);
  executors_ = Approver(authorizer, Action::kViewExecutor, principal);
  roles_ = Approver(authorizer, Action::kViewRole, principal);
  flags_ = Approver(authorizer, Action::kViewFlags, principal);
  quotas_ = Approver(authorizer, Action::kGetQuota, principal);
  containers_ = Approver(authorizer, Action::kViewContainer, principal);
  standalone_containers_ = Approver(authorizer, Action::kViewStandaloneContainer, principal);
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
         executors_.approves(executorUser(executor, framework));
}

bool ViewFilter::taskInfo(const mesos::v1::TaskInfo& task,
                          const mesos::v1::FrameworkInfo& framework) const {
  return frameworks_.approves(framework.user()) &&
         tasks_.approves(task.command().has_user() ? task.command().user() : framework.user());
}

bool ViewFilter::resource(const mesos::v1::Resource& resource) const {
  if (resource.reservations_size() > 0) {
    return roles_.approves(resource.reservations(resource.reservations_size() - 1).role());
  }
  return !resource.has_role() || resource.role() == "*" || roles_.approves(resource.role());
}

bool ViewFilter::operation(const mesos::v1::Offer::Operation& info) const {
  auto all = [&](const auto& resources) {
    return std::all_of(resources.begin(), resources.end(),
                       [&](const mesos::v1::Resource& r) { return resource(r); });
  };
  switch (info.type()) {
    case mesos::v1::Offer::Operation::RESERVE:
      return all(info.reserve().resources());
    case mesos::v1::Offer::Operation::UNRESERVE:
      return all(info.unreserve().resources());
    case mesos::v1::Offer::Operation::CREATE:
      return all(info.create().volumes());
    case mesos::v1::Offer::Operation::DESTROY:
      return all(info.destroy().volumes());
    case mesos::v1::Offer::Operation::GROW_VOLUME:
      return resource(info.grow_volume().volume());
    case mesos::v1::Offer::Operation::SHRINK_VOLUME:
      return resource(info.shrink_volume().volume());
    default:
      return true;
  }
}

bool ViewFilter::container(const mesos::v1::ExecutorInfo& executor,
                           const mesos::v1::FrameworkInfo& framework) const {
  return containers_.approves(executorUser(executor, framework));
}

bool ViewFilter::standaloneContainers() const {
  return standalone_containers_.approves(kAnyObject);
}

bool ViewFilter::role(const std::string& role) const { return roles_.approves(role); }

bool ViewFilter::flags() const { return flags_.approves(kAnyObject); }

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

void filterResources(const ViewFilter& view,
                     google::protobuf::RepeatedPtrField<mesos::v1::Resource>* resources) {
  if (view.showsAll()) {
    return;
  }
  resources->erase(std::remove_if(resources->begin(), resources->end(),
                                  [&](const auto& r) { return !view.resource(r); }),
                   resources->end());
}

}  // namespace plateau::auth
