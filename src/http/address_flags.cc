#include "http/address_flags.h"

#include <arpa/inet.h>
#include <sys/wait.h>

#include <cstdio>

#include <fmt/format.h>

namespace plateau::http {

namespace {

std::string trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    return "";
  }
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

// The standard output of `command` run by /bin/sh, or why it failed.
Result<std::string> runDiscovery(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return invalidArgument(fmt::format("Flag '--ip_discovery_command': cannot run '{}'", command));
  }
  std::string out;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) {
    if (out.size() < 4096) {
      out.append(buffer, n);
    }
  }
  int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return invalidArgument(fmt::format("Flag '--ip_discovery_command': '{}' failed ({})", command,
                                       status != -1 && WIFEXITED(status)
                                           ? fmt::format("exit status {}", WEXITSTATUS(status))
                                           : std::string("did not exit normally")));
  }
  return trim(out);
}

}  // namespace

bool isIpv4(const std::string& text) {
  in_addr addr{};
  return ::inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

void AddressFlags::registerWith(flags::FlagSet& set, const std::string& daemon) {
  set.add(
      "advertise_ip", &advertise_ip_,
      fmt::format("IP address others are told to reach this {} at (it still binds --ip)", daemon),
      {.env = {"LIBPROCESS_ADVERTISE_IP"}});
  set.add("advertise_port", &advertise_port_,
          fmt::format("Port others are told to reach this {} at (it still binds --port)", daemon),
          {.env = {"LIBPROCESS_ADVERTISE_PORT"}});
  set.add("ip_discovery_command", &ip_discovery_command_,
          "Shell command run at startup whose output is the IP address to listen on (not with "
          "--ip)");
  set.add("firewall_rules", &firewall_rules_,
          "Endpoints to disable, JSON (or a file path): {\"disabled_endpoints\": {\"paths\": "
          "[\"/files/browse\"]}}; they answer 403",
          {.file = flags::FileValue::kUrlOrPath});
}

Status AddressFlags::resolve(const flags::FlagSet& set, std::string* ip) {
  if (!ip_discovery_command_.empty()) {
    if (set.given("ip")) {
      return {StatusCode::kInvalidArgument,
              "Only one of '--ip' or '--ip_discovery_command' may be given"};
    }
    auto discovered = runDiscovery(ip_discovery_command_);
    if (!discovered) {
      return discovered.error();
    }
    if (!isIpv4(*discovered)) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Flag '--ip_discovery_command': '{}' printed '{}', not an IPv4 address",
                          ip_discovery_command_, *discovered)};
    }
    *ip = *discovered;
  }
  if (!advertise_ip_.empty() && !isIpv4(advertise_ip_)) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Invalid value '{}' for flag '--advertise_ip': not an IPv4 address",
                        advertise_ip_)};
  }
  port_.reset();
  if (!advertise_port_.empty()) {
    char* end = nullptr;
    long port = std::strtol(advertise_port_.c_str(), &end, 10);
    if (end != advertise_port_.c_str() + advertise_port_.size() || port < 1 || port > 65535) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Invalid value '{}' for flag '--advertise_port': not a port (1-65535)",
                          advertise_port_)};
    }
    port_ = static_cast<uint16_t>(port);
  }
  firewall_ = Firewall();
  if (!firewall_rules_.empty()) {
    auto parsed = Firewall::parse(firewall_rules_);
    if (!parsed) {
      return parsed.error();
    }
    firewall_ = std::move(*parsed);
  }
  return {};
}

std::string AddressFlags::advertisedIp(const std::string& bound_ip) const {
  return advertise_ip_.empty() ? bound_ip : advertise_ip_;
}

uint16_t AddressFlags::advertisedPort(uint16_t bound_port) const {
  return port_.value_or(bound_port);
}

}  // namespace plateau::http
