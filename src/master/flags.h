#pragma once

// plateau-master's flags: one struct, defaults as in Mesos.

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "auth/acls.h"
#include "auth/credentials.h"
#include "auth/jwt.h"
#include "common/flags.h"
#include "common/resources.h"
#include "http/address_flags.h"
#include "http/rate_limits.h"
#include "http/tls_flags.h"

namespace plateau::master {

using namespace std::chrono_literals;

struct Flags {
  std::string ip = "127.0.0.1";
  uint16_t port = 5050;
  std::string hostname;
  std::string work_dir = "/tmp/plateau/master";
  std::string cluster;
  std::chrono::nanoseconds allocation_interval = 1s;
  std::chrono::nanoseconds agent_ping_timeout = 15s;
  int max_agent_ping_timeouts = 5;
  std::chrono::nanoseconds offer_timeout = 0s;  // 0: offers are never rescinded for age
  std::chrono::nanoseconds framework_heartbeat = 15s;
  int max_completed_frameworks = 50;
  // Mesos's master/frameworks/<name>/<id>/... metrics (master/per_framework_metrics.h).
  bool publish_per_framework_metrics = true;
  int max_completed_tasks_per_framework = 1000;
  int max_unreachable_tasks_per_framework = 1000;
  std::string logging_level = "info";
  std::string log_dir;  // empty: no log file
  bool quiet = false;   // no log lines on stderr
  std::string registry = "local";
  std::chrono::nanoseconds agent_reregister_timeout = 10min;
  std::string zk;
  std::chrono::nanoseconds zk_session_timeout = 10s;
  std::string quorum;
  // Bounds on each regex in a framework's offer constraints (Mesos's defaults).
  std::string offer_constraints_re2_max_mem = "4KB";
  int offer_constraints_re2_max_program_size = 100;
  // The web UI's files; "" finds the source tree's webui/ or the installed one.
  std::string webui_dir;
  // Deprecated in Mesos, still honoured: initial role weights ("eng=3,ops=1"), used when the
  // registry holds none (then stored there), and the whitelist of roles ("eng,ops").
  std::string weights;
  std::string roles;
  std::string min_allocatable_resources = "cpus:0.01|mem:32";
  bool filter_gpu_resources = true;
  int max_operator_event_stream_subscribers = 1000;
  bool version = false;
  // Registry GC of unreachable and gone agents (src/master/registry/pruning.h).
  std::chrono::nanoseconds registry_gc_interval = 15min;
  std::chrono::nanoseconds registry_max_agent_age = std::chrono::hours(24 * 14);
  int registry_max_agent_count = 102400;

  // Authentication and audit (security_flags.cc; docs/security.md).
  std::string credentials;  // Mesos's credentials file: "/path" or "file:///path"
  bool authenticate_http_readonly = false;
  bool authenticate_http_readwrite = false;
  bool authenticate_http_frameworks = false;
  std::string http_authenticators = "basic";
  std::string http_framework_authenticators;
  bool authenticate_agents = false;
  bool authenticate_frameworks = false;  // here: the same as the HTTP framework realm with basic
  std::string operator_jwt_secret_key;   // Plateau: file of the HS256 key of operator tokens
  std::string operator_jwt_public_key;   // Plateau: PEM file of the RS256 key of operator tokens
  std::string audit_log;                 // file the write calls are recorded in, one JSON line each
  std::string rate_limits;  // Mesos's --rate_limits JSON (the file's contents when a path)
  // Plateau: per-client bounds (docs/security.md, "Per-client limits"); a qps of 0 turns one off.
  double client_request_qps = 100;     // operator API and state endpoints, per principal/address
  int client_request_capacity = 1000;  // burst of the above
  double agent_call_qps = 1000;        // agent protocol, per registered agent (else per address)
  int agent_call_capacity = 10000;     // burst of the above
  http::TlsFlags tls;  // --ssl_*: the TLS settings, over LIBPROCESS_SSL_* (docs/tls.md)
  std::string acls;    // Mesos's ACLs: inline JSON, file:///path or /path
  std::string fair_sharing_excluded_resource_names;  // "gpus,..."
  std::vector<std::string> fair_sharing_excluded;    // the above, split by validateFlags()
  std::string external_log_file;  // a log file kept by others, served as /master/log
  bool root_submissions = true;   // false: frameworks of user root are refused
  // Mesos's --whitelist: a file of agent hostnames to offer; "" or "*": every agent.
  std::string whitelist;
  // --advertise_ip/_port, --ip_discovery_command, --firewall_rules (resolved by main()).
  http::AddressFlags address;

  // Filled by validateFlags() from the text above.
  std::vector<auth::Credential> credential_list;
  std::string credentials_warning;                           // the file may be read by others
  std::shared_ptr<const auth::JwtVerifier> operator_tokens;  // null: no bearer tokens
  std::shared_ptr<const auth::Authorizer> authorizer;        // null: no --acls, all allowed
  std::vector<std::string> acls_warnings;                    // unknown keys of --acls
  std::map<std::string, double> weight_map;
  std::set<std::string> role_whitelist;  // empty: any role
  std::vector<Resources> min_allocatable;
  std::shared_ptr<const http::RateLimitsConfig> rate_limit_config;  // null: nothing limited
  // Fault domains (common/fault_domain.h): this master's (Mesos's JSON; empty: none), and
  // whether agents without one are refused.
  std::string domain;
  bool require_agent_domain = false;
  // Mesos's limits on removing agents (master/removal_limits.h): "N/duration" (empty: none),
  // and the share of agents a failed-over master may remove ("100%").
  std::string agent_removal_rate_limit;
  std::string recovery_agent_removal_limit = "100%";
};

// Registers every flag of `flags` with `set`, and every other flag of mesos-master (accepted,
// without effect, each with its reason).
void registerFlags(flags::FlagSet& set, Flags& flags);
// --domain and --require_agent_domain (fault domains).
void registerDomainFlags(flags::FlagSet& set, Flags& flags);
// The authentication and audit flags (security_flags.cc).
void registerSecurityFlags(flags::FlagSet& set, Flags& flags);
// Loads the credentials and key files and refuses half a configuration (a realm to protect with
// nothing to check against, an authenticator Plateau does not have), naming the flag or file.
Status validateSecurityFlags(Flags& flags);
// Checks values that parse but make no sense (a zero interval, ...) and fills the parsed forms
// (weight_map, role_whitelist, min_allocatable).
Status validateFlags(Flags& flags);
// Parses Mesos's --weights form "role=weight,role=weight" (weights finite and positive).
Result<std::map<std::string, double>> parseWeights(const std::string& text);
// Parses Mesos's --min_allocatable_resources form "cpus:1;mem:32|disk:1".
Result<std::vector<Resources>> parseMinAllocatable(const std::string& text);

}  // namespace plateau::master
