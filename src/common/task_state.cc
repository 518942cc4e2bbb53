#include "common/task_state.h"

#include <mesos/v1/mesos.pb.h>

namespace plateau {

bool isTerminal(mesos::v1::TaskState state) {
  switch (state) {
    case mesos::v1::TASK_FINISHED:
    case mesos::v1::TASK_FAILED:
    case mesos::v1::TASK_KILLED:
    case mesos::v1::TASK_ERROR:
    case mesos::v1::TASK_LOST:
    case mesos::v1::TASK_DROPPED:
    case mesos::v1::TASK_GONE:
    case mesos::v1::TASK_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

LaunchSpec commandLaunchSpec(const mesos::v1::CommandInfo& command) {
  LaunchSpec spec;
  if (command.shell()) {
    spec.path = "/bin/sh";
    spec.argv = {"sh", "-c", command.value()};
  } else {
    spec.path = command.value();
    spec.argv.assign(command.arguments().begin(), command.arguments().end());
    if (spec.argv.empty()) {
      spec.argv.push_back(command.value());
    }
  }
  return spec;
}

std::string environmentValue(const mesos::v1::Environment_Variable& variable) {
  if (variable.type() == mesos::v1::Environment::Variable::SECRET) {
    return variable.secret().type() == mesos::v1::Secret::VALUE ? variable.secret().value().data()
                                                                : std::string();
  }
  return variable.value();
}

}  // namespace plateau
