#pragma once

// Base64 (RFC 4648): the standard alphabet with padding, as Mesos uses for protobuf `bytes`
// fields in JSON, and the URL-safe alphabet without padding.

#include <string>
#include <string_view>

#include "common/status.h"

namespace plateau::base64 {

// Encodes `data` with the standard alphabet, padded with '=' to a multiple of 4.
std::string encode(std::string_view data);

// Decodes standard-alphabet text. Padding is optional, but where present it must be
// complete and final. Whitespace and characters outside the alphabet are
// InvalidArgument, with the offending position in the message.
Result<std::string> decode(std::string_view text);

// Encodes `data` with the URL-safe alphabet ('-' and '_'), without padding.
std::string encodeUrlSafe(std::string_view data);

// Decodes URL-safe text; padding is optional, as in decode().
Result<std::string> decodeUrlSafe(std::string_view text);

}  // namespace plateau::base64
