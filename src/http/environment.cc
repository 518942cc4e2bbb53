#include <string_view>

#include "http/limits.h"
#include "http/tls_config.h"
#include "http/tls_flags.h"

extern char** environ;

namespace plateau::http {

namespace {

EnvironmentMap variablesStartingWith(std::initializer_list<std::string_view> prefixes) {
  EnvironmentMap env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    for (std::string_view prefix : prefixes) {
      if (entry.starts_with(prefix)) {
        env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
        break;
      }
    }
  }
  return env;
}

}  // namespace

EnvironmentMap tlsEnvironment() {
  EnvironmentMap env = variablesStartingWith({"LIBPROCESS_SSL_", "SSL_"});
  for (auto& [name, value] : tlsFlagSettings()) {
    env[name] = value;
  }
  return env;
}

EnvironmentMap limitsEnvironment() { return variablesStartingWith({"PLATEAU_HTTP_"}); }

}  // namespace plateau::http
