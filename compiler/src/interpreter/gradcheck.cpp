#include "rnnc/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "rnnc/autodiff.h"
#include "rnnc/bptt.h"
#include "rnnc/random_sequence.h"

namespace rnnc {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

// The loss the gradients are of: Σ adjoint · value over outputs and final states.
double loss_of(const Graph& graph, const InterpreterArgs<double>& args, const LossAdjoints<double>& weights) {
  SequenceResult<double> result = run_sequence(graph, args);
  double total = 0;
  for (std::size_t o = 0; o < result.outputs.size(); ++o) total += dot(result.outputs[o], weights.outputs[o]);
  for (std::size_t s = 0; s < result.final_states.size(); ++s) {
    total += dot(result.final_states[s], weights.final_states[s]);
  }
  return total;
}

struct Buffer {
  std::string name;
  std::vector<double>* values;    // where to perturb
  const std::vector<double>* analytic;
};

}  // namespace

std::vector<GradientCheck> gradcheck(const Graph& forward, const GradcheckOptions& options) {
  std::mt19937 generator(options.seed);
  InterpreterArgs<double> args = random_interpreter_args(forward, options.steps, options.batch, generator);
  LossAdjoints<double> weights = random_loss(run_sequence(forward, args), generator);

  BackwardStep backward = differentiate(forward);
  SequenceGradients<double> analytic = run_backward(forward, backward, args, weights);

  std::vector<Buffer> buffers;
  for (std::size_t p = 0; p < forward.params.size(); ++p) {
    buffers.push_back({"param " + forward.params[p].name, &args.params[p], &analytic.params[p]});
  }
  for (std::size_t i = 0; i < forward.inputs.size(); ++i) {
    buffers.push_back({"input " + forward.inputs[i].name, &args.inputs[i], &analytic.inputs[i]});
  }
  for (std::size_t s = 0; s < forward.states.size(); ++s) {
    buffers.push_back({"initial state " + forward.states[s].name, &args.initial_states[s], &analytic.initial_states[s]});
  }

  std::vector<GradientCheck> checks;
  for (const Buffer& buffer : buffers) {
    GradientCheck check{buffer.name, 0, buffer.values->size(), 0.0};
    std::vector<std::size_t> elements(buffer.values->size());
    std::iota(elements.begin(), elements.end(), 0);
    if (elements.size() > options.max_elements) {
      std::shuffle(elements.begin(), elements.end(), generator);
      elements.resize(options.max_elements);
    }
    for (std::size_t k : elements) {
      double original = (*buffer.values)[k];
      (*buffer.values)[k] = original + options.step_size;
      double plus = loss_of(forward, args, weights);
      (*buffer.values)[k] = original - options.step_size;
      double minus = loss_of(forward, args, weights);
      (*buffer.values)[k] = original;
      double numeric = (plus - minus) / (2 * options.step_size);
      double exact = (*buffer.analytic)[k];
      double error = std::abs(exact - numeric) / std::max({1.0, std::abs(exact), std::abs(numeric)});
      check.worst_error = std::max(check.worst_error, std::isnan(error) ? INFINITY : error);
      ++check.checked;
    }
    checks.push_back(check);
  }
  return checks;
}

}  // namespace rnnc
