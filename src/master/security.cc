// The master's front door: each request is authenticated in its endpoint's realm (Mesos's
// realms; docs/security.md), a framework's calls are held to its principal, and write calls
// are recorded in the audit log.

#include <google/protobuf/descriptor.h>
#include <mesos/v1/master/master.pb.h>

#include <fmt/format.h>

#include "master/master.h"
#include "master/reservation_rules.h"
#include "master/webui.h"

namespace plateau::master {
namespace {

bool isOneOf(const std::string& path, std::initializer_list<const char*> names) {
  std::string_view p = path;
  if (p.starts_with("/master/")) {
    p.remove_prefix(7);
  }
  for (const char* name : names) {
    if (p == name) {
      return true;
    }
  }
  return false;
}

// "name=value" for the identifying fields of a call's payload (framework_id, agent_id, role,
// ...), one level deep, by reflection.
std::string targetOf(const google::protobuf::Message& call) {
  static const std::set<std::string> kNames = {"framework_id", "agent_id", "slave_id",
                                               "role",         "task_id",  "container_id"};
  std::string out;
  const auto* reflection = call.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(call, &fields);
  for (const auto* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
        field->is_repeated()) {
      continue;
    }
    const auto& payload = reflection->GetMessage(call, field);
    std::vector<const google::protobuf::FieldDescriptor*> inner;
    payload.GetReflection()->ListFields(payload, &inner);
    for (const auto* f : inner) {
      if (!kNames.contains(f->name()) || f->is_repeated()) {
        continue;
      }
      std::string value;
      if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
        value = payload.GetReflection()->GetString(payload, f);
      } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        const auto& id = payload.GetReflection()->GetMessage(payload, f);
        const auto* v = id.GetDescriptor()->FindFieldByName("value");
        if (v == nullptr || v->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
          continue;
        }
        value = id.GetReflection()->GetString(id, v);
      }
      out += fmt::format("{}{}={}", out.empty() ? "" : " ", f->name(), value);
    }
  }
  return out;
}

}  // namespace

auth::Realm Master::realmOf(const http::Request& request) {
  const std::string& path = request.path;
  if (isOneOf(path, {"/health", "/version", "/redirect"}) || webui::isWebuiPath(path)) {
    return auth::Realm::kOpen;
  }
  if (isOneOf(path, {"/api/v1/scheduler"})) {
    return auth::Realm::kFramework;
  }
  if (path == "/agent/api/v1") {
    return auth::Realm::kAgent;
  }
  if (isOneOf(path, {"/api/v1", "/teardown", "/weights", "/quota"}) || path.ends_with("/quota") ||
      path.find("/quota/") != std::string::npos || isMaintenanceEndpoint(path) ||
      isLegacyReservationEndpoint(path)) {
    return auth::Realm::kReadWrite;
  }
  return auth::Realm::kReadOnly;
}

void Master::buildGuard() {
  auto basic = [this](const char* realm, bool with_tokens) {
    return auth::HttpAuthenticator(realm, flags_.credential_list,
                                   with_tokens ? flags_.operator_tokens : nullptr);
  };
  if (flags_.authenticate_http_readonly) {
    guard_.protect(auth::Realm::kReadOnly, basic(auth::kMasterReadOnlyRealm, true));
  }
  if (flags_.authenticate_http_readwrite) {
    guard_.protect(auth::Realm::kReadWrite, basic(auth::kMasterReadWriteRealm, true));
  }
  if (flags_.authenticate_http_frameworks || flags_.authenticate_frameworks) {
    guard_.protect(auth::Realm::kFramework, basic(auth::kMasterFrameworkRealm, false));
  }
  if (flags_.authenticate_agents) {
    guard_.protect(auth::Realm::kAgent, basic(auth::kMasterAgentRealm, false));
  }
  for (const auto& warning : flags_.acls_warnings) {
    log_->warn("acls_unknown_key detail=\"{}\"", warning);
  }
  if (!flags_.credentials_warning.empty()) {
    log_->warn("credentials_readable_by_others detail=\"{}\"", flags_.credentials_warning);
  }
  if (!flags_.audit_log.empty()) {
    auto log = auth::AuditLog::open(flags_.audit_log);
    if (log) {
      audit_ = std::move(*log);
    } else {
      log_->error("audit_log_unavailable error=\"{}\"", log.error().message());
    }
  }
}

