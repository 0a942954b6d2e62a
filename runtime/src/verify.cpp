#include "rnnc/verify.h"

#include <cmath>
#include <random>

#include "rnnc/bptt.h"
#include "rnnc/random_sequence.h"

namespace rnnc {

namespace {

std::vector<float> to_float(const std::vector<double>& values) { return {values.begin(), values.end()}; }

double worst_error(std::span<const float> actual, const std::vector<double>& expected) {
  double worst = 0;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    double error = std::abs(double(actual[k]) - expected[k]) / std::max(1.0, std::abs(expected[k]));
    worst = std::max(worst, std::isnan(error) ? INFINITY : error);
  }
  return worst;
}

}  // namespace

std::vector<VerifiedBuffer> verify_cell(Cell& cell, std::int64_t steps, std::int64_t batch, std::uint32_t seed) {
  const Graph& graph = cell.graph();
  std::mt19937 generator(seed);
  const InterpreterArgs<double> reference = random_interpreter_args(graph, int(steps), int(batch), generator);
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    std::vector<float> values = to_float(reference.params[p]);
    std::copy(values.begin(), values.end(), cell.parameter(p).begin());
  }
  SequenceResult<double> expected = run_sequence(graph, reference);
  LossAdjoints<double> loss = random_loss(expected, generator);
  SequenceGradients<double> expected_gradients =
      run_backward(graph, cell.compiled().backward_step(), reference, loss);

  std::vector<std::vector<float>> inputs, initial_states, outputs, final_states;
  for (const auto& input : reference.inputs) inputs.push_back(to_float(input));
  for (const auto& state : reference.initial_states) initial_states.push_back(to_float(state));
  for (const auto& output : expected.outputs) outputs.emplace_back(output.size(), NAN);
  for (const auto& state : expected.final_states) final_states.emplace_back(state.size(), NAN);
  ForwardArgs args{steps, batch, {}, {}, {}, {}};
  for (const auto& input : inputs) args.inputs.emplace_back(input);
  for (const auto& state : initial_states) args.initial_states.emplace_back(state);
  for (auto& output : outputs) args.outputs.emplace_back(output);
  for (auto& state : final_states) args.final_states.emplace_back(state);

  std::vector<VerifiedBuffer> report;
  auto check_forward = [&](const std::string& pass) {
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      report.push_back({pass + " output " + graph.outputs[o].name, worst_error(outputs[o], expected.outputs[o])});
    }
    for (std::size_t s = 0; s < final_states.size(); ++s) {
      report.push_back({pass + " final state " + graph.states[s].name, worst_error(final_states[s], expected.final_states[s])});
    }
  };
  cell.forward_inference(args);
  check_forward("fwd-infer");
  cell.forward_training(args);
  check_forward("fwd-train");

  std::vector<std::vector<float>> output_adjoints, final_adjoints, input_adjoints, initial_adjoints;
  for (const auto& adjoint : loss.outputs) output_adjoints.push_back(to_float(adjoint));
  for (const auto& adjoint : loss.final_states) final_adjoints.push_back(to_float(adjoint));
  for (const auto& input : inputs) input_adjoints.emplace_back(input.size(), NAN);
  for (const auto& state : initial_states) initial_adjoints.emplace_back(state.size(), NAN);
  BackwardArgs backward;
  for (const auto& adjoint : output_adjoints) backward.output_adjoints.emplace_back(adjoint);
  for (const auto& adjoint : final_adjoints) backward.final_state_adjoints.emplace_back(adjoint);
  for (auto& adjoint : input_adjoints) backward.input_adjoints.emplace_back(adjoint);
  for (auto& adjoint : initial_adjoints) backward.initial_state_adjoints.emplace_back(adjoint);
  cell.zero_gradients();
  cell.backward(backward);
  for (std::size_t i = 0; i < input_adjoints.size(); ++i) {
    report.push_back({"bwd input " + graph.inputs[i].name, worst_error(input_adjoints[i], expected_gradients.inputs[i])});
  }
  for (std::size_t s = 0; s < initial_adjoints.size(); ++s) {
    report.push_back({"bwd initial state " + graph.states[s].name,
                      worst_error(initial_adjoints[s], expected_gradients.initial_states[s])});
  }
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    report.push_back({"bwd param " + graph.params[p].name, worst_error(cell.gradient(p), expected_gradients.params[p])});
  }
  return report;
}

}  // namespace rnnc
