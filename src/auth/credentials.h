#pragma once

// Mesos's credentials files: the master's --credentials and the agent's --http_credentials
// (a list), the agent's --credential (one), and the secret files clients read. Mesos's formats:
// JSON ({"credentials": [{"principal": "p", "secret": "s"}]}, or {"principal", "secret"} for
// one) or, deprecated, one "principal secret" pair per line.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::auth {

struct Credential {
  std::string principal;
  std::string secret;
  bool operator==(const Credential&) const = default;
};

// A file named by a flag, as read.
struct SecretFile {
  std::string path;
  std::string contents;
  // Non-empty when users other than the owner may read the file (Mesos warns then too).
  std::string warning;
};

// Reads the file a flag names ("/path" or "file:///path"). InvalidArgument naming the flag and
// the path when it cannot be read.
Result<SecretFile> readSecretFile(std::string_view flag, std::string_view value);

// Parses a list of credentials. InvalidArgument naming `source` (the file) and the place: the
// JSON parser's line and column, or the entry / line that is wrong. An empty list is an error.
Result<std::vector<Credential>> parseCredentials(std::string_view text, std::string_view source);

// Parses one credential (a JSON object or one "principal secret" line); errors as above.
Result<Credential> parseCredential(std::string_view text, std::string_view source);

// Reads and parses the file a flag names; the file's warning (if any) goes to `warning`.
Result<std::vector<Credential>> loadCredentials(std::string_view flag, std::string_view value,
                                                std::string* warning);

}  // namespace plateau::auth
