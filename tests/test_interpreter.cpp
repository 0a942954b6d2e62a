// The reference interpreter against values computed by hand and against an
// LSTM written directly from its textbook equations.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "rnnc/frontend.h"
#include "rnnc/interpreter.h"
#include "support/cells.h"

using rnnc::testing::ir_of;

namespace {

std::vector<double> random_vector(std::size_t size, std::mt19937& generator) {
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> values(size);
  for (double& value : values) value = uniform(generator);
  return values;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

TEST_CASE("an Elman step matches a hand computation", "[interpreter]") {
  rnnc::Graph graph = ir_of(R"(cell rnn<I, H> {
  input x[I]
  state h[H]
  param W[H, I], U[H, H], b[H]
  h' = tanh(W @ x + U @ h + b)
  output y = 2 * h'
})",
                            {{"I", 2}, {"H", 2}});
  rnnc::InterpreterArgs<double> args;
  args.steps = 2;
  args.batch = 1;
  args.inputs = {{1, 2, /* step 2: */ 0, 0}};
  args.initial_states = {{0.5, -0.5}};
  args.params = {{0.1, 0.2, 0.3, 0.4}, {1, 0, 0, 1}, {0.0, -1.0}};
  rnnc::SequenceResult<double> result = rnnc::run_sequence(graph, args);
  // Step 1: W x = (0.5, 1.1); U h = (0.5, -0.5); + b = (1.0, -0.4).
  double h1a = std::tanh(1.0), h1b = std::tanh(-0.4);
  // Step 2: x = 0, so h2 = tanh(h1 + b).
  double h2a = std::tanh(h1a), h2b = std::tanh(h1b - 1.0);
  CHECK(result.final_states[0][0] == Approx(h2a).epsilon(1e-15));
  CHECK(result.final_states[0][1] == Approx(h2b).epsilon(1e-15));
  REQUIRE(result.outputs[0].size() == 4);
  CHECK(result.outputs[0][0] == Approx(2 * h1a).epsilon(1e-15));
  CHECK(result.outputs[0][1] == Approx(2 * h1b).epsilon(1e-15));
  CHECK(result.outputs[0][2] == Approx(2 * h2a).epsilon(1e-15));
}

TEST_CASE("reductions, softmax, broadcasting and concatenation", "[interpreter]") {
  rnnc::Graph graph = ir_of(R"(cell c<H> {
  input x[H]
  state h[H]
  param k
  s = softmax(x)
  output total = sum(s)
  output average = mean(x)
  output joined = [x[0:1], k, max(x, 0.5), min(x, 0.5)]
  output scaled = x * k + 1
  output smooth = [softplus(x), abs(x), relu(x), sqrt(abs(x)), log(abs(x)), exp(x), sigmoid(x)]
  h' = s
})",
                            {{"H", 3}});
  rnnc::InterpreterArgs<double> args;
  args.inputs = {{1.0, -2.0, 3.0}};
  args.initial_states = {{0, 0, 0}};
  args.params = {{10.0}};
  rnnc::SequenceResult<double> result = rnnc::run_sequence(graph, args);

  double e1 = std::exp(1.0), e2 = std::exp(-2.0), e3 = std::exp(3.0), total = e1 + e2 + e3;
  CHECK(result.final_states[0][0] == Approx(e1 / total));
  CHECK(result.final_states[0][2] == Approx(e3 / total));
  CHECK(result.outputs[0][0] == Approx(1.0));
  CHECK(result.outputs[1][0] == Approx(2.0 / 3.0));
  CHECK(result.outputs[2] == std::vector<double>{1.0, 10.0, 1.0, 0.5, 3.0, 0.5, -2.0, 0.5});
  CHECK(result.outputs[3] == std::vector<double>{11.0, -19.0, 31.0});
  const std::vector<double>& smooth = result.outputs[4];
  REQUIRE(smooth.size() == 21);
  CHECK(smooth[0] == Approx(std::log1p(std::exp(1.0))));
  CHECK(smooth[1] == Approx(std::log1p(std::exp(-2.0))));
  CHECK(smooth[4] == 2.0);   // abs(-2)
  CHECK(smooth[7] == 0.0);   // relu(-2)
  CHECK(smooth[10] == Approx(std::sqrt(2.0)));
  CHECK(smooth[13] == Approx(std::log(2.0)));
  CHECK(smooth[17] == Approx(std::exp(3.0)));
  CHECK(smooth[19] == Approx(sigmoid(-2.0)));
}

TEST_CASE("softplus and softmax stay finite for large arguments", "[interpreter]") {
  rnnc::Graph graph = ir_of(R"(cell c<H> {
  input x[H]
  state h[H]
  h' = softmax(x) + softplus(x)
})",
                            {{"H", 2}});
  rnnc::InterpreterArgs<double> args;
  args.inputs = {{1000.0, -1000.0}};
  args.initial_states = {{0, 0}};
  rnnc::SequenceResult<double> result = rnnc::run_sequence(graph, args);
  CHECK(result.final_states[0][0] == Approx(1.0 + 1000.0));
  CHECK(result.final_states[0][1] == Approx(0.0).margin(1e-300));
}

