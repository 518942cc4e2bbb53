// plateau-dns: Mesos-DNS-compatible service discovery. Reads Mesos-DNS's config.json (--config,
// or Mesos-DNS's -config) and the same settings as flags, follows the leading master's operator
// event stream and serves the records over DNS (UDP and TCP) and Mesos-DNS's HTTP API.

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <csignal>
#include <cstring>
#include <optional>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/flags.h"
#include "common/logging.h"
#include "dns/config.h"
#include "dns/dns_metrics.h"
#include "dns/follower.h"
#include "dns/http_api.h"
#include "dns/records.h"
#include "dns/resolver.h"
#include "dns/server.h"
#include "http/server.h"
#include "http/tls_flags.h"
#include "service/service_flags.h"

namespace plateau::dns {
namespace {

// The settings as flags: strings for the lists, ints for the SOA numbers.
struct FlagValues {
  std::string config;
  std::string masters;
  std::string resolvers;
  std::string ip_sources;
  int soa_refresh = 0;
  int soa_retry = 0;
  int soa_expire = 0;
  int soa_minttl = 0;
  std::string logging_level = "info";
  std::string log_dir;
  bool quiet = false;
  std::string principal;    // --mesos_authentication_principal
  std::string secret_file;  // --mesos_authentication_secret_file
  http::TlsFlags tls;
};

void registerFlags(flags::FlagSet& set, Config& c, FlagValues& v) {
  set.add("config", &v.config, "Mesos-DNS's config.json (also -config=FILE); flags override it");
  set.add("zk", &c.zk, "zk://host:port[,...]/path of the masters' ZooKeeper (zk)");
  set.add("masters", &v.masters, "Comma-separated host:port of the masters (masters)");
  set.add("refresh_seconds", &c.refresh_seconds,
          "Seconds between full resyncs from the master (refreshSeconds)");
  set.add("ttl", &c.ttl, "TTL of the records served, in seconds (ttl)");
  set.add("domain", &c.domain, "The domain served (domain)");
  set.add("port", &c.port, "DNS port, UDP and TCP; 0 picks a free one (port)");
  set.add("resolvers", &v.resolvers, "Comma-separated resolvers for other names (resolvers)");
  set.add("timeout", &c.timeout, "Seconds to wait for a resolver (timeout)");
  set.add("state_timeout_seconds", &c.state_timeout_seconds,
          "Seconds to wait for the master's state (stateTimeoutSeconds)");
  set.add("listener", &c.listener, "Address the DNS server listens on (listener)");
  set.add("http_listener", &c.http_listener, "Address the HTTP API listens on (HTTPListener)");
  set.add("soa_mname", &c.soa_mname, "SOA primary name server (SOAMname)");
  set.add("soa_rname", &c.soa_rname, "SOA mailbox (SOARname)");
  set.add("soa_refresh", &v.soa_refresh, "SOA refresh (SOARefresh)");
  set.add("soa_retry", &v.soa_retry, "SOA retry (SOARetry)");
  set.add("soa_expire", &v.soa_expire, "SOA expire (SOAExpire)");
  set.add("soa_minttl", &v.soa_minttl, "SOA minimum TTL (SOAMinttl)");
  set.add("dnson", &c.dns_on, "Serve DNS (dnson)");
  set.add("httpon", &c.http_on, "Serve the HTTP API (httpon)");
  set.add("httpport", &c.http_port, "HTTP API port; 0 picks a free one (httpport)");
  set.add("externalon", &c.external_on, "Forward other names to the resolvers (externalon)");
  set.add("recurseon", &c.recurse_on, "Set RA in answers for the domain (recurseon)");
  set.add("enforce_rfc952", &c.enforce_rfc952, "RFC 952 labels (enforceRFC952)");
  set.add("enumeration_on", &c.enumeration_on, "Serve /v1/enumerate and /v1/axfr (enumerationOn)");
  set.add("set_truncate_bit", &c.set_truncate_bit,
          "Set TC on UDP answers cut to fit (SetTruncateBit)");
  set.add("srv_record_default_weight", &c.srv_record_default_weight,
          "Weight of SRV records (SRVRecordDefaultWeight)");
  set.add("ip_sources", &v.ip_sources, "Comma-separated task IP sources in order (IPSources)");
  set.add("logging_level", &v.logging_level, "trace, debug, info, warning or error");
  set.add("log_dir", &v.log_dir, "Also write the log to <log_dir>/plateau-dns.log");
  set.add("quiet", &v.quiet, "No log on stderr");
  service::registerCredentialFlags(set, &v.principal, &v.secret_file);
  v.tls.registerWith(set);
}

// The credential flags, as plateau-apps and plateau-jobs read them, win over the config file's
// MesosCredentials.
Status applyCredentialFlags(const FlagValues& v, Config& c) {
  if (v.principal.empty() && v.secret_file.empty()) {
    return Status::ok();
  }
  auto credential = service::loadMesosCredential(v.principal, v.secret_file);
  if (!credential) {
    return credential.error();
  }
  c.mesos_principal = credential->principal;
  c.mesos_secret = credential->secret;
  return Status::ok();
}

// The config file named by --config, -config or PLATEAU_CONFIG comes first; flags then override
// what it set. Go's flag package (Mesos-DNS's) takes one dash: accepted for every flag.
std::vector<std::string> normalizedArgs(int argc, char** argv, std::string& config_file) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && arg.size() > 1 && arg[0] == '-' && arg[1] != '-') {
      arg = "-" + arg;
    }
    if (arg.starts_with("--config=")) {
      config_file = arg.substr(9);
    } else if (arg == "--config" && i + 1 < argc) {
      config_file = argv[i + 1];
    }
    args.push_back(std::move(arg));
  }
  return args;
}

