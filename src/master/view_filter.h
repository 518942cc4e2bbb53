#pragma once

// The master's name for what a principal may see (auth/view_filter.h, shared with the agent).

#include "auth/view_filter.h"

namespace plateau::master {

using auth::filterQuotaStatus;
using auth::filterResources;
using auth::ViewFilter;

}  // namespace plateau::master
