#include "apps/task_info.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include <fmt/format.h>

#include "apps/health.h"

namespace plateau::apps {

namespace v1 = mesos::v1;

namespace {

std::string envName(std::string text) {
  for (auto& c : text) {
    c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  }
  return text;
}

// Takes `amount` of scalar `name` out of the offer's resources, keeping each piece's metadata.
void takeScalar(google::protobuf::RepeatedPtrField<v1::Resource>& pool, const std::string& name,
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
    // Mesos keeps scalars at three decimal places.
    piece.mutable_scalar()->set_value(std::round(take * 1000) / 1000);
    r.mutable_scalar()->set_value(r.scalar().value() - take);
    amount -= take;
    *task.add_resources() = std::move(piece);
  }
}

void takePort(const google::protobuf::RepeatedPtrField<v1::Resource>& pool, uint32_t port,
              v1::TaskInfo& task) {
  for (const auto& r : pool) {
    if (r.name() != "ports" || r.type() != v1::Value::RANGES) {
      continue;
    }
    for (const auto& range : r.ranges().range()) {
      if (port >= range.begin() && port <= range.end()) {
        v1::Resource piece = r;
        piece.mutable_ranges()->clear_range();
        auto* one = piece.mutable_ranges()->add_range();
        one->set_begin(port);
        one->set_end(port);
        *task.add_resources() = std::move(piece);
        return;
      }
    }
  }
}

std::string taskName(const std::string& app_id) {
  // Marathon names a task by its app id read backwards ("/shop/web" -> "web.shop").
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= app_id.size()) {
    size_t slash = app_id.find('/', start);
    if (slash == std::string::npos) {
      slash = app_id.size();
    }
    if (slash > start) {
      parts.push_back(app_id.substr(start, slash - start));
    }
    start = slash + 1;
  }
  std::string name;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    name += (name.empty() ? "" : ".") + *it;
  }
  return name;
}

void addHealthCheck(const App& app, const std::vector<uint32_t>& host_ports, v1::TaskInfo& task) {
  // The agent runs one health check per task (Mesos's TaskInfo has one): the app's first of
  // protocol MESOS_HTTP, MESOS_HTTPS, MESOS_TCP or COMMAND. HTTP, HTTPS and TCP checks are
  // plateau-apps' own (health.h).
  auto it = std::find_if(app.health_checks.begin(), app.health_checks.end(),
                         [](const HealthCheck& h) { return runByAgent(h); });
  if (it == app.health_checks.end()) {
    return;
  }
  const HealthCheck& h = *it;
  auto* hc = task.mutable_health_check();
  hc->set_delay_seconds(h.delay_seconds);
  hc->set_interval_seconds(h.interval_seconds);
  hc->set_timeout_seconds(h.timeout_seconds);
  hc->set_grace_period_seconds(h.grace_period_seconds);
  // Marathon's 0 means: report unhealthy, never kill for it.
  hc->set_consecutive_failures(h.max_consecutive_failures == 0
                                   ? UINT32_MAX
                                   : static_cast<uint32_t>(h.max_consecutive_failures));
  uint32_t port = h.port.value_or(0);
  if (!h.port) {
    size_t index = h.port_index.value_or(0);
    port = index < host_ports.size() ? host_ports[index] : 0;
  }
  if (h.protocol == "COMMAND") {
    hc->set_type(v1::HealthCheck::COMMAND);
    hc->mutable_command()->set_value(h.command);
    hc->mutable_command()->set_shell(true);
  } else if (h.protocol == "MESOS_TCP") {
    hc->set_type(v1::HealthCheck::TCP);
    hc->mutable_tcp()->set_port(port);
  } else {
    hc->set_type(v1::HealthCheck::HTTP);
    hc->mutable_http()->set_port(port);
    hc->mutable_http()->set_path(h.path);
    hc->mutable_http()->set_scheme(h.protocol.ends_with("HTTPS") ? "https" : "http");
  }
}

}  // namespace

std::map<std::string, std::string> taskEnvironment(const App& app, const std::string& task_id,
                                                   const std::string& host,
                                                   const std::vector<uint32_t>& host_ports) {
  std::map<std::string, std::string> env;
  std::string ports;
  for (size_t k = 0; k < host_ports.size(); ++k) {
    std::string port = std::to_string(host_ports[k]);
    env[fmt::format("PORT{}", k)] = port;
    ports += (k == 0 ? "" : ",") + port;
    if (k < app.port_definitions.size()) {
      const auto& def = app.port_definitions[k];
      if (!def.name.empty()) {
        env["PORT_" + envName(def.name)] = port;
      }
      if (def.port != 0) {
        env[fmt::format("PORT_{}", def.port)] = port;
      }
    }
  }
  if (!host_ports.empty()) {
    env["PORT"] = std::to_string(host_ports.front());
    env["PORTS"] = ports;
  }
  env["HOST"] = host;
  env["MESOS_TASK_ID"] = task_id;
  env["MARATHON_APP_ID"] = app.id;
  env["MARATHON_APP_VERSION"] = app.version;
  env["MARATHON_APP_RESOURCE_CPUS"] = fmt::format("{}", app.cpus);
  env["MARATHON_APP_RESOURCE_MEM"] = fmt::format("{}", app.mem);
  env["MARATHON_APP_RESOURCE_DISK"] = fmt::format("{}", app.disk);
  env["MARATHON_APP_RESOURCE_GPUS"] = fmt::format("{}", app.gpus);
  env["MARATHON_APP_DOCKER_IMAGE"] = "";
  std::string labels;
  for (const auto& [k, v] : app.labels) {
    std::string name = envName(k);
    labels += (labels.empty() ? "" : " ") + name;
    env["MARATHON_APP_LABEL_" + name] = v;
  }
  env["MARATHON_APP_LABELS"] = labels;
  // The app's own variables win over Marathon's, as in Marathon.
  for (const auto& [k, v] : app.env) {
    env[k] = v;
  }
  return env;
}

