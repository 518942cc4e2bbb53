#pragma once

// A signing key read from the file a flag names (--jwt_secret_key of the agent,
// --operator_jwt_secret_key of the master).

#include <string>
#include <string_view>

#include "common/status.h"

namespace plateau::auth {

// The contents of the file `value` names ("/path" or "file:///path", as readSecretFile reads
// it). InvalidArgument naming the flag when the file cannot be read or is empty.
Result<std::string> readKeyFile(std::string_view flag, std::string_view value);

}  // namespace plateau::auth
