#include "rnnc/bptt.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "rnnc/internal_error.h"
#include "rnnc/kernel_layout.h"

namespace rnnc {

namespace {

std::size_t length(const Shape& shape) { return std::size_t(element_count(shape)); }

// The forward pass, keeping what the backward pass reads: every node's value
// per step and sample, and the states before and after every step.
template <class Real>
struct ForwardTrace {
  std::vector<std::vector<StepValues<Real>>> steps;   // [t][b]
  std::vector<std::vector<std::vector<Real>>> states;  // [t][s] = [B][len], t = 0..T
};

template <class Real>
ForwardTrace<Real> trace_forward(const Graph& graph, const InterpreterArgs<Real>& args) {
  validate_interpreter_args(graph, args);
  ForwardTrace<Real> trace;
  std::vector<const Real*> params;
  for (const auto& param : args.params) params.push_back(param.data());
  trace.states.push_back(args.initial_states);
  std::vector<const Real*> inputs(graph.inputs.size()), states(graph.states.size());
  for (int t = 0; t < args.steps; ++t) {
    trace.steps.emplace_back(std::size_t(args.batch));
    std::vector<std::vector<Real>> next = trace.states.back();
    for (int b = 0; b < args.batch; ++b) {
      std::size_t row = std::size_t(t) * std::size_t(args.batch) + std::size_t(b);
      for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
        inputs[i] = args.inputs[i].data() + row * length(graph.inputs[i].shape);
      }
      for (std::size_t s = 0; s < graph.states.size(); ++s) {
        states[s] = trace.states.back()[s].data() + std::size_t(b) * length(graph.states[s].shape);
      }
      StepValues<Real>& values = trace.steps.back()[std::size_t(b)];
      evaluate_step(graph, inputs, states, params, values);
      for (std::size_t s = 0; s < graph.states.size(); ++s) {
        const std::vector<Real>& value = values.nodes[std::size_t(graph.next_states[s])];
        std::copy(value.begin(), value.end(), next[s].begin() + std::ptrdiff_t(std::size_t(b) * value.size()));
      }
    }
    trace.states.push_back(std::move(next));
  }
  return trace;
}

template <class Real>
void require_adjoint_sizes(const std::vector<std::vector<Real>>& adjoints, std::size_t count,
                           const std::vector<std::size_t>& sizes, const char* what) {
  if (adjoints.empty()) return;
  if (adjoints.size() != count) throw std::invalid_argument(fmt::format("{} adjoints: expected {} buffers", what, count));
  for (std::size_t i = 0; i < count; ++i) {
    if (!adjoints[i].empty() && adjoints[i].size() != sizes[i]) {
      throw std::invalid_argument(fmt::format("{} adjoint {} has {} elements, expected {}", what, i, adjoints[i].size(),
                                              sizes[i]));
    }
  }
}

}  // namespace

