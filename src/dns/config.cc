#include "dns/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/base64.h"
#include "common/json.h"

namespace plateau::dns {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Status fieldError(std::string_view key, std::string_view what) {
  return Status(StatusCode::kInvalidArgument, fmt::format("config field '{}': {}", key, what));
}

Status readInt(std::string_view key, const json::Value& v, int64_t min, int64_t max, int64_t& out) {
  auto n = v.toInt64();
  if (!v.isNumber() || !n) {
    return fieldError(key, "expected an integer");
  }
  if (*n < min || *n > max) {
    return fieldError(key, fmt::format("{} is out of range [{}, {}]", *n, min, max));
  }
  out = *n;
  return Status::ok();
}

Status readString(std::string_view key, const json::Value& v, std::string& out) {
  if (!v.isString()) {
    return fieldError(key, "expected a string");
  }
  out = v.asString();
  return Status::ok();
}

Status readBool(std::string_view key, const json::Value& v, bool& out) {
  if (!v.isBool()) {
    return fieldError(key, "expected true or false");
  }
  out = v.asBool();
  return Status::ok();
}

Status readStrings(std::string_view key, const json::Value& v, std::vector<std::string>& out) {
  if (!v.isArray()) {
    return fieldError(key, "expected an array of strings");
  }
  std::vector<std::string> items;
  for (const auto& item : v.asArray()) {
    if (!item.isString()) {
      return fieldError(key, "expected an array of strings");
    }
    items.push_back(item.asString());
  }
  out = std::move(items);
  return Status::ok();
}

using Setter = std::function<Status(std::string_view key, const json::Value& v, Config& c)>;

template <class T>
Setter intField(T Config::*member, int64_t min, int64_t max) {
  return [member, min, max](std::string_view key, const json::Value& v, Config& c) {
    int64_t n = 0;
    Status s = readInt(key, v, min, max, n);
    if (s.isOk()) {
      c.*member = static_cast<T>(n);
    }
    return s;
  };
}

Setter stringField(std::string Config::*member) {
  return [member](std::string_view key, const json::Value& v, Config& c) {
    return readString(key, v, c.*member);
  };
}

Setter boolField(bool Config::*member) {
  return [member](std::string_view key, const json::Value& v, Config& c) {
    return readBool(key, v, c.*member);
  };
}

// MesosCredentials: {"Principal": ..., "Secret": ...}, keys matched without regard to case.
Status readCredentials(std::string_view key, const json::Value& v, Config& c) {
  if (!v.isObject()) {
    return fieldError(key, "expected an object with Principal and Secret");
  }
  for (const auto& member : v.asObject()) {
    std::string name = lower(member.key);
    std::string* out = name == "principal" ? &c.mesos_principal
                       : name == "secret"  ? &c.mesos_secret
                                           : nullptr;
    if (out != nullptr && !member.value.isNull()) {
      if (Status s = readString(fmt::format("{}.{}", key, member.key), member.value, *out);
          !s.isOk()) {
        return s;
      }
    }
  }
  return Status::ok();
}

Setter listField(std::vector<std::string> Config::*member) {
  return [member](std::string_view key, const json::Value& v, Config& c) {
    return readStrings(key, v, c.*member);
  };
}

// Mesos-DNS's config.json keys, lower-cased.
const std::vector<std::pair<std::string, Setter>>& setters() {
  constexpr int64_t kIntMax = 0x7fffffff;
  constexpr int64_t kU32Max = 0xffffffff;
  static const std::vector<std::pair<std::string, Setter>> table = {
      {"zk", stringField(&Config::zk)},
      {"masters", listField(&Config::masters)},
      {"refreshseconds", intField(&Config::refresh_seconds, 1, kIntMax)},
      {"ttl", intField(&Config::ttl, 0, kIntMax)},
      {"domain", stringField(&Config::domain)},
      {"port", intField(&Config::port, 0, 65535)},
      {"resolvers", listField(&Config::resolvers)},
      {"timeout", intField(&Config::timeout, 0, kIntMax)},
      {"statetimeoutseconds", intField(&Config::state_timeout_seconds, 1, kIntMax)},
      {"zkdetectiontimeout", intField(&Config::zk_detection_timeout, 0, kIntMax)},
      {"listener", stringField(&Config::listener)},
      {"httplistener", stringField(&Config::http_listener)},
      {"soamname", stringField(&Config::soa_mname)},
      {"soarname", stringField(&Config::soa_rname)},
      {"soarefresh", intField(&Config::soa_refresh, 0, kU32Max)},
      {"soaretry", intField(&Config::soa_retry, 0, kU32Max)},
      {"soaexpire", intField(&Config::soa_expire, 0, kU32Max)},
      {"soaminttl", intField(&Config::soa_minttl, 0, kU32Max)},
      {"dnson", boolField(&Config::dns_on)},
      {"httpon", boolField(&Config::http_on)},
      {"httpport", intField(&Config::http_port, 0, 65535)},
      {"externalon", boolField(&Config::external_on)},
      {"recurseon", boolField(&Config::recurse_on)},
      {"enforcerfc952", boolField(&Config::enforce_rfc952)},
      {"enumerationon", boolField(&Config::enumeration_on)},
      {"settruncatebit", boolField(&Config::set_truncate_bit)},
      {"srvrecorddefaultweight", intField(&Config::srv_record_default_weight, 0, 65535)},
      {"ipsources", listField(&Config::ip_sources)},
      {"mesoscredentials", readCredentials},
      {"mesosauthentication", stringField(&Config::mesos_authentication)},
  };
  return table;
}

bool isIp(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// host:port with a port in 1..65535 ([v6]:port accepted).
bool isHostPort(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return false;
  }
  std::string port = text.substr(colon + 1);
  if (!std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      port.size() > 5 || std::stoi(port) == 0 || std::stoi(port) > 65535) {
    return false;
  }
  std::string host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') {
    return isIp(host.substr(1, host.size() - 2));
  }
  return host.find(':') == std::string::npos;
}

