#pragma once

// The TLS settings as command-line flags, for every daemon: LIBPROCESS_SSL_<X> is --ssl_<x>
// (--ssl_enabled, --ssl_cert_file, --ssl_require_client_cert, ...; docs/tls.md). A flag given
// wins over its environment variable; the variables (and the old SSL_ spelling) keep working.

#include <map>
#include <string>
#include <vector>

#include "common/flags.h"
#include "http/tls_config.h"

namespace plateau::http {

// The --ssl_* flags of one daemon, registered with its FlagSet.
class TlsFlags {
 public:
  // Adds every --ssl_* flag to `set` (their storage is this object, which must outlive it).
  void registerWith(flags::FlagSet& set);
  // After set.parse(): the settings given (command line or PLATEAU_SSL_* / MESOS_SSL_*), keyed
  // as parseTlsConfig() looks flags up ("--ssl_cert_file" -> "/etc/node.pem").
  EnvironmentMap given(const flags::FlagSet& set) const;

 private:
  std::map<std::string, bool> bools_;           // flag name -> value
  std::map<std::string, std::string> strings_;  // flag name -> value
};

// Makes `settings` (TlsFlags::given()) this process's TLS flags, over its environment: main()
// calls it once, before any server or connection is made (tlsEnvironment() includes them).
void useTlsFlags(EnvironmentMap settings);
// The settings handed to useTlsFlags() (none before).
EnvironmentMap tlsFlagSettings();

// The TLS flags in use as the environment variables they stand for ("LIBPROCESS_SSL_ENABLED=true"),
// for child processes that configure themselves from the environment (executors).
std::vector<std::string> tlsFlagsAsEnvironment();

}  // namespace plateau::http
