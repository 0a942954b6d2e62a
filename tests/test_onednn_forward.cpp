// The external oracle: the reference interpreter's forward pass over each
// standard cell in dsl/ must match oneDNN 2.6's RNN forward primitive on the
// same random weights, inputs and initial states, output by output at every
// step and in the final states.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "rnnc/interpreter.h"
#include "support/onednn_rnn.h"
#include "support/oracle_cases.h"

namespace {

using rnnc::testing::OnednnCell;
using rnnc::testing::oracle_projection_shapes;
using rnnc::testing::oracle_shapes;
using rnnc::testing::RnnSizes;

// Both sides compute in float; oneDNN's vectorized exp and tanh and its
// summation order differ from the interpreter's by a few ulps per step.
constexpr rnnc::testing::Agreement agreement{.tolerance = 1e-5, .least_magnitude = 0.01f};

void check_against_onednn(OnednnCell cell, const std::string& file_name, const RnnSizes& sizes) {
  INFO(file_name << ", " << rnnc::testing::describe(sizes));
  const rnnc::Graph graph = rnnc::testing::load_cell(file_name, sizes);
  REQUIRE(graph.inputs.size() == 1);

  rnnc::testing::OracleProblem data(cell, sizes, 20240611);
  data.draw_input(graph);
  for (std::size_t s = 0; s < graph.states.size(); ++s) data.draw_initial_state(graph, s);
  data.draw_params(graph);

  const rnnc::testing::RnnForwardResult expected = rnnc::testing::run_onednn_forward(data.problem);
  const rnnc::SequenceResult<float> actual = rnnc::run_sequence<float>(graph, data.args);

  auto output = std::find_if(graph.outputs.begin(), graph.outputs.end(),
                             [](const rnnc::Output& candidate) { return candidate.name == "y"; });
  REQUIRE(output != graph.outputs.end());
  {
    INFO("output y");
    rnnc::testing::check_steps(actual.outputs[static_cast<std::size_t>(output - graph.outputs.begin())], expected.y,
                               sizes.steps, agreement);
  }
  REQUIRE(expected.final_states.size() == graph.states.size());
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    INFO("final state " << graph.states[s].name);
    rnnc::testing::check_steps(actual.final_states[s], expected.final_states.at(graph.states[s].name), 1, agreement);
  }
}

}  // namespace

TEST_CASE("rnn.cell matches oneDNN vanilla_rnn with tanh", "[oracle]") {
  check_against_onednn(OnednnCell::Rnn, "rnn.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("rnn_relu.cell matches oneDNN vanilla_rnn with relu", "[oracle]") {
  check_against_onednn(OnednnCell::RnnRelu, "rnn_relu.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("lstm.cell matches oneDNN vanilla_lstm", "[oracle]") {
  check_against_onednn(OnednnCell::Lstm, "lstm.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("peephole_lstm.cell matches oneDNN vanilla_lstm with peepholes", "[oracle]") {
  check_against_onednn(OnednnCell::PeepholeLstm, "peephole_lstm.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("lstm_projection.cell matches oneDNN vanilla_lstm with projection", "[oracle]") {
  check_against_onednn(OnednnCell::LstmProjection, "lstm_projection.cell",
                       GENERATE(from_range(oracle_projection_shapes())));
}

TEST_CASE("gru.cell matches oneDNN lbr_gru", "[oracle]") {
  check_against_onednn(OnednnCell::Gru, "gru.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("gru_classic.cell matches oneDNN vanilla_gru", "[oracle]") {
  check_against_onednn(OnednnCell::GruClassic, "gru_classic.cell", GENERATE(from_range(oracle_shapes())));
}
