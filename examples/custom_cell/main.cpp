// custom_cell: JIT-compiles the cell given on the command line (by default
// dsl/layernorm_lstm.cell) and trains it on a small memory task — recall
// the token seen a few steps ago — printing the loss as it falls. Any cell
// with one input x[I], one output and at least one state will do.
#include <charconv>
#include <cmath>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "project_files.h"
#include "rnnc/embedding.h"
#include "rnnc/recurrent_layer.h"
#include "rnnc/recurrent_stack.h"
#include "rnnc/softmax_output.h"

namespace {

struct Options {
  std::string cell_path;
  std::vector<std::string> dimensions;  // NAME=VALUE
  std::int64_t hidden = 64;
  std::int64_t steps = 300;
  std::uint64_t seed = 1;
};

// The task: a stream of random tokens; at each step, name the token read
// kDelay steps earlier.
constexpr std::int32_t kVocabulary = 8, kDelay = 3;
constexpr std::int64_t kEmbedding = 16, kSequence = 24, kBatch = 32, kReportEvery = 25;
constexpr float kLearningRate = 1e-2f, kClipNorm = 5.0f;

rnnc::DimensionArgs parse_dimensions(const Options& options) {
  rnnc::DimensionArgs dimensions;
  bool hidden_given = false;
  for (const std::string& binding : options.dimensions) {
    const std::size_t equals = binding.find('=');
    std::int64_t value = 0;
    const char* end = binding.data() + binding.size();
    if (equals == std::string::npos || std::from_chars(binding.data() + equals + 1, end, value).ptr != end) {
      throw rnnc::RuntimeError("-D takes NAME=VALUE, not '" + binding + "'");
    }
    dimensions.emplace_back(binding.substr(0, equals), value);
    hidden_given |= dimensions.back().first == "H";
  }
  if (!hidden_given) dimensions.emplace_back("H", options.hidden);
  return dimensions;
}

// Random tokens [kSequence][kBatch] and their delayed copies as targets
// (-1, ignored, for the first kDelay steps).
void make_batch(rnnc::Rng& rng, std::vector<std::int32_t>& tokens, std::vector<std::int32_t>& targets) {
  tokens.resize(kSequence * kBatch);
  targets.assign(tokens.size(), -1);
  for (std::int32_t& token : tokens) token = std::int32_t(rng.below(kVocabulary));
  for (std::size_t i = kDelay * kBatch; i < tokens.size(); ++i) targets[i] = tokens[i - kDelay * kBatch];
}

int run(const Options& options) {
  const std::string path =
      options.cell_path.empty() ? rnnc::examples::find_project_file("dsl/layernorm_lstm.cell") : options.cell_path;
  const rnnc::CellSpec spec = rnnc::CellSpec::from_file(path, parse_dimensions(options));
  rnnc::Embedding embedding(kVocabulary, kEmbedding);
  rnnc::RecurrentLayer layer(spec.compile(kEmbedding));
  rnnc::SoftmaxOutput output(layer.output_size(), kVocabulary);
  const rnnc::Graph& graph = layer.cell().graph();
  std::cout << fmt::format("cell '{}' from {}: {} states, {} parameters, output {}\n", graph.cell_name, path,
                           graph.states.size(), graph.params.size(), layer.output_size());
  std::cout << fmt::format("task: recall the token read {} steps ago ({} tokens; chance loss {:.3f})\n", kDelay,
                           kVocabulary, std::log(double(kVocabulary)));

  rnnc::Rng rng(options.seed);
  embedding.initialize(rnnc::WeightInit::pytorch_default, rng);
  layer.initialize(rnnc::WeightInit::pytorch_default, rng);
  output.initialize(rnnc::WeightInit::pytorch_default, rng);
  std::vector<rnnc::TrainableTensor> parameters = embedding.parameters("embedding.");
  for (auto& tensor : layer.parameters("cell.")) parameters.push_back(tensor);
  for (auto& tensor : output.parameters("output.")) parameters.push_back(tensor);
  auto adam = rnnc::make_adam(parameters, {.learning_rate = kLearningRate});

  std::vector<std::int32_t> tokens, targets;
  std::vector<float> hidden_adjoint;
  double loss_since_report = 0;
  for (std::int64_t step = 1; step <= options.steps; ++step) {
    make_batch(rng, tokens, targets);
    adam->zero_gradients();
    std::span<const float> hidden = layer.forward({kSequence, kBatch, embedding.forward(tokens), {}, {}, true});
    hidden_adjoint.resize(hidden.size());
    loss_since_report += output.loss_and_backward(hidden, targets, hidden_adjoint);
    embedding.backward(layer.backward(hidden_adjoint, {}));
    rnnc::clip_gradient_norm(parameters, kClipNorm);
    adam->step();
    layer.parameters_changed();
    output.parameters_changed();
    if (step % kReportEvery == 0 || step == options.steps) {
      std::int64_t steps = (step - 1) % kReportEvery + 1;
      std::cout << fmt::format("step {:5}  loss {:.4f}\n", step, loss_since_report / double(steps));
      loss_since_report = 0;
    }
  }

  // Loss and accuracy on fresh sequences.
  make_batch(rng, tokens, targets);
  std::span<const float> hidden = layer.forward({kSequence, kBatch, embedding.forward(tokens), {}, {}, false});
  const float loss = output.loss(hidden, targets);
  std::span<const float> log_probabilities = output.log_probabilities(hidden);
  std::int64_t correct = 0, counted = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (targets[i] < 0) continue;
    auto row = log_probabilities.subspan(i * kVocabulary, kVocabulary);
    correct += std::ranges::max_element(row) - row.begin() == targets[i];
    ++counted;
  }
  std::cout << fmt::format("final: loss={:.4f} accuracy={:.4f}\n", loss, double(correct) / double(counted));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"custom_cell: JIT-compile any .cell and train it on a small memory task."};
  Options options;
  app.add_option("cell", options.cell_path, "the .cell file (default: dsl/layernorm_lstm.cell)")
      ->check(CLI::ExistingFile);
  app.add_option("-D", options.dimensions, "bind a dimension other than I, NAME=VALUE (H defaults to --hidden)");
  app.add_option("--hidden", options.hidden, "H when -D does not bind it")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--steps", options.steps, "training steps")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--seed", options.seed, "seed of the weights and the data")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(options);
  } catch (const rnnc::RuntimeError& error) {
    std::cerr << "custom_cell: error: " << error.what() << "\n";
    return 1;
  }
}
