#include "auth/key_file.h"

#include <fmt/format.h>

#include "auth/credentials.h"

namespace plateau::auth {

Result<std::string> readKeyFile(std::string_view flag, std::string_view value) {
  auto file = readSecretFile(flag, value);
  if (!file) {
    return std::unexpected(file.error());
  }
  if (file->contents.empty()) {
    return std::unexpected(
        Status(StatusCode::kInvalidArgument,
               fmt::format("Flag '--{}': the file '{}' is empty", flag, file->path)));
  }
  return std::move(file->contents);
}

}  // namespace plateau::auth
