// Reverse-mode differentiation of a cell step. The backward step is itself
// cell IR, run backwards in time:
//   states        the adjoints of the forward states flowing in from step t+1
//                 (named d<h>'); next_states: the adjoints of the previous
//                 states, carried to step t-1 (d<h>)
//   inputs        what the backward step reads from the forward pass (saved
//                 values, the forward inputs, previous and next states) and
//                 the adjoints of the step's outputs (d<y>); input_sources says
//                 which is which
//   outputs       the adjoints of the forward inputs (d<x>), in input order
//   param_gradients  each parameter's contributions, summed over time and
//                 batch by whoever runs the step; matrices get Outer nodes
//                 (g vᵀ) so code generators can batch them over all steps.
#pragma once

#include <cstddef>
#include <vector>

#include "rnnc/ir.h"

namespace rnnc {

// Where a backward-step input comes from.
struct BackwardInputSource {
  enum class Kind {
    Saved,          // a forward node stored by the training forward pass; index: forward node id
    ForwardInput,   // this step's forward input; index: forward input
    PreviousState,  // the forward state read by this step; index: forward state
    NextState,      // the forward state written by this step; index: forward state
    OutputAdjoint,  // the loss adjoint of this step's output; index: forward output
  };
  Kind kind;
  int index;
};

// Which forward values the training forward pass stores per step. Activation
// outputs are stored so that the backward step needs no transcendental
// function (softplus is the exception: its derivative is a sigmoid);
// cheap arithmetic on stored values is recomputed.
struct SavePlan {
  std::vector<NodeId> saved;  // forward node ids, in the order they are stored
  // Floats stored per step and sample: the saved values plus the states.
  std::size_t floats_per_step = 0;
  std::size_t saved_floats = 0;
  std::size_t state_floats = 0;
};

struct BackwardStep {
  Graph graph;
  std::vector<BackwardInputSource> input_sources;  // parallel to graph.inputs
  SavePlan plan;
};

// Differentiates a bound forward step. The result is simplified.
BackwardStep differentiate(const Graph& forward);

}  // namespace rnnc
