// The external oracle for derivatives: backpropagation through time with the
// backward step rnnc derives from each standard cell in dsl/ (rnnc/autodiff.h,
// run by the reference interpreter, rnnc/bptt.h) must match oneDNN 2.6's
// forward_training + backward primitives on the same random weights, inputs,
// initial states and loss adjoints: the gradients of the input at every step,
// of the initial states and of every parameter.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "rnnc/autodiff.h"
#include "rnnc/bptt.h"
#include "rnnc/frontend.h"
#include "rnnc/interpreter.h"
#include "support/onednn_rnn.h"
#include "support/random_data.h"

namespace {

using rnnc::testing::OnednnCell;
using rnnc::testing::RnnSizes;

// Both sides compute in float, in different orders; gradients are sums over
// time and batch, so rounding grows with T and B. The worst error seen is
// below 1e-6; a wrong gate, bias split, sign or transposition is off by far
// more than 1e-4.
constexpr double tolerance = 1e-4;

// As in test_onednn_forward.cpp: odd extents, I above and below H, a single
// step of a single sample, and a longer sequence.
const std::vector<RnnSizes> shapes = {
    {.steps = 5, .batch = 3, .input = 7, .hidden = 9},
    {.steps = 1, .batch = 1, .input = 7, .hidden = 9},
    {.steps = 4, .batch = 2, .input = 13, .hidden = 5},
    {.steps = 12, .batch = 4, .input = 3, .hidden = 6},
};

const std::vector<RnnSizes> projection_shapes = {
    {.steps = 5, .batch = 3, .input = 7, .hidden = 9, .projection = 4},
    {.steps = 1, .batch = 1, .input = 7, .hidden = 9, .projection = 5},
    {.steps = 4, .batch = 2, .input = 13, .hidden = 5, .projection = 3},
    {.steps = 6, .batch = 3, .input = 6, .hidden = 4, .projection = 7},
};

std::string describe(const RnnSizes& sizes) {
  std::ostringstream text;
  text << "T=" << sizes.steps << " B=" << sizes.batch << " I=" << sizes.input << " H=" << sizes.hidden;
  if (sizes.projection > 0) text << " P=" << sizes.projection;
  return text.str();
}

rnnc::Graph load_cell(const std::string& file_name, const RnnSizes& sizes) {
  std::string error;
  auto source = rnnc::read_source_file(std::string(RNNC_SOURCE_DIR) + "/dsl/" + file_name, error);
  INFO(error);
  REQUIRE(source);
  rnnc::DimensionArgs dimensions = {{"I", sizes.input}, {"H", sizes.hidden}};
  if (sizes.projection > 0) dimensions.emplace_back("P", sizes.projection);
  rnnc::DiagnosticEngine diagnostics(*source);
  auto graph = rnnc::build_ir(*source, dimensions, diagnostics);
  std::ostringstream messages;
  diagnostics.print(messages);
  INFO(messages.str());
  REQUIRE(graph);
  return std::move(*graph);
}

float max_abs(std::span<const float> values) {
  float largest = 0;
  for (float value : values) largest = std::max(largest, std::abs(value));
  return largest;
}

// max |actual - expected| / max |expected|, as in test_onednn_forward.cpp:
// scale-free, and elements near zero cannot fail a correct result.
double relative_error(std::span<const float> actual, std::span<const float> expected) {
  double largest_difference = 0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    largest_difference = std::max(largest_difference, std::abs(double(actual[i]) - double(expected[i])));
  return largest_difference / max_abs(expected);
}

// Checks one gradient as `parts` equal slices (the steps of an input's
// gradient, or one slice for the others), so that a failure names the first
// step that goes wrong.
void check_gradient(const std::vector<float>& actual, const std::vector<float>& expected, int parts = 1) {
  REQUIRE(actual.size() == expected.size());
  const std::size_t part_size = expected.size() / static_cast<std::size_t>(parts);
  for (std::size_t part = 0; part < static_cast<std::size_t>(parts); ++part) {
    INFO("step " << part);
    std::span<const float> expected_part = std::span(expected).subspan(part * part_size, part_size);
    std::span<const float> actual_part = std::span(actual).subspan(part * part_size, part_size);
    // Guards against a vacuous pass on all-zero gradients.
    REQUIRE(max_abs(expected_part) > 1e-3f);
    CHECK(relative_error(actual_part, expected_part) <= tolerance);
  }
}

void check_gradients_against_onednn(OnednnCell cell, const std::string& file_name, const RnnSizes& sizes) {
  INFO(file_name << ", " << describe(sizes));
  const rnnc::Graph graph = load_cell(file_name, sizes);
  REQUIRE(graph.inputs.size() == 1);
  REQUIRE(graph.outputs.size() == 1);
  REQUIRE(graph.outputs[0].name == "y");

  // PyTorch's initialization scale for the weights; inputs, states and the
  // loss's adjoints in [-1, 1], so that no gradient is a plain sum.
  const float weight_scale = 1.0f / std::sqrt(static_cast<float>(sizes.hidden));
  rnnc::testing::RandomData random(20240612);
  rnnc::SequenceArgs<float> args;
  args.steps = sizes.steps;
  args.batch = sizes.batch;
  rnnc::LossAdjoints<float> loss;
  rnnc::testing::RnnProblem problem{.cell = cell, .sizes = sizes};
  rnnc::testing::RnnLossAdjoints onednn_loss;
  problem.x = random.uniform(rnnc::input_size(graph, 0, sizes.steps, sizes.batch));
  args.inputs = {problem.x};
  onednn_loss.y = random.uniform(static_cast<std::size_t>(sizes.steps * sizes.batch * sizes.state_width()));
  loss.outputs = {onednn_loss.y};
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    const std::string& name = graph.states[s].name;
    const std::size_t size = rnnc::state_size(graph, s, sizes.batch);
    args.initial_states.push_back(random.uniform(size));
    problem.initial_states[name] = args.initial_states.back();
    loss.final_states.push_back(random.uniform(size));
    onednn_loss.final_states[name] = loss.final_states.back();
  }
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    args.params.push_back(random.uniform(rnnc::param_size(graph, p), weight_scale));
    problem.params[graph.params[p].name] = args.params.back();
  }

  const rnnc::testing::RnnGradients expected = rnnc::testing::run_onednn_backward(problem, onednn_loss);
  const rnnc::BackwardStep backward = rnnc::differentiate(graph);
  const rnnc::SequenceGradients<float> actual =
      rnnc::run_backward<float>(graph, backward, args, loss, /*truncation=*/0);

  {
    INFO("gradient of x (diff_src_layer)");
    REQUIRE(actual.inputs.size() == 1);
    check_gradient(actual.inputs[0], expected.x, sizes.steps);
  }
  REQUIRE(actual.initial_states.size() == graph.states.size());
  REQUIRE(expected.initial_states.size() == graph.states.size());
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    const std::string& name = graph.states[s].name;
    INFO("gradient of initial state " << name << " (diff_src_iter" << (name == "c" ? "_c)" : ")"));
    check_gradient(actual.initial_states[s], expected.initial_states.at(name));
  }
  REQUIRE(actual.params.size() == graph.params.size());
  REQUIRE(expected.params.size() == graph.params.size());
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    INFO("gradient of parameter " << graph.params[p].name);
    check_gradient(actual.params[p], expected.params.at(graph.params[p].name));
  }
}

}  // namespace

TEST_CASE("rnn.cell gradients match oneDNN vanilla_rnn backward with tanh", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::Rnn, "rnn.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("rnn_relu.cell gradients match oneDNN vanilla_rnn backward with relu", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::RnnRelu, "rnn_relu.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("lstm.cell gradients match oneDNN vanilla_lstm backward", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::Lstm, "lstm.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("peephole_lstm.cell gradients match oneDNN vanilla_lstm backward with peepholes", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::PeepholeLstm, "peephole_lstm.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("lstm_projection.cell gradients match oneDNN vanilla_lstm backward with projection", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::LstmProjection, "lstm_projection.cell",
                                 GENERATE(from_range(projection_shapes)));
}

TEST_CASE("gru.cell gradients match oneDNN lbr_gru backward", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::Gru, "gru.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("gru_classic.cell gradients match oneDNN vanilla_gru backward", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::GruClassic, "gru_classic.cell", GENERATE(from_range(shapes)));
}
