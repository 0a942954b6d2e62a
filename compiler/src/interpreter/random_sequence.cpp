#include "rnnc/random_sequence.h"

#include <algorithm>
#include <cmath>

namespace rnnc {

std::vector<double> random_buffer(std::size_t size, std::mt19937& generator, double scale) {
  std::uniform_real_distribution<double> uniform(-scale, scale);
  std::vector<double> values(size);
  for (double& value : values) value = float(uniform(generator));
  return values;
}

InterpreterArgs<double> random_interpreter_args(const Graph& graph, int steps, int batch, std::mt19937& generator) {
  InterpreterArgs<double> args;
  args.steps = steps;
  args.batch = batch;
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
    args.inputs.push_back(random_buffer(input_size(graph, i, steps, batch), generator, 1.0));
  }
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    args.initial_states.push_back(random_buffer(state_size(graph, s, batch), generator, 1.0));
  }
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    const Shape& shape = graph.params[p].shape;
    double scale = 0.5;
    if (shape.rank == 2) scale = std::min(scale, 1 / std::sqrt(double(shape.cols.constant_value())));
    args.params.push_back(random_buffer(param_size(graph, p), generator, scale));
  }
  return args;
}

LossAdjoints<double> random_loss(const SequenceResult<double>& result, std::mt19937& generator) {
  LossAdjoints<double> loss;
  for (const auto& output : result.outputs) loss.outputs.push_back(random_buffer(output.size(), generator, 1.0));
  for (const auto& state : result.final_states) {
    loss.final_states.push_back(random_buffer(state.size(), generator, 1.0));
  }
  return loss;
}

}  // namespace rnnc
