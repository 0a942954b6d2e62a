// Backpropagation through time in the reference interpreter: the forward
// pass over a sequence, then the derived backward step run in reverse, with
// full or truncated windows. The oracle for generated backward kernels.
#pragma once

#include <vector>

#include "rnnc/autodiff.h"
#include "rnnc/interpreter.h"

namespace rnnc {

// The adjoints of the loss that flow into the sequence. An empty vector
// means zero. Layouts as in interpreter.h.
template <class Real>
struct LossAdjoints {
  std::vector<std::vector<Real>> outputs;       // per forward output: [T][B][len]
  std::vector<std::vector<Real>> final_states;  // per forward state: [B][len]
};

template <class Real>
struct SequenceGradients {
  std::vector<std::vector<Real>> inputs;          // per forward input: [T][B][len]
  std::vector<std::vector<Real>> initial_states;  // per forward state: [B][len]
  std::vector<std::vector<Real>> params;          // per parameter, summed over time and batch
};

// `truncation` k > 0 splits the sequence into windows of k steps: the state
// is carried forward across windows, but adjoints stop at each window's
// start, so initial-state gradients come from the first window only.
// 0 means full BPTT. Throws std::invalid_argument on wrong buffer sizes.
template <class Real>
SequenceGradients<Real> run_backward(const Graph& forward, const BackwardStep& backward,
                                     const InterpreterArgs<Real>& args, const LossAdjoints<Real>& loss,
                                     int truncation = 0);

extern template SequenceGradients<float> run_backward<float>(const Graph&, const BackwardStep&,
                                                             const InterpreterArgs<float>&, const LossAdjoints<float>&,
                                                             int);
extern template SequenceGradients<double> run_backward<double>(const Graph&, const BackwardStep&,
                                                               const InterpreterArgs<double>&,
                                                               const LossAdjoints<double>&, int);

}  // namespace rnnc
