#include "service/mesos_credential.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace plateau::service {

Result<MesosCredential> loadMesosCredential(const std::string& principal,
                                            const std::string& secret_file) {
  if (principal.empty() && secret_file.empty()) {
    return MesosCredential{};
  }
  if (principal.empty() || secret_file.empty()) {
    return std::unexpected(Status(StatusCode::kInvalidArgument,
                                  "Flags '--mesos_authentication_principal' and "
                                  "'--mesos_authentication_secret_file' go together"));
  }
  std::ifstream in(secret_file, std::ios::binary);
  if (!in) {
    return std::unexpected(Status(
        StatusCode::kInvalidArgument,
        fmt::format("Flag '--mesos_authentication_secret_file': cannot read '{}'", secret_file)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return MesosCredential{principal, text.str()};
}

}  // namespace plateau::service
