#include "jobs/task_info.h"

#include <cmath>

#include <fmt/format.h>

namespace plateau::jobs {

namespace v1 = mesos::v1;

namespace {

// Moves `amount` of scalar `name` from `pool` into the task, piece by piece.
void carve(google::protobuf::RepeatedPtrField<v1::Resource>& pool, const std::string& name,
           double amount, v1::TaskInfo& task) {
  for (auto& r : pool) {
    if (amount <= 1e-9) {
      return;
    }
    if (r.name() != name || r.type() != v1::Value::SCALAR || r.scalar().value() <= 1e-9) {
      continue;
    }
    double take = std::min(amount, r.scalar().value());
    v1::Resource piece = r;
    piece.mutable_scalar()->set_value(std::round(take * 1000) / 1000);
    r.mutable_scalar()->set_value(r.scalar().value() - take);
    amount -= take;
    *task.add_resources() = std::move(piece);
  }
}

std::string attributeText(const v1::Attribute& a) {
  std::string value;
  switch (a.type()) {
    case v1::Value::SCALAR:
      return fmt::format("{}", a.scalar().value());
    case v1::Value::TEXT:
      return a.text().value();
    case v1::Value::SET:
      for (const auto& item : a.set().item()) {
        value += (value.empty() ? "" : ",") + item;
      }
      return value;
    default:
      return value;
  }
}

}  // namespace

v1::TaskInfo buildTaskInfo(const v1::Offer& offer, const LaunchSpec& spec) {
  const Job& job = spec.job;
  v1::TaskInfo task;
  task.set_name(fmt::format("ChronosTask:{}", job.name));
  task.mutable_task_id()->set_value(spec.task_id);
  *task.mutable_agent_id() = offer.agent_id();
  auto pool = offer.resources();
  carve(pool, "cpus", job.cpus, task);
  carve(pool, "mem", job.mem, task);
  carve(pool, "disk", job.disk, task);

  auto* command = task.mutable_command();
  command->set_shell(job.shell);
  command->set_value(job.command);
  if (!job.shell) {
    // As Chronos: `arguments` (or a run's ?arguments=) go to an executable; a shell command
    // ignores them.
    command->add_arguments(job.command);
    for (const auto& a : spec.arguments) {
      command->add_arguments(a);
    }
  }
  if (!job.run_as_user.empty()) {
    command->set_user(job.run_as_user);
  }
  for (const auto& f : job.fetch) {
    auto* uri = command->add_uris();
    uri->set_value(f.uri);
    uri->set_cache(f.cache);
    uri->set_extract(f.extract);
    uri->set_executable(f.executable);
    if (!f.output_file.empty()) {
      uri->set_output_file(f.output_file);
    }
  }
  if (job.fetch.empty()) {
    for (const auto& u : job.uris) {
      command->add_uris()->set_value(u);
    }
  }
  auto* env = command->mutable_environment();
  auto add = [env](const std::string& k, const std::string& v) {
    auto* var = env->add_variables();
    var->set_name(k);
    var->set_value(v);
  };
  for (const auto& [k, v] : spec.environment) {
    add(k, v);
  }
  add("HOST", offer.hostname());
  for (const auto& e : job.environment) {
    add(e.name, e.value);
  }
  if (!job.container.type.empty()) {
    *task.mutable_container() = containerInfo(job.container);
  }
  if (!job.task_info_data.empty()) {
    task.set_data(job.task_info_data);
  }
  return task;
}

v1::ContainerInfo containerInfo(const JobContainer& c) {
  v1::ContainerInfo info;
  if (c.type == "DOCKER") {
    info.set_type(v1::ContainerInfo::DOCKER);
    info.mutable_docker()->set_image(c.image);
    info.mutable_docker()->set_network(v1::ContainerInfo::DockerInfo::HOST);
    info.mutable_docker()->set_force_pull_image(c.force_pull_image);
  } else {
    info.set_type(v1::ContainerInfo::MESOS);
    if (!c.image.empty()) {
      auto* image = info.mutable_mesos()->mutable_image();
      image->set_type(v1::Image::DOCKER);
      image->mutable_docker()->set_name(c.image);
      image->set_cached(!c.force_pull_image);
    }
  }
  for (const auto& v : c.volumes) {
    auto* volume = info.add_volumes();
    volume->set_container_path(v.container_path);
    if (!v.host_path.empty()) {
      volume->set_host_path(v.host_path);
    }
    volume->set_mode(v.mode == "RO" ? v1::Volume::RO : v1::Volume::RW);
  }
  return info;
}

OfferView offerView(const v1::Offer& offer) {
  OfferView view;
  view.id = offer.id().value();
  view.agent_id = offer.agent_id().value();
  view.hostname = offer.hostname();
  for (const auto& a : offer.attributes()) {
    view.attributes[a.name()] = attributeText(a);
  }
  for (const auto& r : offer.resources()) {
    if (r.type() != v1::Value::SCALAR) {
      continue;
    }
    if (r.name() == "cpus") {
      view.cpus += r.scalar().value();
    } else if (r.name() == "mem") {
      view.mem += r.scalar().value();
    } else if (r.name() == "disk") {
      view.disk += r.scalar().value();
    }
  }
  return view;
}

}  // namespace plateau::jobs