bool validDomain(const std::string& domain) {
  if (domain.empty() || domain.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    if (dot == std::string::npos) {
      dot = domain.size();
    }
    std::string_view part(domain.data() + start, dot - start);
    if (part.empty() || part.size() > 63 || part.front() == '-' || part.back() == '-') {
      return false;
    }
    for (unsigned char c : part) {
      if (!std::isalnum(c) && c != '-') {
        return false;
      }
    }
    start = dot + 1;
  }
  return true;
}

std::string fullyQualified(std::string name) {
  while (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  return name + ".";
}

}  // namespace

Status applyConfigJson(const std::string& text, Config& config) {
  auto parsed = json::parse(text);
  if (!parsed) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("config is not valid JSON: {}", parsed.error().message()));
  }
  if (!parsed->isObject()) {
    return Status(StatusCode::kInvalidArgument, "config must be a JSON object");
  }
  for (const auto& member : parsed->asObject()) {
    if (member.value.isNull()) {
      continue;  // as Go's decoder: null leaves the default
    }
    std::string key = lower(member.key);
    for (const auto& [name, set] : setters()) {
      if (name == key) {
        if (Status s = set(member.key, member.value, config); !s.isOk()) {
          return s;
        }
        break;
      }
    }
  }
  return Status::ok();
}

