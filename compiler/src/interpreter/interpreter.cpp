#include "rnnc/interpreter.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "rnnc/internal_error.h"
#include "rnnc/scalar_ops.h"

namespace rnnc {

std::size_t input_size(const Graph& graph, std::size_t input, int steps, int batch) {
  return std::size_t(steps) * std::size_t(batch) * std::size_t(element_count(graph.inputs[input].shape));
}

std::size_t state_size(const Graph& graph, std::size_t state, int batch) {
  return std::size_t(batch) * std::size_t(element_count(graph.states[state].shape));
}

std::size_t param_size(const Graph& graph, std::size_t param) {
  return std::size_t(element_count(graph.params[param].shape));
}

namespace {

std::size_t length(const Shape& shape) { return std::size_t(element_count(shape)); }

// Broadcasting read: scalars and length-1 vectors repeat.
template <class Real>
Real at(const std::vector<Real>& values, std::size_t i) {
  return values.size() == 1 ? values[0] : values[i];
}

template <class Real>
void evaluate_node(const Node& node, const std::vector<const Real*>& inputs,
                   const std::vector<const Real*>& states, const std::vector<const Real*>& params,
                   const std::vector<std::vector<Real>>& values, std::vector<Real>& out) {
  std::size_t n = length(node.shape);
  out.assign(n, Real(0));
  auto operand = [&](std::size_t i) -> const std::vector<Real>& { return values[std::size_t(node.operands[i])]; };
  switch (op_class(node.op)) {
    case OpClass::Leaf: {
      const Real* source = nullptr;
      switch (node.op) {
        case Op::Constant: out[0] = Real(node.constant); return;
        case Op::Input: source = inputs[std::size_t(node.symbol)]; break;
        case Op::State: source = states[std::size_t(node.symbol)]; break;
        default: source = params[std::size_t(node.symbol)]; break;
      }
      for (std::size_t i = 0; i < n; ++i) out[i] = source[i];
      return;
    }
    case OpClass::Unary:
      for (std::size_t i = 0; i < n; ++i) out[i] = apply_unary(node.op, operand(0)[i]);
      return;
    case OpClass::Binary:
      for (std::size_t i = 0; i < n; ++i) out[i] = apply_binary(node.op, at(operand(0), i), at(operand(1), i));
      return;
    case OpClass::MatVec: {
      // W is [rows][cols]; MatVec reads it by rows, MatVecT by columns.
      const Real* matrix = params[std::size_t(node.symbol)];
      const std::vector<Real>& x = operand(0);
      bool transposed = node.op == Op::MatVecT;
      std::size_t cols = transposed ? n : x.size();
      for (std::size_t i = 0; i < n; ++i) {
        Real sum = 0;
        for (std::size_t k = 0; k < x.size(); ++k) sum += (transposed ? matrix[k * cols + i] : matrix[i * cols + k]) * x[k];
        out[i] = sum;
      }
      return;
    }
    case OpClass::Outer: {
      const std::vector<Real>& g = operand(0);
      const std::vector<Real>& v = operand(1);
      for (std::size_t row = 0; row < g.size(); ++row) {
        for (std::size_t col = 0; col < v.size(); ++col) out[row * v.size() + col] = g[row] * v[col];
      }
      return;
    }
    case OpClass::Broadcast:
      for (std::size_t i = 0; i < n; ++i) out[i] = operand(0)[0];
      return;
    case OpClass::Pad: {
      std::size_t begin = std::size_t(node.slice_begin.constant_value());
      for (std::size_t i = 0; i < operand(0).size(); ++i) out[begin + i] = operand(0)[i];
      return;
    }
    case OpClass::Slice: {
      std::size_t begin = std::size_t(node.slice_begin.constant_value());
      for (std::size_t i = 0; i < n; ++i) out[i] = operand(0)[begin + i];
      return;
    }
    case OpClass::Concat: {
      std::size_t position = 0;
      for (std::size_t part = 0; part < node.operands.size(); ++part) {
        for (Real value : operand(part)) out[position++] = value;
      }
      return;
    }
    case OpClass::Reduce: {
      Real sum = 0;
      for (Real value : operand(0)) sum += value;
      out[0] = node.op == Op::Mean ? sum / Real(operand(0).size()) : sum;
      return;
    }
    case OpClass::Softmax: {
      // Subtracting the maximum keeps exp() from overflowing.
      const std::vector<Real>& x = operand(0);
      Real largest = x[0];
      for (Real value : x) largest = std::max(largest, value);
      Real total = 0;
      for (std::size_t i = 0; i < n; ++i) total += out[i] = std::exp(x[i] - largest);
      for (std::size_t i = 0; i < n; ++i) out[i] /= total;
      return;
    }
  }
}

void require_size(std::size_t actual, std::size_t expected, const std::string& what) {
  if (actual != expected) {
    throw std::invalid_argument(fmt::format("{} has {} elements, expected {}", what, actual, expected));
  }
}

}  // namespace

template <class Real>
void evaluate_step(const Graph& graph, const std::vector<const Real*>& inputs, const std::vector<const Real*>& states,
                   const std::vector<const Real*>& params, StepValues<Real>& values) {
  values.nodes.resize(graph.nodes.size());
  for (std::size_t id = 0; id < graph.nodes.size(); ++id) {
    evaluate_node(graph.nodes[id], inputs, states, params, values.nodes, values.nodes[id]);
  }
}

template <class Real>
void validate_interpreter_args(const Graph& graph, const InterpreterArgs<Real>& args) {
  if (!graph.is_bound()) throw std::invalid_argument("the cell's dimensions are not bound");
  if (args.steps < 0 || args.batch < 0) throw std::invalid_argument("steps and batch must not be negative");
  require_size(args.inputs.size(), graph.inputs.size(), "the input list");
  require_size(args.initial_states.size(), graph.states.size(), "the initial state list");
  require_size(args.params.size(), graph.params.size(), "the parameter list");
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
    require_size(args.inputs[i].size(), input_size(graph, i, args.steps, args.batch), "input " + graph.inputs[i].name);
  }
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    require_size(args.initial_states[s].size(), state_size(graph, s, args.batch), "state " + graph.states[s].name);
  }
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    require_size(args.params[p].size(), param_size(graph, p), "parameter " + graph.params[p].name);
  }
}