v1::TaskInfo buildTaskInfo(const v1::Offer& offer, const LaunchSpec& spec) {
  const App& app = spec.app;
  v1::TaskInfo task;
  task.set_name(taskName(app.id));
  task.mutable_task_id()->set_value(spec.task_id);
  *task.mutable_agent_id() = offer.agent_id();

  auto pool = offer.resources();
  takeScalar(pool, "cpus", app.cpus, task);
  takeScalar(pool, "mem", app.mem, task);
  takeScalar(pool, "disk", app.disk, task);
  takeScalar(pool, "gpus", app.gpus, task);
  for (auto port : spec.host_ports) {
    takePort(offer.resources(), port, task);
  }

  auto* command = task.mutable_command();
  if (app.cmd) {
    command->set_shell(true);
    command->set_value(*app.cmd);
  } else if (app.args && !app.args->empty()) {
    command->set_shell(false);
    command->set_value(app.args->front());
    for (const auto& a : *app.args) {
      command->add_arguments(a);
    }
  }
  if (app.user) {
    command->set_user(*app.user);
  }
  for (const auto& f : app.fetch) {
    auto* uri = command->add_uris();
    uri->set_value(f.uri);
    uri->set_executable(f.executable);
    uri->set_extract(f.extract);
    uri->set_cache(f.cache);
  }
  for (const auto& [k, v] : taskEnvironment(app, spec.task_id, offer.hostname(), spec.host_ports)) {
    auto* var = command->mutable_environment()->add_variables();
    var->set_name(k);
    var->set_value(v);
  }

  for (const auto& [k, v] : app.labels) {
    auto* label = task.mutable_labels()->add_labels();
    label->set_key(k);
    label->set_value(v);
  }
  auto* discovery = task.mutable_discovery();
  discovery->set_visibility(v1::DiscoveryInfo::FRAMEWORK);
  discovery->set_name(task.name());
  for (size_t k = 0; k < spec.host_ports.size(); ++k) {
    auto* port = discovery->mutable_ports()->add_ports();
    port->set_number(spec.host_ports[k]);
    if (k < app.port_definitions.size()) {
      const auto& def = app.port_definitions[k];
      port->set_protocol(def.protocol == "udp" ? "udp" : "tcp");
      if (!def.name.empty()) {
        port->set_name(def.name);
      }
    }
  }
  if (app.task_kill_grace_period_seconds) {
    task.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(
        static_cast<int64_t>(*app.task_kill_grace_period_seconds) * 1000000000);
  }
  addHealthCheck(app, spec.host_ports, task);
  return task;
}

OfferView offerView(const v1::Offer& offer) {
  OfferView view;
  view.id = offer.id().value();
  view.agent_id = offer.agent_id().value();
  view.place.hostname = offer.hostname();
  for (const auto& a : offer.attributes()) {
    std::string value;
    switch (a.type()) {
      case v1::Value::SCALAR:
        value = fmt::format("{}", a.scalar().value());
        break;
      case v1::Value::TEXT:
        value = a.text().value();
        break;
      case v1::Value::SET:
        for (const auto& item : a.set().item()) {
          value += (value.empty() ? "" : ",") + item;
        }
        break;
      case v1::Value::RANGES:
        for (const auto& r : a.ranges().range()) {
          value += fmt::format("{}[{}-{}]", value.empty() ? "" : ",", r.begin(), r.end());
        }
        break;
      default:
        break;
    }
    view.place.attributes[a.name()] = value;
  }
  for (const auto& r : offer.resources()) {
    if (r.type() == v1::Value::SCALAR) {
      double v = r.scalar().value();
      if (r.name() == "cpus") {
        view.cpus += v;
      } else if (r.name() == "mem") {
        view.mem += v;
      } else if (r.name() == "disk") {
        view.disk += v;
      } else if (r.name() == "gpus") {
        view.gpus += v;
      }
    } else if (r.type() == v1::Value::RANGES && r.name() == "ports") {
      for (const auto& range : r.ranges().range()) {
        view.port_ranges.emplace_back(static_cast<uint32_t>(range.begin()),
                                      static_cast<uint32_t>(range.end()));
      }
    }
  }
  std::sort(view.port_ranges.begin(), view.port_ranges.end());
  return view;
}

}  // namespace plateau::apps
