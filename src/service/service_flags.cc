#include "service/service_flags.h"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

namespace plateau::service {

void registerServiceFlags(flags::FlagSet& set, ServiceFlags& f, std::string_view service,
                          std::string_view state) {
  set.add("master", &f.master, "The master: host:port, http://host:port or zk://host:port/path");
  set.add("http_address", &f.http_address, "Address the REST API listens on");
  set.add("http_port", &f.http_port, "Port of the REST API (0 picks a free one)");
  set.add("hostname", &f.hostname,
          "Hostname advertised to the master and to clients (default: this machine's name)");
  set.add("webui_url", &f.webui_url, "URL of this service's UI, registered with the master");
  set.add("failover_timeout", &f.failover_timeout,
          "Seconds the master keeps the framework's tasks while it is disconnected");
  set.add("work_dir", &f.work_dir,
          fmt::format("Directory for the embedded SQLite state ({}, framework id)", state));
  set.add("logging_level", &f.logging_level, "trace, debug, info, warning or error");
  set.add("log_dir", &f.log_dir,
          fmt::format("Directory for {}.log (default: stderr only)", service));
  registerCredentialFlags(set, &f.mesos_authentication_principal,
                          &f.mesos_authentication_secret_file);
  f.tls.registerWith(set);
}

void registerCredentialFlags(flags::FlagSet& set, std::string* principal,
                             std::string* secret_file) {
  set.add("mesos_authentication_principal", principal,
          "Principal this service authenticates to the master as");
  set.add("mesos_authentication_secret_file", secret_file,
          "File holding the principal's secret (its bytes, as they are)");
}

Status validateServiceFlags(const ServiceFlags& f) {
  if (f.failover_timeout < 0) {
    return {StatusCode::kInvalidArgument, "Flag '--failover_timeout' must not be negative"};
  }
  if (f.master.empty()) {
    return {StatusCode::kInvalidArgument, "Flag '--master' must not be empty"};
  }
  return {};
}

Status loadServiceCredential(ServiceFlags& f) {
  auto credential =
      loadMesosCredential(f.mesos_authentication_principal, f.mesos_authentication_secret_file);
  if (!credential) {
    return credential.error();
  }
  f.credential = std::move(*credential);
  return {};
}

std::string localHostname() {
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
}

std::string currentUser() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

}  // namespace plateau::service
