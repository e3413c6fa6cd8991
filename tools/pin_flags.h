// The configuration flags a user gave, as the planner's pins: shared by `planner` and `whatif`,
// which search every dimension the flags leave unset.
#pragma once

#include "planner/search_pins.h"
#include "tools/config_flags.h"

namespace ptsim {

PinFlags pin_flags(const cli::ConfigFlags& f);

}  // namespace ptsim