template <class Real>
SequenceGradients<Real> run_backward(const Graph& forward, const BackwardStep& backward,
                                     const InterpreterArgs<Real>& args, const LossAdjoints<Real>& loss,
                                     int truncation) {
  if (truncation < 0) throw std::invalid_argument("the truncation window must not be negative");
  const int T = args.steps, B = args.batch;
  ForwardTrace<Real> trace = trace_forward(forward, args);

  std::vector<std::size_t> output_sizes, state_sizes;
  for (const Output& output : forward.outputs) {
    output_sizes.push_back(std::size_t(T) * std::size_t(B) * length(forward.node(output.node).shape));
  }
  for (std::size_t s = 0; s < forward.states.size(); ++s) state_sizes.push_back(state_size(forward, s, B));
  require_adjoint_sizes(loss.outputs, forward.outputs.size(), output_sizes, "output");
  require_adjoint_sizes(loss.final_states, forward.states.size(), state_sizes, "final state");

  SequenceGradients<Real> gradients;
  for (std::size_t i = 0; i < forward.inputs.size(); ++i) gradients.inputs.emplace_back(input_size(forward, i, T, B));
  for (std::size_t s = 0; s < forward.states.size(); ++s) gradients.initial_states.emplace_back(state_sizes[s]);
  for (std::size_t p = 0; p < forward.params.size(); ++p) gradients.params.emplace_back(param_size(forward, p));

  const Graph& step_graph = backward.graph;
  // The sources of the backward kernel, which the trace stands in for.
  const KernelArguments arguments = backward_arguments(forward, backward, workspace_layout(forward, backward));
  std::vector<const Real*> params;
  for (const auto& param : args.params) params.push_back(param.data());
  std::vector<Real> zeros;
  for (const Symbol& input : step_graph.inputs) zeros.resize(std::max(zeros.size(), length(input.shape)));

  const int window = truncation == 0 ? std::max(T, 1) : truncation;
  StepValues<Real> values;
  std::vector<const Real*> inputs(step_graph.inputs.size()), states(step_graph.states.size());
  for (int window_start = ((std::max(T, 1) - 1) / window) * window; window_start >= 0; window_start -= window) {
    int window_end = std::min(window_start + window, T);
    // Adjoints carried backwards in time, [s] = [B][len]; they start from
    // the loss on the final states only in the last window.
    std::vector<std::vector<Real>> carried;
    for (std::size_t s = 0; s < forward.states.size(); ++s) {
      bool last_window = window_end == T;
      bool has_loss = !loss.final_states.empty() && !loss.final_states[s].empty();
      carried.push_back(last_window && has_loss ? loss.final_states[s] : std::vector<Real>(state_sizes[s]));
    }
    for (int t = window_end - 1; t >= window_start; --t) {
      std::vector<std::vector<Real>> next_carried = carried;
      for (int b = 0; b < B; ++b) {
        std::size_t row = std::size_t(t) * std::size_t(B) + std::size_t(b);
        const StepValues<Real>& forward_values = trace.steps[std::size_t(t)][std::size_t(b)];
        for (std::size_t i = 0; i < step_graph.inputs.size(); ++i) {
          const ArgumentBinding& binding = arguments.sources[i];
          std::size_t n = length(step_graph.inputs[i].shape);
          std::size_t index = std::size_t(binding.index);
          switch (binding.region) {
            case ArgumentBinding::Region::Saved: inputs[i] = forward_values.nodes[index].data(); break;
            case ArgumentBinding::Region::Input: inputs[i] = args.inputs[index].data() + row * n; break;
            case ArgumentBinding::Region::States:
              inputs[i] = trace.states[std::size_t(t + binding.step)][index].data() + std::size_t(b) * n;
              break;
            case ArgumentBinding::Region::OutputAdjoint: {
              bool given = !loss.outputs.empty() && !loss.outputs[index].empty();
              inputs[i] = given ? loss.outputs[index].data() + row * n : zeros.data();
              break;
            }
            default: RNNC_ASSERT(false, "a backward kernel source in no region of the backward pass");
          }
        }
        for (std::size_t s = 0; s < step_graph.states.size(); ++s) {
          states[s] = carried[s].data() + std::size_t(b) * length(step_graph.states[s].shape);
        }
        evaluate_step(step_graph, inputs, states, params, values);
        for (std::size_t s = 0; s < step_graph.states.size(); ++s) {
          const std::vector<Real>& value = values.nodes[std::size_t(step_graph.next_states[s])];
          std::copy(value.begin(), value.end(),
                    next_carried[s].begin() + std::ptrdiff_t(std::size_t(b) * value.size()));
        }
        for (std::size_t i = 0; i < step_graph.outputs.size(); ++i) {
          const std::vector<Real>& value = values.nodes[std::size_t(step_graph.outputs[i].node)];
          std::copy(value.begin(), value.end(), gradients.inputs[i].begin() + std::ptrdiff_t(row * value.size()));
        }
        for (const ParamGradient& gradient : step_graph.param_gradients) {
          const std::vector<Real>& value = values.nodes[std::size_t(gradient.node)];
          std::vector<Real>& total = gradients.params[std::size_t(gradient.param)];
          for (std::size_t k = 0; k < value.size(); ++k) total[k] += value.size() == 1 ? value[0] : value[k];
        }
      }
      carried = std::move(next_carried);
    }
    if (window_start == 0) gradients.initial_states = carried;
  }
  return gradients;
}

template SequenceGradients<float> run_backward<float>(const Graph&, const BackwardStep&, const InterpreterArgs<float>&,
                                                      const LossAdjoints<float>&, int);
template SequenceGradients<double> run_backward<double>(const Graph&, const BackwardStep&,
                                                        const InterpreterArgs<double>&, const LossAdjoints<double>&,
                                                        int);

}  // namespace rnnc
