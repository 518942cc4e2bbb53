#include "apps/events.h"

namespace plateau::apps {

std::string eventJson(std::string_view type, const std::string& timestamp,
                      const EventFields& fields) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  if (fields) {
    fields(w);
  }
  w.key("eventType");
  w.value(type);
  w.key("timestamp");
  w.value(timestamp);
  w.endObject();
  return out;
}

std::string instanceEventJson(std::string_view type, const Instance& i,
                              const std::string& timestamp, const EventFields& fields) {
  return eventJson(type, timestamp, [&](json::Writer& w) {
    w.key("appId");
    w.value(i.app_id);
    w.key("taskId");
    w.value(i.task_id);
    w.key("instanceId");
    w.value(i.task_id);
    w.key("version");
    w.value(i.version);
    w.key("host");
    w.value(i.place.hostname);
    w.key("slaveId");
    w.value(i.agent_id);
    if (fields) {
      fields(w);
    }
  });
}

std::string deploymentEventJson(std::string_view type, const Deployment& d,
                                const std::string& timestamp) {
  return eventJson(type, timestamp, [&](json::Writer& w) {
    if (type == "deployment_success" || type == "deployment_failed") {
      w.key("id");
      w.value(d.id);
    }
    w.key("plan");
    writePlan(w, d);
    if (type != "deployment_info" && type != "deployment_step_success") {
      return;
    }
    w.key("currentStep");
    w.beginObject();
    w.key("actions");
    writeCurrentActions(w, d, false);
    w.endObject();
  });
}

}  // namespace plateau::apps
