#pragma once

// ldns, the DNS library the wire format comes from. Its common.h defines bool, true and false
// as macros unless <stdbool.h> came first, which would break any C++ header included later.

#include <stdbool.h>  // NOLINT(modernize-deprecated-headers): see above

#include <ldns/ldns.h>
