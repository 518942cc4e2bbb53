#pragma once

// UTF-8 (RFC 3629) helpers shared by the JSON parser and writer.

#include <cstddef>
#include <cstdint>
#include <string>

namespace plateau::utf8 {

// Length (1 to 4) of the well-formed UTF-8 sequence that starts at `p` (which must be before
// `end`): no overlong forms, no surrogates, nothing above U+10FFFF. 0 if the bytes there are
// not one, including a sequence cut off by `end`.
size_t sequenceLength(const char* p, const char* end);

// Appends `code_point`, which must be at most U+10FFFF and not a surrogate, as UTF-8.
void appendCodePoint(std::string& out, uint32_t code_point);

}  // namespace plateau::utf8
