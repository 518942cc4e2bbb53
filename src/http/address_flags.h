#pragma once

// The flags mesos-master and mesos-agent share (libprocess's, in Mesos) about where a daemon
// listens, how others are told to reach it, and which of its endpoints answer:
// --advertise_ip, --advertise_port, --ip_discovery_command and --firewall_rules.
//
// The daemon still binds --ip:--port; the advertised address is what it publishes (the
// master's MasterInfo, pid and redirects; the agent's AgentInfo and pid), for when others reach
// it through NAT, a proxy or a container's port mapping.

#include <cstdint>
#include <optional>
#include <string>

#include "common/flags.h"
#include "common/status.h"
#include "http/firewall.h"

namespace plateau::http {

class AddressFlags {
 public:
  // Adds the four flags to `set` (their storage is this object, which must outlive it).
  // `daemon` names the process in their help ("master", "agent").
  void registerWith(flags::FlagSet& set, const std::string& daemon);

  // After set.parse(): runs --ip_discovery_command (through /bin/sh, before the daemon serves)
  // and makes its trimmed output `*ip`; checks the advertised address and parses
  // --firewall_rules. kInvalidArgument naming the flag: --ip_discovery_command together with
  // --ip, a command that fails or prints no IPv4 address, an advertised IP or port that is not
  // one, bad firewall rules.
  Status resolve(const flags::FlagSet& set, std::string* ip);

  // The IP to publish: --advertise_ip, else `bound_ip`.
  std::string advertisedIp(const std::string& bound_ip) const;
  // The port to publish: --advertise_port, else `bound_port`.
  uint16_t advertisedPort(uint16_t bound_port) const;
  // The parsed --firewall_rules (no rule when not given).
  const Firewall& firewall() const { return firewall_; }

 private:
  std::string advertise_ip_;
  std::string advertise_port_;
  std::string ip_discovery_command_;
  std::string firewall_rules_;
  std::optional<uint16_t> port_;
  Firewall firewall_;
};

// Whether `text` is a dotted-quad IPv4 address.
bool isIpv4(const std::string& text);

}  // namespace plateau::http