TEST_CASE("the LSTM cell equals the textbook LSTM over a batch and a sequence", "[interpreter]") {
  const int I = 3, H = 4, T = 5, B = 2;
  std::ifstream stream(std::string(RNNC_SOURCE_DIR) + "/dsl/lstm.cell");
  std::ostringstream text;
  text << stream.rdbuf();
  rnnc::Graph graph = ir_of(text.str(), {{"I", I}, {"H", H}});

  std::mt19937 generator(7);
  rnnc::InterpreterArgs<double> args;
  args.steps = T;
  args.batch = B;
  args.inputs = {random_vector(T * B * I, generator)};
  args.initial_states = {random_vector(B * H, generator), random_vector(B * H, generator)};
  for (std::size_t p = 0; p < graph.params.size(); ++p) {
    args.params.push_back(random_vector(rnnc::param_size(graph, p), generator));
  }
  rnnc::SequenceResult<double> result = rnnc::run_sequence(graph, args);

  // PyTorch's nn.LSTM equations, gate order (i, f, g, o), written out with
  // nothing shared with the interpreter.
  const auto& W_ih = args.params[0];
  const auto& W_hh = args.params[1];
  const auto& b_ih = args.params[2];
  const auto& b_hh = args.params[3];
  std::vector<double> h = args.initial_states[0], c = args.initial_states[1];
  for (int t = 0; t < T; ++t) {
    for (int b = 0; b < B; ++b) {
      const double* x = &args.inputs[0][(t * B + b) * I];
      double gates[4 * H];
      for (int row = 0; row < 4 * H; ++row) {
        double sum = b_ih[row] + b_hh[row];
        for (int k = 0; k < I; ++k) sum += W_ih[row * I + k] * x[k];
        for (int k = 0; k < H; ++k) sum += W_hh[row * H + k] * h[b * H + k];
        gates[row] = sum;
      }
      for (int j = 0; j < H; ++j) {
        double in = sigmoid(gates[j]), forget = sigmoid(gates[H + j]);
        double cell = std::tanh(gates[2 * H + j]), out = sigmoid(gates[3 * H + j]);
        c[b * H + j] = forget * c[b * H + j] + in * cell;
        h[b * H + j] = out * std::tanh(c[b * H + j]);
      }
      for (int j = 0; j < H; ++j) {
        CHECK(result.outputs[0][(t * B + b) * H + j] == Approx(h[b * H + j]).epsilon(1e-12));
      }
    }
  }
  for (int k = 0; k < B * H; ++k) {
    CHECK(result.final_states[0][k] == Approx(h[k]).epsilon(1e-12));
    CHECK(result.final_states[1][k] == Approx(c[k]).epsilon(1e-12));
  }
}

TEST_CASE("float and double interpreters agree", "[interpreter]") {
  rnnc::Graph graph = ir_of("cell c<H> {\n state h[H]\n param W[H, H]\n h' = tanh(W @ h + 0.25)\n}\n", {{"H", 3}});
  rnnc::InterpreterArgs<double> d;
  d.steps = 3;
  d.initial_states = {{0.1, 0.2, 0.3}};
  d.params = {{0.5, -0.1, 0.2, 0.3, 0.3, -0.4, 0.1, 0.9, -0.7}};
  rnnc::InterpreterArgs<float> f;
  f.steps = 3;
  f.initial_states = {{0.1f, 0.2f, 0.3f}};
  f.params = {{0.5f, -0.1f, 0.2f, 0.3f, 0.3f, -0.4f, 0.1f, 0.9f, -0.7f}};
  auto rd = rnnc::run_sequence(graph, d);
  auto rf = rnnc::run_sequence(graph, f);
  for (int k = 0; k < 3; ++k) CHECK(rf.final_states[0][k] == Approx(rd.final_states[0][k]).epsilon(1e-6));
}

TEST_CASE("wrong buffer sizes are rejected, not read out of bounds", "[interpreter]") {
  rnnc::Graph graph = ir_of("cell c<H> {\n input x[H]\n state h[H]\n h' = x + h\n}\n", {{"H", 3}});
  rnnc::InterpreterArgs<double> args;
  args.steps = 2;
  args.inputs = {{1, 2, 3}};  // one step's worth, two needed
  args.initial_states = {{0, 0, 0}};
  CHECK_THROWS_AS(rnnc::run_sequence(graph, args), std::invalid_argument);
  args.inputs = {{1, 2, 3, 4, 5, 6}};
  args.initial_states = {};
  CHECK_THROWS_AS(rnnc::run_sequence(graph, args), std::invalid_argument);
  args.initial_states = {{0, 0, 0}};
  CHECK_NOTHROW(rnnc::run_sequence(graph, args));
}