// What SOAMname resolves to, as Mesos-DNS makes it from `listener`: every non-loopback IPv4
// address of the machine for 0.0.0.0, else the listener itself.
std::vector<std::string> listenerAddresses(const std::string& listener) {
  if (listener != "0.0.0.0") {
    return {listener};
  }
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return out;
  }
  for (ifaddrs* it = list; it; it = it->ifa_next) {
    if (!it->ifa_addr || it->ifa_addr->sa_family != AF_INET) {
      continue;
    }
    auto* in = reinterpret_cast<sockaddr_in*>(it->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) {
      continue;
    }
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    out.push_back(text);
  }
  freeifaddrs(list);
  return out;
}

// The values given as flags (lists and SOA numbers) into `c`, checked as Mesos-DNS checks its
// config: InvalidArgument naming the config field otherwise.
Status applyFlagValues(const FlagValues& v, Config& c) {
  c.masters = splitList(v.masters);
  c.resolvers = splitList(v.resolvers);
  c.ip_sources = splitList(v.ip_sources);
  for (auto [name, from, to] : {std::tuple{"SOARefresh", v.soa_refresh, &c.soa_refresh},
                                std::tuple{"SOARetry", v.soa_retry, &c.soa_retry},
                                std::tuple{"SOAExpire", v.soa_expire, &c.soa_expire},
                                std::tuple{"SOAMinttl", v.soa_minttl, &c.soa_minttl}}) {
    if (from < 0) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("config field '{}': must not be negative", name));
    }
    *to = static_cast<uint32_t>(from);
  }
  for (auto [name, value, max] :
       {std::tuple{"port", c.port, 65535}, std::tuple{"httpport", c.http_port, 65535},
        std::tuple{"refreshSeconds", c.refresh_seconds, 1 << 30},
        std::tuple{"ttl", c.ttl, 1 << 30}}) {
    if (value < 0 || value > max) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("config field '{}': {} is out of range [0, {}]", name, value, max));
    }
  }
  if (c.refresh_seconds < 1) {
    return Status(StatusCode::kInvalidArgument,
                  "config field 'refreshSeconds': must be at least 1");
  }
  return finishConfig(c);
}

// Reads the config file, then the flags over it, into `config` and `values`. The exit code when
// the process ends here (--help, --version, bad input: said on stderr), else nullopt.
std::optional<int> configure(int argc, char** argv, Config& config, FlagValues& values) {
  std::string config_file;
  std::vector<std::string> args = normalizedArgs(argc, argv, config_file);
  if (!config_file.empty()) {
    if (Status s = applyConfigFile(config_file, config); !s.isOk()) {
      fmt::print(stderr, "Error: {}\n", s.message());
      return 1;
    }
  }
  values.masters = joinList(config.masters);
  values.resolvers = joinList(config.resolvers);
  values.ip_sources = joinList(config.ip_sources);
  values.soa_refresh = static_cast<int>(config.soa_refresh);
  values.soa_retry = static_cast<int>(config.soa_retry);
  values.soa_expire = static_cast<int>(config.soa_expire);
  values.soa_minttl = static_cast<int>(config.soa_minttl);
  flags::FlagSet set("plateau-dns",
                     "Plateau DNS: Mesos-DNS-compatible service discovery from the master's "
                     "operator API");
  registerFlags(set, config, values);
  std::vector<const char*> argv_view;
  for (const auto& arg : args) {
    argv_view.push_back(arg.c_str());
  }
  Status parsed = set.parse(static_cast<int>(argv_view.size()), argv_view.data());
  if (int code = flags::exitCodeFor(parsed, set); code >= 0) {
    return code;
  }
  http::useTlsFlags(values.tls.given(set));
  Status applied = applyCredentialFlags(values, config);
  if (applied.isOk()) {
    applied = applyFlagValues(values, config);
  }
  if (!applied.isOk()) {
    fmt::print(stderr, "Error: {}\n", applied.message());
    return 1;
  }
  return std::nullopt;
}