template <class Real>
SequenceResult<Real> run_sequence(const Graph& graph, const InterpreterArgs<Real>& args) {
  validate_interpreter_args(graph, args);

  SequenceResult<Real> result;
  result.final_states = args.initial_states;
  for (std::size_t o = 0; o < graph.outputs.size(); ++o) {
    std::size_t len = length(graph.node(graph.outputs[o].node).shape);
    result.outputs.emplace_back(std::size_t(args.steps) * std::size_t(args.batch) * len);
  }
  std::vector<const Real*> params;
  for (const auto& param : args.params) params.push_back(param.data());

  StepValues<Real> values;
  std::vector<const Real*> inputs(graph.inputs.size()), states(graph.states.size());
  for (int t = 0; t < args.steps; ++t) {
    for (int b = 0; b < args.batch; ++b) {
      std::size_t row = std::size_t(t) * std::size_t(args.batch) + std::size_t(b);
      for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
        inputs[i] = args.inputs[i].data() + row * length(graph.inputs[i].shape);
      }
      for (std::size_t s = 0; s < graph.states.size(); ++s) {
        states[s] = result.final_states[s].data() + std::size_t(b) * length(graph.states[s].shape);
      }
      evaluate_step(graph, inputs, states, params, values);
      // All reads of this sample's states are done; overwrite them in place.
      for (std::size_t s = 0; s < graph.states.size(); ++s) {
        const std::vector<Real>& next = values.nodes[std::size_t(graph.next_states[s])];
        std::copy(next.begin(), next.end(), result.final_states[s].begin() + std::ptrdiff_t(b * next.size()));
      }
      for (std::size_t o = 0; o < graph.outputs.size(); ++o) {
        const std::vector<Real>& value = values.nodes[std::size_t(graph.outputs[o].node)];
        std::copy(value.begin(), value.end(), result.outputs[o].begin() + std::ptrdiff_t(row * value.size()));
      }
    }
  }
  return result;
}

template void evaluate_step<float>(const Graph&, const std::vector<const float*>&, const std::vector<const float*>&,
                                   const std::vector<const float*>&, StepValues<float>&);
template void evaluate_step<double>(const Graph&, const std::vector<const double*>&, const std::vector<const double*>&,
                                    const std::vector<const double*>&, StepValues<double>&);
template void validate_interpreter_args<float>(const Graph&, const InterpreterArgs<float>&);
template void validate_interpreter_args<double>(const Graph&, const InterpreterArgs<double>&);
template SequenceResult<float> run_sequence<float>(const Graph&, const InterpreterArgs<float>&);
template SequenceResult<double> run_sequence<double>(const Graph&, const InterpreterArgs<double>&);

}  // namespace rnnc
