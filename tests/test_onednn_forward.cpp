// The external oracle: the reference interpreter's forward pass over each
// standard cell in dsl/ must match oneDNN 2.6's RNN forward primitive on the
// same random weights, inputs and initial states, output by output at every
// step and in the final states.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "rnnc/frontend.h"
#include "rnnc/interpreter.h"
#include "support/onednn_rnn.h"
#include "support/random_data.h"

namespace {

using rnnc::testing::OnednnCell;
using rnnc::testing::RnnProblem;
using rnnc::testing::RnnSizes;

// Both sides compute in float; oneDNN's vectorized exp and tanh and its
// summation order differ from the interpreter's by a few ulps per step.
constexpr double tolerance = 1e-5;

// Odd extents so that a transposed matrix or a swapped stride cannot go
// unnoticed; I differs from H both ways; a single step of a single sample.
const std::vector<RnnSizes> shapes = {
    {.steps = 5, .batch = 3, .input = 7, .hidden = 9},
    {.steps = 1, .batch = 1, .input = 7, .hidden = 9},
    {.steps = 4, .batch = 2, .input = 13, .hidden = 5},
    {.steps = 12, .batch = 4, .input = 3, .hidden = 6},
};

// The same with a projection width P != H, smaller and larger.
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

// max |actual - expected| / max |expected|: normalizing by the largest
// magnitude instead of element by element keeps elements near zero, where
// rounding dominates, from failing a correct result, and stays scale-free.
// The callers require max |expected| to be well away from zero.
double relative_error(std::span<const float> actual, std::span<const float> expected) {
  double largest_difference = 0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    largest_difference = std::max(largest_difference, std::abs(double(actual[i]) - double(expected[i])));
  return largest_difference / max_abs(expected);
}

// Checks [steps][batch][width] sequences step by step, so that a failure
// names the first step that goes wrong.
void check_sequence(const std::vector<float>& actual, const std::vector<float>& expected, int steps) {
  REQUIRE(actual.size() == expected.size());
  const std::size_t step_size = expected.size() / static_cast<std::size_t>(steps);
  for (std::size_t step = 0; step < static_cast<std::size_t>(steps); ++step) {
    INFO("step " << step);
    std::span<const float> expected_step = std::span(expected).subspan(step * step_size, step_size);
    std::span<const float> actual_step = std::span(actual).subspan(step * step_size, step_size);
    // Guards against a vacuous pass on all-zero outputs.
    REQUIRE(max_abs(expected_step) > 0.01f);
    CHECK(relative_error(actual_step, expected_step) <= tolerance);
  }
}

void check_against_onednn(OnednnCell cell, const std::string& file_name, const RnnSizes& sizes) {
  INFO(file_name << ", " << describe(sizes));
  const rnnc::Graph graph = load_cell(file_name, sizes);
  REQUIRE(graph.inputs.size() == 1);

  // PyTorch's initialization scale for the weights; inputs and states in [-1, 1].
  const float weight_scale = 1.0f / std::sqrt(static_cast<float>(sizes.hidden));
  rnnc::testing::RandomData random(20240611);
  rnnc::SequenceArgs<float> args;
  args.steps = sizes.steps;
  args.batch = sizes.batch;
  RnnProblem problem{.cell = cell, .sizes = sizes};
  problem.x = random.uniform(rnnc::input_size(graph, 0, sizes.steps, sizes.batch));
  args.inputs = {problem.x};
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    args.initial_states.push_back(random.uniform(rnnc::state_size(graph, s, sizes.batch)));
    problem.initial_states[graph.states[s].name] = args.initial_states.back();
  }
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    args.params.push_back(random.uniform(rnnc::param_size(graph, p), weight_scale));
    problem.params[graph.params[p].name] = args.params.back();
  }

  const rnnc::testing::RnnForwardResult expected = rnnc::testing::run_onednn_forward(problem);
  const rnnc::SequenceResult<float> actual = rnnc::run_sequence<float>(graph, args);

  auto output = std::find_if(graph.outputs.begin(), graph.outputs.end(),
                             [](const rnnc::Output& candidate) { return candidate.name == "y"; });
  REQUIRE(output != graph.outputs.end());
  {
    INFO("output y");
    check_sequence(actual.outputs[static_cast<std::size_t>(output - graph.outputs.begin())], expected.y, sizes.steps);
  }
  REQUIRE(expected.final_states.size() == graph.states.size());
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    INFO("final state " << graph.states[s].name);
    check_sequence(actual.final_states[s], expected.final_states.at(graph.states[s].name), 1);
  }
}

}  // namespace

TEST_CASE("rnn.cell matches oneDNN vanilla_rnn with tanh", "[oracle]") {
  check_against_onednn(OnednnCell::Rnn, "rnn.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("rnn_relu.cell matches oneDNN vanilla_rnn with relu", "[oracle]") {
  check_against_onednn(OnednnCell::RnnRelu, "rnn_relu.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("lstm.cell matches oneDNN vanilla_lstm", "[oracle]") {
  check_against_onednn(OnednnCell::Lstm, "lstm.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("peephole_lstm.cell matches oneDNN vanilla_lstm with peepholes", "[oracle]") {
  check_against_onednn(OnednnCell::PeepholeLstm, "peephole_lstm.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("lstm_projection.cell matches oneDNN vanilla_lstm with projection", "[oracle]") {
  check_against_onednn(OnednnCell::LstmProjection, "lstm_projection.cell", GENERATE(from_range(projection_shapes)));
}

TEST_CASE("gru.cell matches oneDNN lbr_gru", "[oracle]") {
  check_against_onednn(OnednnCell::Gru, "gru.cell", GENERATE(from_range(shapes)));
}

TEST_CASE("gru_classic.cell matches oneDNN vanilla_gru", "[oracle]") {
  check_against_onednn(OnednnCell::GruClassic, "gru_classic.cell", GENERATE(from_range(shapes)));
}