Status applyConfigFile(const std::string& path, Config& config) {
  std::ifstream in(path);
  if (!in) {
    return Status(StatusCode::kInvalidArgument, fmt::format("cannot read config file '{}'", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  Status s = applyConfigJson(ss.str(), config);
  if (!s.isOk()) {
    return Status(s.code(), fmt::format("{}: {}", path, s.message()));
  }
  config.file = path;
  return Status::ok();
}

Status finishConfig(Config& config) {
  if (!config.dns_on && !config.http_on) {
    return fieldError("dnson", "either the DNS or the HTTP server must be on (dnson, httpon)");
  }
  if (config.zk.empty() && config.masters.empty()) {
    return fieldError("masters", "give the masters or zk");
  }
  if (!config.mesos_authentication.empty() && config.mesos_authentication != "basic") {
    return fieldError(
        "MesosAuthentication",
        fmt::format("'{}' is not supported: only 'basic' (or none)", config.mesos_authentication));
  }
  if (config.mesos_authentication == "basic" && config.mesos_principal.empty()) {
    return fieldError("MesosCredentials", "'basic' authentication needs a Principal");
  }
  if (!config.zk.empty() && !config.zk.starts_with("zk://")) {
    return fieldError("zk", fmt::format("'{}' is not a zk://host:port/path URL", config.zk));
  }
  std::set<std::string> seen;
  for (const auto& master : config.masters) {
    if (!isHostPort(master)) {
      return fieldError("masters", fmt::format("illegal host:port '{}'", master));
    }
    if (!seen.insert(master).second) {
      return fieldError("masters", fmt::format("duplicate master '{}'", master));
    }
  }
  if (config.external_on) {
    seen.clear();
    for (const auto& resolver : config.resolvers) {
      if (!isIp(resolver) && !isHostPort(resolver)) {
        return fieldError("resolvers", fmt::format("'{}' is neither an IP nor IP:port", resolver));
      }
      if (!seen.insert(resolver).second) {
        return fieldError("resolvers", fmt::format("duplicate resolver '{}'", resolver));
      }
    }
  }
  if (config.ip_sources.empty()) {
    return fieldError("IPSources", "empty");
  }
  seen.clear();
  for (const auto& source : config.ip_sources) {
    static const std::set<std::string> kKnown = {"host", "mesos", "docker", "netinfo", "autoip"};
    if (!kKnown.contains(source)) {
      return fieldError("IPSources", fmt::format("invalid IP source '{}'", source));
    }
    if (!seen.insert(source).second) {
      return fieldError("IPSources", fmt::format("duplicate IP source '{}'", source));
    }
  }
  config.domain = lower(config.domain);
  while (!config.domain.empty() && config.domain.back() == '.') {
    config.domain.pop_back();
  }
  if (!validDomain(config.domain)) {
    return fieldError("domain", fmt::format("'{}' is not a valid domain name", config.domain));
  }
  if (!isIp(config.listener)) {
    return fieldError("listener", fmt::format("'{}' is not an IP address", config.listener));
  }
  if (!isIp(config.http_listener)) {
    return fieldError("HTTPListener",
                      fmt::format("'{}' is not an IP address", config.http_listener));
  }
  if (config.soa_mname.empty()) {
    return fieldError("SOAMname", "empty");
  }
  if (config.soa_rname.empty()) {
    return fieldError("SOARname", "empty");
  }
  std::replace(config.soa_rname.begin(), config.soa_rname.end(), '@', '.');
  config.soa_rname = fullyQualified(lower(config.soa_rname));
  config.soa_mname = fullyQualified(lower(config.soa_mname));
  return Status::ok();
}

std::string configJson(const Config& c, uint32_t soa_serial) {
  std::string out;
  json::Writer w(&out);
  auto list = [&](const char* key, const std::vector<std::string>& items) {
    w.key(key);
    w.beginArray();
    for (const auto& item : items) {
      w.value(item);
    }
    w.endArray();
  };
  auto num = [&](const char* key, int64_t value) {
    w.key(key);
    w.value(value);
  };
  auto text = [&](const char* key, const std::string& value) {
    w.key(key);
    w.value(value);
  };
  auto flag = [&](const char* key, bool value) {
    w.key(key);
    w.value(value);
  };
  w.beginObject();
  num("RefreshSeconds", c.refresh_seconds);
  num("Port", c.port);
  num("Timeout", c.timeout);
  num("StateTimeoutSeconds", c.state_timeout_seconds);
  num("ZkDetectionTimeout", c.zk_detection_timeout);
  num("HttpPort", c.http_port);
  num("TTL", c.ttl);
  num("SOASerial", soa_serial);
  num("SOARefresh", c.soa_refresh);
  num("SOARetry", c.soa_retry);
  num("SOAExpire", c.soa_expire);
  num("SOAMinttl", c.soa_minttl);
  text("SOAMname", c.soa_mname);
  text("SOARname", c.soa_rname);
  list("Masters", c.masters);
  list("Resolvers", c.resolvers);
  list("IPSources", c.ip_sources);
  text("Zk", c.zk);
  text("Domain", c.domain);
  text("File", c.file);
  text("Listener", c.listener);
  text("HTTPListener", c.http_listener);
  flag("RecurseOn", c.recurse_on);
  flag("DnsOn", c.dns_on);
  flag("HttpOn", c.http_on);
  flag("ExternalOn", c.external_on);
  flag("EnforceRFC952", c.enforce_rfc952);
  flag("EnumerationOn", c.enumeration_on);
  flag("SetTruncateBit", c.set_truncate_bit);
  num("SRVRecordDefaultWeight", c.srv_record_default_weight);
  // The secret never leaves the process: only whether there is one.
  w.key("MesosCredentials");
  w.beginObject();
  text("Principal", c.mesos_principal);
  text("Secret", c.mesos_secret.empty() ? "" : "<hidden>");
  w.endObject();
  text("MesosAuthentication", c.mesos_authentication);
  w.endObject();
  return out;
}

std::string Config::authorization() const {
  if (mesos_principal.empty()) {
    return "";
  }
  return "Basic " + base64::encode(mesos_principal + ":" + mesos_secret);
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(" \t");
    size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) {
      out.push_back(item.substr(b, e - b + 1));
    }
  }
  return out;
}

std::string joinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += ",";
    }
    out += item;
  }
  return out;
}

}  // namespace plateau::dns
