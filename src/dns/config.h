#pragma once

// plateau-dns's settings: Mesos-DNS's config.json (same keys, matched without regard to case as
// Mesos-DNS's JSON decoding does, unknown keys ignored), each also a command-line flag that
// overrides the file. Parsed once at start-up into a const Config.

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "dns/labels.h"

namespace plateau::dns {

struct Config {
  std::string zk;                    // zk://host:port[,...]/path: the leading master
  std::vector<std::string> masters;  // host:port of each master
  int refresh_seconds = 60;          // full resync (GET_STATE) period
  int ttl = 60;
  std::string domain = "mesos";
  int port = 53;  // DNS, UDP and TCP; 0 picks a free port (reported in the log)
  std::vector<std::string> resolvers = {"8.8.8.8"};
  int timeout = 5;  // seconds, for forwarded queries
  int state_timeout_seconds = 300;
  int zk_detection_timeout = 30;
  std::string listener = "0.0.0.0";
  std::string http_listener = "0.0.0.0";
  std::string soa_mname = "ns1.mesos";
  std::string soa_rname = "root.ns1.mesos";
  uint32_t soa_refresh = 60;
  uint32_t soa_retry = 600;
  uint32_t soa_expire = 86400;
  uint32_t soa_minttl = 60;
  bool dns_on = true;
  bool http_on = true;
  int http_port = 8123;  // 0 picks a free port
  bool external_on = true;
  bool recurse_on = true;
  bool enforce_rfc952 = false;
  bool enumeration_on = true;
  bool set_truncate_bit = true;
  int srv_record_default_weight = 1;
  std::vector<std::string> ip_sources = {"netinfo", "mesos", "host"};
  std::string file;  // where it was read from, as /v1/config shows it
  // Mesos-DNS's MesosCredentials {Principal, Secret} and MesosAuthentication ("basic" or ""), or
  // the --mesos_authentication_principal/_secret_file flags: with a principal, every call to the
  // master's operator API carries it as HTTP Basic credentials.
  std::string mesos_principal;
  std::string mesos_secret;
  std::string mesos_authentication;

  LabelRules labelRules() const {
    return enforce_rfc952 ? LabelRules::kRfc952 : LabelRules::kRfc1123;
  }
  // The domain as a fully qualified name ("mesos.").
  std::string zone() const { return domain + "."; }
  // The Authorization header of calls to the master ("" without a principal).
  std::string authorization() const;
};

// Applies the members of a config.json text over `config`. InvalidArgument naming the field on
// malformed JSON or a value of the wrong kind or range.
Status applyConfigJson(const std::string& text, Config& config);

// Reads and applies a config file; InvalidArgument (naming the file) when unreadable.
Status applyConfigFile(const std::string& path, Config& config);

// Checks the whole and completes it as Mesos-DNS does at start-up: domain lower-cased, SOA names
// made fully qualified ('@' in SOARname becomes '.'). InvalidArgument naming the field.
Status finishConfig(Config& config);

// The configuration as Mesos-DNS's /v1/config shows it (Go's field names).
std::string configJson(const Config& config, uint32_t soa_serial);

// Parses "a,b,c" (spaces trimmed, empty items dropped).
std::vector<std::string> splitList(const std::string& text);
std::string joinList(const std::vector<std::string>& items);

}  // namespace plateau::dns
