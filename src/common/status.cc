// Placeholder so the library has a source until real ones land.
#include "common/status.h"
