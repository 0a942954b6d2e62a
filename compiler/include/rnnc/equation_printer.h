// Renders a derived backward step as equations a person can read, for
// `rnnc grad`: single-use values are inlined, shared ones get names.
#pragma once

#include <string>

#include "rnnc/autodiff.h"

namespace rnnc {

std::string print_backward_equations(const Graph& forward, const BackwardStep& backward);

}  // namespace rnnc