// The DNS server listening as `config` says (nullptr when dnson is off).
Result<std::unique_ptr<DnsServer>> startDns(EventLoop& loop, const Config& config,
                                            Resolver& resolver, DnsMetrics& metrics,
                                            const std::shared_ptr<spdlog::logger>& log) {
  if (!config.dns_on) {
    return nullptr;
  }
  auto server = std::make_unique<DnsServer>(loop, config, resolver, metrics, log);
  auto bound = server->listen(config.listener, static_cast<uint16_t>(config.port));
  if (!bound) {
    return std::unexpected(bound.error());
  }
  log->info("dns_started address={}:{} domain={} masters={} zk={}", config.listener, *bound,
            config.domain, joinList(config.masters), config.zk);
  return server;
}

// The HTTP API's server listening as `config` says (nullptr when httpon is off).
Result<std::unique_ptr<http::Server>> startHttp(EventLoop& loop, const Config& config, HttpApi& api,
                                                const std::shared_ptr<spdlog::logger>& log) {
  if (!config.http_on) {
    return nullptr;
  }
  auto server_options = http::serverOptionsFromEnvironment();
  if (!server_options) {
    return std::unexpected(server_options.error());
  }
  auto server = std::make_unique<http::Server>(
      loop,
      [&api](http::Request& request, http::Responder responder) {
        api.handle(request, std::move(responder));
      },
      *server_options);
  auto bound = server->listen(config.http_listener, static_cast<uint16_t>(config.http_port));
  if (!bound) {
    return std::unexpected(bound.error());
  }
  log->info("http_started address={}:{}", config.http_listener, *bound);
  return server;
}

// Follows the leading master and serves its records until SIGTERM or SIGINT; the exit code.
int serve(const Config& config, const std::shared_ptr<spdlog::logger>& log) {
  std::signal(SIGPIPE, SIG_IGN);
  EventLoop loop;
  DnsMetrics metrics;
  Resolver resolver(config, static_cast<uint64_t>(loop.clock().now().time_since_epoch().count()));
  std::vector<std::string> listener_ips = listenerAddresses(config.listener);

  std::unique_ptr<client::MasterDetector> detector;
  if (!config.zk.empty()) {
    auto zk = client::createMasterDetector(loop, config.zk);
    if (!zk) {
      fmt::print(stderr, "Error: config field 'zk': {}\n", zk.error().message());
      return 1;
    }
    detector = std::move(*zk);
  } else {
    detector = mastersListDetector(loop, config.masters);
  }

  // Records are generated anew once per burst of changes: the events of one chunk, or a
  // resync, cost one generation.
  std::unique_ptr<StateFollower> follower;
  bool regeneration_pending = false;
  auto changed = [&] {
    if (regeneration_pending) {
      return;
    }
    regeneration_pending = true;
    loop.post([&] {
      regeneration_pending = false;
      auto records =
          std::make_shared<RecordSet>(generateRecords(follower->state(), config, listener_ips));
      metrics.recordsGenerated(records->recordCount(), follower->state().tasks().size());
      resolver.setRecords(std::move(records), static_cast<uint32_t>(loop.clock().wallSeconds()));
    });
  };
  follower = std::make_unique<StateFollower>(loop, config, *detector, metrics, log, changed);
  // Before any master answers: the listener's records (SOAMname), so the server answers at once.
  resolver.setRecords(
      std::make_shared<RecordSet>(generateRecords(follower->state(), config, listener_ips)),
      static_cast<uint32_t>(loop.clock().wallSeconds()));

  auto dns_server = startDns(loop, config, resolver, metrics, log);
  if (!dns_server) {
    log->error("dns_start_failed error=\"{}\"", dns_server.error().message());
    return 1;
  }
  HttpApi api(config, resolver, metrics);
  auto http_server = startHttp(loop, config, api, log);
  if (!http_server) {
    log->error("http_start_failed error=\"{}\"", http_server.error().message());
    return 1;
  }
  follower->start();
  loop.onSignal(SIGTERM, [&](int) { loop.stop(); });
  loop.onSignal(SIGINT, [&](int) { loop.stop(); });
  loop.run();
  log->info("dns_stopped");
  return 0;
}

int run(int argc, char** argv) {
  Config config;
  FlagValues values;
  if (auto code = configure(argc, argv, config, values)) {
    return *code;
  }
  auto log = makeLogger("dns", values.logging_level, values.log_dir, values.quiet);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  return serve(config, *log);
}

}  // namespace
}  // namespace plateau::dns

int main(int argc, char** argv) { return plateau::dns::run(argc, argv); }
