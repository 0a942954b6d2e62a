// The external oracle for derivatives: backpropagation through time with the
// backward step rnnc derives from each standard cell in dsl/ (rnnc/autodiff.h,
// run by the reference interpreter, rnnc/bptt.h) must match oneDNN 2.6's
// forward_training + backward primitives on the same random weights, inputs,
// initial states and loss adjoints: the gradients of the input at every step,
// of the initial states and of every parameter.
#include <catch2/catch.hpp>

#include <string>

#include "rnnc/autodiff.h"
#include "rnnc/bptt.h"
#include "rnnc/interpreter.h"
#include "support/onednn_rnn.h"
#include "support/oracle_cases.h"

namespace {

using rnnc::testing::OnednnCell;
using rnnc::testing::oracle_projection_shapes;
using rnnc::testing::oracle_shapes;
using rnnc::testing::RnnSizes;

// Both sides compute in float, in different orders; gradients are sums over
// time and batch, so rounding grows with T and B. The worst error seen is
// below 1e-6; a wrong gate, bias split, sign or transposition is off by far
// more than 1e-4.
constexpr rnnc::testing::Agreement agreement{.tolerance = 1e-4, .least_magnitude = 1e-3f};

void check_gradients_against_onednn(OnednnCell cell, const std::string& file_name, const RnnSizes& sizes) {
  INFO(file_name << ", " << rnnc::testing::describe(sizes));
  const rnnc::Graph graph = rnnc::testing::load_cell(file_name, sizes);
  REQUIRE(graph.inputs.size() == 1);
  REQUIRE(graph.outputs.size() == 1);
  REQUIRE(graph.outputs[0].name == "y");

  // The loss's adjoints in [-1, 1] like the inputs and states, so that no
  // gradient is a plain sum.
  rnnc::testing::OracleProblem data(cell, sizes, 20240612);
  rnnc::LossAdjoints<float> loss;
  rnnc::testing::RnnLossAdjoints onednn_loss;
  data.draw_input(graph);
  onednn_loss.y = data.random.uniform(static_cast<std::size_t>(sizes.steps * sizes.batch * sizes.state_width()));
  loss.outputs = {onednn_loss.y};
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    data.draw_initial_state(graph, s);
    loss.final_states.push_back(data.random.uniform(rnnc::state_size(graph, s, sizes.batch)));
    onednn_loss.final_states[graph.states[s].name] = loss.final_states.back();
  }
  data.draw_params(graph);

  const rnnc::testing::RnnGradients expected = rnnc::testing::run_onednn_backward(data.problem, onednn_loss);
  const rnnc::BackwardStep backward = rnnc::differentiate(graph);
  const rnnc::SequenceGradients<float> actual =
      rnnc::run_backward<float>(graph, backward, data.args, loss, /*truncation=*/0);

  {
    INFO("gradient of x (diff_src_layer)");
    REQUIRE(actual.inputs.size() == 1);
    rnnc::testing::check_steps(actual.inputs[0], expected.x, sizes.steps, agreement);
  }
  REQUIRE(actual.initial_states.size() == graph.states.size());
  REQUIRE(expected.initial_states.size() == graph.states.size());
  for (std::size_t s = 0; s < graph.states.size(); ++s) {
    const std::string& name = graph.states[s].name;
    INFO("gradient of initial state " << name << " (diff_src_iter" << (name == "c" ? "_c)" : ")"));
    rnnc::testing::check_steps(actual.initial_states[s], expected.initial_states.at(name), 1, agreement);
  }
  REQUIRE(actual.params.size() == graph.params.size());
  REQUIRE(expected.params.size() == graph.params.size());
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    INFO("gradient of parameter " << graph.params[p].name);
    rnnc::testing::check_steps(actual.params[p], expected.params.at(graph.params[p].name), 1, agreement);
  }
}

}  // namespace

TEST_CASE("rnn.cell gradients match oneDNN vanilla_rnn backward with tanh", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::Rnn, "rnn.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("rnn_relu.cell gradients match oneDNN vanilla_rnn backward with relu", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::RnnRelu, "rnn_relu.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("lstm.cell gradients match oneDNN vanilla_lstm backward", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::Lstm, "lstm.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("peephole_lstm.cell gradients match oneDNN vanilla_lstm backward with peepholes", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::PeepholeLstm, "peephole_lstm.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("lstm_projection.cell gradients match oneDNN vanilla_lstm backward with projection", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::LstmProjection, "lstm_projection.cell",
                                 GENERATE(from_range(oracle_projection_shapes())));
}

TEST_CASE("gru.cell gradients match oneDNN lbr_gru backward", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::Gru, "gru.cell", GENERATE(from_range(oracle_shapes())));
}

TEST_CASE("gru_classic.cell gradients match oneDNN vanilla_gru backward", "[oracle]") {
  check_gradients_against_onednn(OnednnCell::GruClassic, "gru_classic.cell", GENERATE(from_range(oracle_shapes())));
}