std::optional<Master::WriteCall> Master::describeWrite(const http::Request& request,
                                                       auth::Realm realm) const {
  if (realm == auth::Realm::kFramework) {
    scheduler::Call call;
    if (!http::decodeCall(request, &call)) {
      return WriteCall{"UNPARSABLE", "", std::nullopt};
    }
    std::string id = call.type() == scheduler::Call::SUBSCRIBE
                         ? call.subscribe().framework_info().id().value()
                         : call.framework_id().value();
    return WriteCall{scheduler::Call::Type_Name(call.type()),
                     id.empty() ? "" : "framework_id=" + id, std::move(call)};
  }
  if (realm != auth::Realm::kReadWrite) {
    return std::nullopt;
  }
  if (isOneOf(request.path, {"/api/v1"})) {
    mesos::v1::master::Call call;
    if (!http::decodeCall(request, &call)) {
      return WriteCall{"UNPARSABLE", "", std::nullopt};
    }
    const std::string type = mesos::v1::master::Call::Type_Name(call.type());
    if (type.starts_with("GET_") || call.type() == mesos::v1::master::Call::SUBSCRIBE) {
      return std::nullopt;
    }
    return WriteCall{type, targetOf(call), std::nullopt};
  }
  if (request.method == "GET" || request.method == "HEAD") {
    return std::nullopt;
  }
  return WriteCall{fmt::format("{} {}", request.method, request.path), "", std::nullopt};
}

std::optional<http::Response> Master::checkFrameworkPrincipal(const http::Request& request,
                                                              const scheduler::Call& call) const {
  if (request.principal.empty()) {
    return std::nullopt;
  }
  if (call.type() == scheduler::Call::SUBSCRIBE) {
    const auto& info = call.subscribe().framework_info();
    if (info.has_principal() && info.principal() != request.principal) {
      return http::Response::text(
          400, fmt::format("Authenticated principal '{}' does not match principal '{}' set in "
                           "`FrameworkInfo`",
                           request.principal, info.principal()));
    }
    return std::nullopt;
  }
  const Framework* framework = frameworks_.find(call.framework_id().value());
  if (framework != nullptr && framework->info.has_principal() &&
      framework->info.principal() != request.principal) {
    return http::Response::text(
        400, fmt::format("Authenticated principal '{}' does not match principal '{}' used to "
                         "subscribe",
                         request.principal, framework->info.principal()));
  }
  return std::nullopt;
}

void Master::guardRequest(http::Request& request, http::Responder responder) {
  const auth::Realm realm = realmOf(request);
  std::optional<WriteCall> write;
  if (audit_ != nullptr || (realm == auth::Realm::kFramework && guard_.protects(realm))) {
    write = describeWrite(request, realm);
  }
  auto principal = guard_.check(realm, request, static_cast<int64_t>(now()));
  if (write && audit_ != nullptr) {
    responder = auth::observeStatus(
        std::move(responder),
        [this, record = auth::AuditRecord{.time = now(),
                                          .principal = principal ? principal->name : "",
                                          .call = write->call,
                                          .target = write->target,
                                          .source = request.remote}](int status) mutable {
          record.status = status;
          audit_->record(record);
          log_->info("audit {}", auth::auditLine(record));
        });
  }
  if (!principal) {
    log_->debug("http_unauthenticated path={} source={}", request.path, request.remote);
    return responder.respond(std::move(principal.error()));
  }
  request.principal = principal->name;
  if (auto refused = authorizeEndpoint(request)) {
    return responder.respond(std::move(*refused));
  }
  if (write && write->scheduler_call && guard_.protects(realm)) {
    if (auto refusal = checkFrameworkPrincipal(request, *write->scheduler_call)) {
      return responder.respond(std::move(*refusal));
    }
  }
  route(request, std::move(responder));
}

}  // namespace plateau::master
