// The reference interpreter: evaluates a bound cell IR over whole sequences
// with plain loops. It is the oracle for every generated kernel, so it is
// kept simple enough to trust by reading.
//
// Buffer layouts (all dense, row-major):
//   input i        [T][B][len]   time-major, like oneDNN's `tnc`
//   initial state  [B][len]
//   parameter      scalar: [1]; vector: [len]; matrix [rows][cols]
//   output         [T][B][len]
//   final state    [B][len]
// Vectors are indexed in the order the cell declares its symbols.
#pragma once

#include <vector>

#include "rnnc/ir.h"

namespace rnnc {

template <class Real>
struct InterpreterArgs {
  int steps = 1;
  int batch = 1;
  std::vector<std::vector<Real>> inputs;          // per graph.inputs
  std::vector<std::vector<Real>> initial_states;  // per graph.states
  std::vector<std::vector<Real>> params;          // per graph.params
};

template <class Real>
struct SequenceResult {
  std::vector<std::vector<Real>> outputs;       // per graph.outputs
  std::vector<std::vector<Real>> final_states;  // per graph.states
};

// The values of every node for one step of one sample. Each operand of the
// step is a pointer to that sample's vector.
template <class Real>
struct StepValues {
  std::vector<std::vector<Real>> nodes;  // per graph node
};

// Evaluates one step of one sample: inputs[i], states[s] and params[p] point
// to that sample's data. Fills `values.nodes`.
template <class Real>
void evaluate_step(const Graph& graph, const std::vector<const Real*>& inputs, const std::vector<const Real*>& states,
                   const std::vector<const Real*>& params, StepValues<Real>& values);

// Throws std::invalid_argument when the graph is not bound or a buffer has
// the wrong size.
template <class Real>
void validate_interpreter_args(const Graph& graph, const InterpreterArgs<Real>& args);

// Runs the cell over a sequence; validates its arguments first.
template <class Real>
SequenceResult<Real> run_sequence(const Graph& graph, const InterpreterArgs<Real>& args);

// Number of elements each buffer of `run_sequence` must hold.
std::size_t input_size(const Graph& graph, std::size_t input, int steps, int batch);
std::size_t state_size(const Graph& graph, std::size_t state, int batch);
std::size_t param_size(const Graph& graph, std::size_t param);

extern template void evaluate_step<float>(const Graph&, const std::vector<const float*>&,
                                          const std::vector<const float*>&, const std::vector<const float*>&,
                                          StepValues<float>&);
extern template void evaluate_step<double>(const Graph&, const std::vector<const double*>&,
                                           const std::vector<const double*>&, const std::vector<const double*>&,
                                           StepValues<double>&);
extern template void validate_interpreter_args<float>(const Graph&, const InterpreterArgs<float>&);
extern template void validate_interpreter_args<double>(const Graph&, const InterpreterArgs<double>&);
extern template SequenceResult<float> run_sequence<float>(const Graph&, const InterpreterArgs<float>&);
extern template SequenceResult<double> run_sequence<double>(const Graph&, const InterpreterArgs<double>&);

}  // namespace rnnc
