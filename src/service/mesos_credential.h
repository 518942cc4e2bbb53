#pragma once

// The credential a service (plateau-apps, plateau-jobs, plateau-dns) presents to the master:
// Marathon's and Chronos's --mesos_authentication_principal and
// --mesos_authentication_secret_file (the file's bytes are the secret, as they read it).

#include <string>

#include "common/status.h"

namespace plateau::service {

struct MesosCredential {
  std::string principal;  // "" for none
  std::string secret;
};

// InvalidArgument naming the flag when the secret file cannot be read, or when one flag is
// given without the other.
Result<MesosCredential> loadMesosCredential(const std::string& principal,
                                            const std::string& secret_file);

}  // namespace plateau::service
