// How a forward step is laid out as a whole-sequence kernel, decided on the
// IR alone (no LLVM): which values do not depend on the state and so are
// computed for all T·B rows before the time loop, which are computed per
// step, and where each lives in the kernel's scratch buffer.
#pragma once

#include <cstdint>
#include <vector>

#include "rnnc/ir.h"

namespace rnnc {

enum class Phase : std::uint8_t {
  Leaf,       // read from an argument buffer (input, parameter, constant, state)
  View,       // a slice: a window of another value's buffer, no code
  Hoisted,    // independent of the state: computed for all T·B rows before the loop
  Recurrent,  // depends on the state: computed for the B rows of each step
};

struct ValuePlacement {
  Phase phase = Phase::Leaf;
  std::int64_t offset = 0;  // Hoisted: floats per row before it; Recurrent: likewise within a step row
};

struct ForwardPlan {
  std::vector<ValuePlacement> values;  // per node
  std::int64_t hoisted_floats_per_row = 0;
  std::int64_t recurrent_floats_per_row = 0;
  std::int64_t state_floats_per_row = 0;

  // Floats of scratch a forward kernel needs for T steps and B samples:
  // the hoisted values of every row, one step's recurrent values, the
  // running states and the next states staged before they replace them.
  std::int64_t scratch_floats(std::int64_t steps, std::int64_t batch) const {
    return steps * batch * hoisted_floats_per_row + batch * (recurrent_floats_per_row + 2 * state_floats_per_row);
  }
};

ForwardPlan plan_forward(const Graph& graph);

}  // namespace rnnc
