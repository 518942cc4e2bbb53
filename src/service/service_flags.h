#pragma once

// The flags every long-running service on Plateau (plateau-apps, plateau-jobs) has under the
// same name: where the master is, where the REST API listens, how it names itself, where its
// local state and logs go. Each service's own Flags derives from this and adds its own.

#include <string>
#include <string_view>

#include "common/flags.h"
#include "common/status.h"
#include "http/tls_flags.h"
#include "service/mesos_credential.h"

namespace plateau::service {

struct ServiceFlags {
  std::string master = "127.0.0.1:5050";
  std::string http_address = "0.0.0.0";
  uint16_t http_port = 8080;
  std::string hostname;
  std::string webui_url;
  double failover_timeout = 604800;  // seconds
  std::string work_dir;
  std::string logging_level = "info";
  std::string log_dir;
  // Marathon's and Chronos's: the credential the framework subscribes with (docs/security.md).
  std::string mesos_authentication_principal;
  std::string mesos_authentication_secret_file;
  // Not a flag: the two above once read by loadServiceCredential().
  MesosCredential credential;
  // --ssl_*: the TLS settings, over LIBPROCESS_SSL_* (docs/tls.md).
  http::TlsFlags tls;
};

// Marathon's and Chronos's credential flags, --mesos_authentication_principal and
// --mesos_authentication_secret_file (every service on Plateau, plateau-dns included, takes
// them under these names).
void registerCredentialFlags(flags::FlagSet& set, std::string* principal, std::string* secret_file);

// Registers the flags above; `service` ("plateau-apps") and `state` ("apps, deployments,
// tasks") name what the help texts speak of.
void registerServiceFlags(flags::FlagSet& set, ServiceFlags& flags, std::string_view service,
                          std::string_view state);
// InvalidArgument naming the flag for values that parse but make no sense.
Status validateServiceFlags(const ServiceFlags& flags);
// Reads --mesos_authentication_secret_file into flags.credential; InvalidArgument naming the
// flag when it cannot be read or when one of the two flags is given without the other.
Status loadServiceCredential(ServiceFlags& flags);

// --hostname's default: this machine's name ("localhost" when it has none).
std::string localHostname();
// The user this process runs as (the default user of tasks).
std::string currentUser();

}  // namespace plateau::service
